"""Shapes of the open-data bodies that are not OCDS (OCDS has its own
published schema, ``opendata/schema``)."""

from rest_framework import serializers

from tenders.models import Status


class AwardedValueOut(serializers.Serializer):
    tender = serializers.IntegerField()
    title = serializers.CharField()
    currency = serializers.CharField()
    estimated = serializers.CharField(help_text="The tender's estimated amount, 2 decimal places")
    awarded = serializers.CharField(allow_null=True, help_text="The awarded bid's opened price; null if not known")


class BidsPerTenderOut(serializers.Serializer):
    bids = serializers.IntegerField(help_text="A number of bids")
    tenders = serializers.IntegerField(help_text="How many public tenders have that many")


class DivisionOut(serializers.Serializer):
    division = serializers.CharField(help_text="The CPV division: the code's first two digits")
    name = serializers.CharField(help_text="The division's name (Russian for kk and ru, else English)")
    tenders = serializers.IntegerField()
    bids = serializers.IntegerField()


class StatsOut(serializers.Serializer):
    """``GET /api/stats/``: counts and sums over the public tenders."""
    by_status = serializers.DictField(child=serializers.IntegerField(), help_text=(
        "status -> number of public tenders; statuses with none are left out. Statuses: "
        + ", ".join(f"`{value}`" for value in Status.values)))
    awards = AwardedValueOut(many=True, help_text="The 20 latest active awards: estimated against awarded value")
    bids_per_tender = BidsPerTenderOut(many=True, help_text="Histogram of bids per public tender, by bids")
    by_division = DivisionOut(many=True, help_text="Public tenders and their bids per CPV division")
