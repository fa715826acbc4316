"""One definition per response shape.

A ``Shape`` is a read-only DRF serializer: its declared fields are what
drf-spectacular documents in ``/api/schema/`` *and* what renders the body, so
a field is added, renamed or reformatted in one place. Rendering skips DRF's
per-field machinery (``get_attribute``, ``SkipField``, a deep copy of the
fields per serializer instance): each class is compiled once into a list of
(key, getter, converter), which makes a 5,000-row report or opening record
cost about what a hand-built dict did (``bench/evaluation_report.py``,
``bench/bids.py``).

Rules, as DRF's for the same fields: a field's ``source`` (dotted, or ``"*"``
for the object itself) is read with ``getattr``; ``None`` renders as null;
anything else goes through the field's ``to_representation``, except for the
plain fields below, whose conversion is the builtin DRF would call; a
``SerializerMethodField`` calls its method with the object; a list of shapes
may be a related manager (``.all()``). A nested shape renders with the
serializer it was declared on, so its methods and ``omitted()`` see no
``context``: only the outermost shape's (or a list's items') do. Keys come
out in the fields' declared order. A shape whose body leaves some keys out
(a sealed bid has no price) names them in ``omitted()``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from operator import attrgetter
from typing import Any

from django.db.models.manager import BaseManager
from rest_framework import serializers
from rest_framework.fields import _UnvalidatedField

# The plain fields, converted as their to_representation does.
_BUILTIN: dict[type, Callable[[Any], Any]] = {
    serializers.IntegerField: int,
    serializers.CharField: str,
    serializers.ChoiceField: str,
    serializers.BooleanField: bool,
}

Plan = list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]]


def _identity(value):
    return value


class _Method(str):
    """A ``SerializerMethodField``'s method, bound to each serializer that renders."""


def _getter(field: serializers.Field) -> Callable[[Any], Any]:
    if field.source == "*" or isinstance(field, serializers.SerializerMethodField):
        return _identity
    return attrgetter(".".join(field.source_attrs))


def _converter(field: serializers.Field) -> Callable[[Any], Any]:
    if isinstance(field, Shape):
        return field.render
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, Shape):
        render = field.child.render
        return lambda values: [render(value) for value in (values.all() if isinstance(values, BaseManager)
                                                            else values)]
    if isinstance(field, serializers.SerializerMethodField):
        return _Method(field.method_name)
    if type(field) in _BUILTIN:
        return _BUILTIN[type(field)]
    if isinstance(field, serializers.JSONField) or (
            isinstance(field, (serializers.DictField, serializers.ListField))
            and isinstance(field.child, _UnvalidatedField)):
        return _identity  # the value as it is (JSON already)
    return field.to_representation


# A response body: declare its fields (with ``source=`` where the object's
# attribute has another name); ``XOut(obj).data`` in a view, ``XOut.dump(obj)``
# where a plain dict is needed (an event, an audit entry's data). No docstring:
# drf-spectacular would show it as every subclass's description.
class Shape(serializers.Serializer):

    _plans: dict[type, Plan] = {}
    _bound: Plan | None = None

    @classmethod
    def _plan(cls) -> Plan:
        plan = Shape._plans.get(cls)
        if plan is None:
            fields = cls().fields  # bound: every field knows its source_attrs
            plan = [(name, _getter(field), _converter(field)) for name, field in fields.items()
                    if not field.write_only]
            Shape._plans[cls] = plan
        return plan

    def omitted(self, instance) -> Collection[str]:
        """Keys this object's body leaves out (none by default)."""
        return ()

    def _bound_plan(self) -> Plan:
        """The class's plan with its method fields bound to this serializer
        (and so to its context)."""
        if self._bound is None:
            self._bound = [(name, get, getattr(self, convert) if isinstance(convert, _Method) else convert)
                           for name, get, convert in self._plan()]
        return self._bound

    def render(self, instance) -> dict:
        omit = self.omitted(instance)
        body = {}
        for name, get, convert in self._bound_plan():
            if name in omit:
                continue
            value = get(instance)
            body[name] = None if value is None else convert(value)
        return body

    def to_representation(self, instance) -> dict:
        return self.render(instance)

    @classmethod
    def dump(cls, instance, **kwargs) -> dict:
        """The body as a plain dict (no serializer wrapper around it)."""
        return cls(**kwargs).render(instance)

    @classmethod
    def dump_many(cls, instances, **kwargs) -> list[dict]:
        render = cls(**kwargs).render
        return [render(instance) for instance in instances]


class Money(serializers.DecimalField):
    """An amount as the platform writes it: a decimal string with 2 places."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return f"{value:.2f}"

