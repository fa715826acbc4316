"""One definition per response shape.

A ``Shape`` is a read-only DRF serializer: its declared fields are what
drf-spectacular documents in ``/api/schema/`` *and* what renders the body, so
a field is added, renamed or reformatted in one place. Rendering skips DRF's
per-field machinery (``get_attribute``, ``SkipField``, a deep copy of the
fields per serializer instance): each class is compiled once into a function
with one statement per field, so a 5,000-row report or opening record costs
about what the hand-built dicts it replaced did (``bench/evaluation_report.py``,
``bench/bids.py``; ``tests/test_shapes.py``).

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


def _identity(value):
    return value


def _read(field: serializers.Field) -> str:
    """The expression that reads the field's value from ``obj``."""
    if field.source == "*":
        return "obj"
    if not all(attr.isidentifier() for attr in field.source_attrs):
        raise ValueError(f"{field.field_name}: source {field.source!r} is not a dotted attribute path")
    return ".".join(["obj", *field.source_attrs])


def _converter(field: serializers.Field) -> Callable[[Any], Any]:
    if type(field) in _BUILTIN:
        return _BUILTIN[type(field)]
    if isinstance(field, serializers.JSONField) or (
            isinstance(field, (serializers.DictField, serializers.ListField))
            and isinstance(field.child, _UnvalidatedField)):
        return _identity  # the value as it is (JSON already)
    return field.to_representation


def _compile(fields: dict[str, serializers.Field]) -> Callable[[Any, Any, Collection[str]], dict]:
    """``render(obj, serializer, omit) -> dict``, one statement per field,
    as a hand-written function would be (a loop over the fields costs about
    a third more on a 5,000-row body)."""
    lines, scope = ["def render(obj, serializer, omit):", "    body = {}"], {"BaseManager": BaseManager}
    for i, (name, field) in enumerate(fields.items()):
        if field.write_only:
            continue
        indent = "    "
        if not field.required:  # only those may be omitted
            lines.append(f"    if {name!r} not in omit:")
            indent = "        "
        if isinstance(field, serializers.SerializerMethodField):
            lines.append(f"{indent}body[{name!r}] = serializer.{field.method_name}(obj)")
            continue
        lines.append(f"{indent}value = {_read(field)}")
        lines.append(f"{indent}body[{name!r}] = None if value is None else {_convert(field, i, scope)}")
    lines.append("    return body")
    exec("\n".join(lines), scope)  # noqa: S102 - the code is made of field names checked above
    return scope["render"]


def _convert(field: serializers.Field, i: int, scope: dict) -> str:
    """The expression that converts ``value``; a nested shape, or a list of
    them, is rendered by calling its own compiled function directly."""
    many = isinstance(field, serializers.ListSerializer)
    nested = field.child if many else field
    if not isinstance(nested, Shape):
        scope[f"convert{i}"] = _converter(field)
        return f"convert{i}(value)"
    scope[f"render{i}"], scope[f"field{i}"] = type(nested)._renderer(), nested
    omit = "()" if type(nested).omitted is Shape.omitted else f"field{i}.omitted(item)"
    if not many:
        return f"render{i}(value, field{i}, {omit.replace('item', 'value')})"
    return (f"[render{i}(item, field{i}, {omit}) for item in "
            "(value.all() if isinstance(value, BaseManager) else value)]")


# A response body: declare its fields (with ``source=`` where the object's
# attribute has another name); ``XOut(obj).data`` in a view, ``XOut.dump(obj)``
# where a plain dict is needed (an event, an audit entry's data). No docstring:
# drf-spectacular would show it as every subclass's description.
class Shape(serializers.Serializer):

    _renderers: dict[type, Callable[[Any, Any, Collection[str]], dict]] = {}
    _prototypes: dict[type, "Shape"] = {}

    @classmethod
    def _renderer(cls) -> Callable[[Any, Any, Collection[str]], dict]:
        renderer = Shape._renderers.get(cls)
        if renderer is None:
            renderer = Shape._renderers[cls] = _compile(cls().fields)  # bound fields know their source_attrs
        return renderer

    def omitted(self, instance) -> Collection[str]:
        """Keys this object's body leaves out (none by default); only fields
        declared ``required=False`` can be."""
        return ()

    def render(self, instance) -> dict:
        return self._renderer()(instance, self, self.omitted(instance))

    def to_representation(self, instance) -> dict:
        return self.render(instance)

    @classmethod
    def _prototype(cls) -> Shape:
        prototype = Shape._prototypes.get(cls)
        if prototype is None:
            prototype = Shape._prototypes[cls] = cls()
        return prototype

    @classmethod
    def dump(cls, instance) -> dict:
        """The body as a plain dict, without making a serializer (which costs
        more than rendering a small body): for a shape that reads no context."""
        return cls._prototype().render(instance)

    @classmethod
    def dump_many(cls, instances) -> list[dict]:
        prototype, render = cls._prototype(), cls._renderer()
        if cls.omitted is Shape.omitted:
            return [render(instance, prototype, ()) for instance in instances]
        return [render(instance, prototype, prototype.omitted(instance)) for instance in instances]


class Money(serializers.DecimalField):
    """An amount as the platform writes it: a decimal string with 2 places."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return f"{value:.2f}"
