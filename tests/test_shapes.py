"""One source per response shape (core/shapes.py): each ``Shape`` renders the
body it documents; the register's hand-built rows stay pinned to the
serializer that documents them."""

import json
from decimal import Decimal

import pytest
from rest_framework import serializers

import accounts.serializers
import bids.serializers
import clarifications.serializers
import evaluation.serializers
import notifications.serializers
from core.shapes import Money, Shape
from tenders.models import Tender
from tenders.serializers import LIST_VALUES, TenderListOut, tender_row


APPS = (accounts, bids, clarifications, evaluation, notifications)  # imported: their shapes are all checked


def all_shapes(cls=Shape):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_shapes(sub)


@pytest.mark.parametrize("shape", sorted(set(all_shapes()), key=lambda c: c.__qualname__), ids=lambda c: c.__name__)
def test_every_shape_compiles(shape):
    # a source that is not a dotted attribute path fails here, not in a request
    assert callable(shape._renderer())


class Line:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class PartOut(Shape):
    code = serializers.CharField(source="ref")
    price = Money()


class OrderOut(Shape):
    id = serializers.IntegerField()
    note = serializers.CharField(allow_null=True)
    part = PartOut(allow_null=True)
    parts = PartOut(many=True)
    secret = serializers.CharField(required=False)
    mine = serializers.SerializerMethodField()

    def omitted(self, order):
        return () if order.open else ("secret",)

    def get_mine(self, order) -> bool:
        return self.context.get("reader") == order.owner


def order(**overrides):
    part = Line(ref="A-1", price=Decimal("12.5"))
    return Line(**{"id": 7, "note": None, "part": part, "parts": [part, Line(ref="B", price=Decimal(3))],
                   "secret": "s", "open": True, "owner": 4, **overrides})


def test_a_shape_renders_its_fields_in_order_with_sources_nesting_nulls_and_methods():
    # when
    body = OrderOut(order(), context={"reader": 4}).data
    # then
    assert json.dumps(body) == json.dumps({
        "id": 7, "note": None, "part": {"code": "A-1", "price": "12.50"},
        "parts": [{"code": "A-1", "price": "12.50"}, {"code": "B", "price": "3.00"}],
        "secret": "s", "mine": True})


def test_omitted_keys_are_left_out_and_not_read():
    class Unreadable(Line):
        @property
        def secret(self):
            raise AssertionError("an omitted field was read")

    body = OrderOut.dump(Unreadable(**{k: v for k, v in vars(order(open=False, part=None)).items()
                                       if k != "secret"}))
    assert "secret" not in body and body["part"] is None and body["mine"] is False


def test_many_renders_each_item_with_the_context():
    bodies = OrderOut([order(owner=1), order(owner=2)], many=True, context={"reader": 2}).data
    assert [b["mine"] for b in bodies] == [False, True]
    assert OrderOut.dump_many([order(), order(open=False)])[1].keys() == {"id", "note", "part", "parts", "mine"}


def test_a_source_that_is_not_an_attribute_path_is_refused():
    class BadOut(Shape):
        total = serializers.IntegerField(source="items.0")

    with pytest.raises(ValueError, match="not a dotted attribute path"):
        BadOut.dump(Line(items=[1]))


@pytest.mark.django_db
def test_the_register_row_is_the_documented_tender_list_shape(make_tender):
    """The register (GET /api/tenders/) builds its rows by hand, being the hot
    path (bench/register.py): the row is what TenderListOut renders, keys in
    the same order, byte for byte."""
    # given
    tender = make_tender(estimated_amount=Decimal("1000.50"))
    # when
    row = tender_row(Tender.objects.filter(pk=tender.pk).values(*LIST_VALUES).get())
    documented = TenderListOut(Tender.objects.select_related("buyer").get(pk=tender.pk)).data
    # then
    assert json.dumps(row) == json.dumps(documented)
