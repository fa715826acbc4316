"""Serializer fields shared by the apps' ``*Out`` serializers."""

from rest_framework import serializers

from core.isotime import iso


class IsoDateTime(serializers.DateTimeField):
    """A time as the platform writes it everywhere (``core.isotime.iso``:
    ISO 8601 in UTC with a ``Z``), documented as a date-time."""

    def to_representation(self, value):
        return iso(value)
