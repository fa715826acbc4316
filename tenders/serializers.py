"""Shapes in and out. The ``*Out`` serializers render a tender, its documents
and amendments, and document them. The register's rows are the one
exception: ``tender_row`` builds them from ``.values()`` dicts, the register
being the hot public path (``bench/register.py``); ``tests/test_shapes.py``
pins a row to ``TenderListOut``'s body byte for byte, and every register
response is checked against it in ``/api/schema/``."""


from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from core.fields import IsoDateTime
from core.isotime import iso

from . import cpv
from .models import MAX_LOTS, AwardMethod, Ground, Language, LotStatus, Method, Status


class CriterionIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    weight = serializers.IntegerField(min_value=1, max_value=100, help_text="Max points = weight")
    lot = serializers.IntegerField(min_value=0, max_value=MAX_LOTS - 1, required=False, allow_null=True,
                                   help_text="A criterion of one lot: its position in `lots` (0 for the first); "
                                             "absent: a criterion of the tender")


@extend_schema_field({"type": "string", "pattern": r"^\d{1,15}(\.\d{1,3})?$", "nullable": True, "example": "1000"})
class QuantityField(serializers.DecimalField):
    """A lot's quantity: a decimal string of at most 15 digits and 3 decimals,
    documented exactly (drf-spectacular's decimal pattern matches "" and "-5");
    zero is the service's 400 ``quantity_invalid``."""


class LotIn(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    cpv = serializers.RegexField(r"^\d{8}-\d$", required=False, help_text="Default: the tender's CPV",
                                 error_messages={"invalid": "A CPV code looks like 45233140-2."})
    estimated_amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    quantity = QuantityField(max_digits=18, decimal_places=3, required=False, allow_null=True)
    unit = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    minimal_step = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"),
                                            required=False, allow_null=True, help_text=(
                                                "auction: the least price reduction in a turn, 0.5-3 % of the "
                                                "lot's estimated amount"))


class SupplierRefIn(serializers.Serializer):
    bin = serializers.RegexField(r"^\d{12}$", help_text="The supplier's BIN (12 digits), registered on the platform",
                                 error_messages={"invalid": "A BIN is 12 digits."})


class FailedRefIn(serializers.Serializer):
    tender = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Your unsuccessful tender")
    lot = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True,
                                   help_text="Its unsuccessful lot (the lot's id), when only a lot failed")


class TenderIn(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    cpv = serializers.RegexField(r"^\d{8}-\d$", error_messages={"invalid": "A CPV code looks like 45233140-2."})
    estimated_amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"),
                                                required=False, help_text=(
                                                    "Required without `lots`; with them, their sum"))
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="KZT")
    clarification_deadline = serializers.DateTimeField()
    submission_deadline = serializers.DateTimeField()
    award_method = serializers.ChoiceField(choices=AwardMethod.choices, required=False,
                                           default=AwardMethod.LOWEST_PRICE)
    price_weight = serializers.IntegerField(min_value=0, max_value=100, required=False)
    criteria = CriterionIn(many=True, required=False)
    min_bids = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=1)
    language = serializers.ChoiceField(choices=Language.choices, required=False,
                                       help_text="The language the tender is written in (its open data "
                                                 "says so); default PROCUREMENT_DEFAULT_TENDER_LANGUAGE")
    lots = serializers.ListField(child=LotIn(), required=False, min_length=1, max_length=MAX_LOTS, help_text=(
        f"The lots (at most {MAX_LOTS}); without them the tender is one lot made from its own fields"))
    method = serializers.ChoiceField(choices=Method.choices, required=False, help_text=(
        "The procurement method, fixed at publication (default open_tender)"))
    minimal_step = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"),
                                            required=False, allow_null=True, help_text=(
                                                "auction, without `lots`: the only lot's minimal step (0.5-3 % of "
                                                "the estimated amount)"))
    supplier = SupplierRefIn(required=False, allow_null=True, help_text="single_source: the supplier it names")
    ground = serializers.ChoiceField(choices=Ground.choices, required=False, allow_blank=True,
                                     help_text="single_source: its lawful ground")
    justification = serializers.CharField(max_length=5000, required=False, allow_blank=True,
                                          help_text="single_source: its public justification")
    failed = FailedRefIn(required=False, allow_null=True, help_text=(
        "single_source on the ground failed_procurement: your unsuccessful tender, or its unsuccessful lot"))


    def to_internal_value(self, data):
        """``estimated_amount`` is required of a tender without lots, named
        with every other bad field."""
        errors, value = {}, None
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = dict(exc.detail)
        if (not self.partial and hasattr(data, "get") and data.get("lots") is None
                and data.get("estimated_amount") is None and "estimated_amount" not in errors):
            # A rule of the platform (amount or lots), not of the field's shape.
            errors["estimated_amount"] = [ErrorDetail("A tender without lots states its estimated amount.",
                                                      code="estimated_amount_required")]
        if errors:
            raise serializers.ValidationError(errors)
        return value


class TenderPatch(TenderIn):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class AmendmentIn(serializers.Serializer):
    rationale = serializers.CharField(max_length=5000)
    method = serializers.ChoiceField(choices=Method.choices, required=False, help_text=(
        "Refused (409 `method_fixed`): the method is fixed at publication"))
    title = serializers.CharField(max_length=500, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    estimated_amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"), required=False)
    clarification_deadline = serializers.DateTimeField(required=False)
    submission_deadline = serializers.DateTimeField(required=False)


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class DocumentIn(serializers.Serializer):
    # Emptiness, size and type are the service's rules (document_empty,
    # document_too_large, document_type_not_allowed), so the serializer lets
    # an empty file through to it.
    file = serializers.FileField(allow_empty_file=True)
    title = serializers.CharField(max_length=300, required=False, default="")
    document_type = serializers.CharField(max_length=64, required=False, default="biddingDocuments")
    rationale = serializers.CharField(max_length=5000, required=False, default="",
                                      help_text="Why the document is added to an active tender (it is an "
                                                "amendment: the deadline may move, bids must be confirmed)")


class BuyerOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CriterionOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.IntegerField()
    lot = serializers.IntegerField(source="lot_id", allow_null=True, help_text="The lot's id; null: the tender's")


class LotOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    cpv = serializers.CharField()
    estimated_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    unit = serializers.CharField()
    minimal_step = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True,
                                            help_text="auction: the least price reduction in a turn")
    status = serializers.ChoiceField(choices=LotStatus.choices)
    cancellation_reason = serializers.CharField()


class TenderListOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    title = serializers.CharField()
    cpv = serializers.CharField()
    cpv_name = serializers.SerializerMethodField()
    buyer = BuyerOut()
    estimated_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    clarification_deadline = IsoDateTime()
    submission_deadline = IsoDateTime()
    award_method = serializers.ChoiceField(choices=AwardMethod.choices)
    min_bids = serializers.IntegerField()
    bid_count = serializers.IntegerField()
    published_at = IsoDateTime(allow_null=True)

    def get_cpv_name(self, tender) -> str:
        return cpv.name(tender.cpv)


class DocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    document_type = serializers.CharField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = IsoDateTime()
    url = serializers.SerializerMethodField()

    def get_url(self, document) -> str:
        return f"/api/tenders/{document.tender_id}/documents/{document.pk}/download/"


class AmendmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = IsoDateTime()
    rationale = serializers.CharField()
    changes = serializers.DictField()
    deadline_extended = serializers.BooleanField()


class NamedSupplierOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    bin = serializers.CharField(source="tax_id")


class FailedOut(serializers.Serializer):
    tender = serializers.IntegerField(source="failed_tender_id")
    lot = serializers.IntegerField(source="failed_lot_id", allow_null=True)


class FollowUpOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    method = serializers.ChoiceField(choices=Method.choices)
    status = serializers.ChoiceField(choices=Status.choices)


class TenderOut(TenderListOut):
    """The full tender (detail view); render it with buyer selected and
    criteria, documents and amendments prefetched."""
    description = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    cpv_name_ru = serializers.SerializerMethodField()
    price_weight = serializers.IntegerField()
    criteria = CriterionOut(many=True)
    created_at = IsoDateTime()
    opened_at = IsoDateTime(allow_null=True)
    cancelled_at = IsoDateTime(allow_null=True)
    cancellation_reason = serializers.CharField()
    public_key = serializers.SerializerMethodField(help_text="X25519 key bids are sealed to (hex)")
    documents = DocumentOut(many=True)
    amendments = AmendmentOut(many=True)
    lots = LotOut(many=True)
    method = serializers.ChoiceField(choices=Method.choices)
    supplier = NamedSupplierOut(source="named_supplier", allow_null=True,
                                help_text="single_source: the only supplier who may bid")
    ground = serializers.CharField(help_text="single_source: its lawful ground (else empty)")
    justification = serializers.CharField(help_text="single_source: its public justification (else empty)")
    failed = serializers.SerializerMethodField(help_text=(
        "single_source after a failed procurement: the buyer's unsuccessful tender (and lot) it follows"))
    followed_by = serializers.SerializerMethodField(help_text=(
        "The published single-source tenders that followed this one after it failed"))

    @extend_schema_field(FailedOut(allow_null=True))
    def get_failed(self, tender) -> dict | None:
        return FailedOut(tender).data if tender.failed_tender_id else None

    @extend_schema_field(FollowUpOut(many=True))
    def get_followed_by(self, tender) -> list:
        return FollowUpOut(tender.followed_by.exclude(status=Status.DRAFT).order_by("pk"), many=True).data

    def get_cpv_name_ru(self, tender) -> str:
        return cpv.name(tender.cpv, "ru")

    def get_public_key(self, tender) -> str | None:
        return bytes(tender.public_key).hex() if tender.public_key else None


LIST_VALUES = [
    "id", "status", "title", "cpv", "buyer_id", "buyer__name", "estimated_amount", "currency",
    "clarification_deadline", "submission_deadline", "award_method", "min_bids", "bid_count", "published_at",
]


def tender_row(row: dict) -> dict:
    """One register row from a ``.values(*LIST_VALUES)`` dict."""
    return {
        "id": row["id"],
        "status": row["status"],
        "title": row["title"],
        "cpv": row["cpv"],
        "cpv_name": cpv.name(row["cpv"]),
        "buyer": {"id": row["buyer_id"], "name": row["buyer__name"]},
        "estimated_amount": f"{row['estimated_amount']:.2f}",
        "currency": row["currency"],
        "clarification_deadline": iso(row["clarification_deadline"]),
        "submission_deadline": iso(row["submission_deadline"]),
        "award_method": row["award_method"],
        "min_bids": row["min_bids"],
        "bid_count": row["bid_count"],
        "published_at": iso(row["published_at"]),
    }
