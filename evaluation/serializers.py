"""Shapes in and out of the evaluation API. Each ``*Out`` serializer renders
its body and documents it; the report's (``ReportOut``) and the committee's
are ``core.shapes.Shape``: a 5,000-bid report renders as fast as a
hand-built dict did (``bench/evaluation_report.py``)."""


from decimal import Decimal

from rest_framework import serializers

from bids.serializers import SupplierOut
from core.errors import Invalid
from core.fields import IsoDateTime
from core.shapes import Money, Shape


class CommitteeIn(serializers.Serializer):
    evaluators = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
                                       min_length=1, max_length=50,
                                       help_text="User ids of officers of the tender's buyer")


class EvaluatorOut(Shape):  # from a selectors.Member
    id = serializers.IntegerField()
    name = serializers.CharField()
    added_at = IsoDateTime()
    declared_at = IsoDateTime(allow_null=True)
    statement = serializers.CharField()


class DeclarationIn(serializers.Serializer):
    statement = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                      help_text="Optional wording; a standard declaration of no conflict otherwise")


class DeclarationOut(serializers.Serializer):
    tender = serializers.IntegerField(source="tender_id")
    evaluator = serializers.IntegerField(source="user_id")
    declared_at = IsoDateTime()
    statement = serializers.CharField()


class QualificationIn(serializers.Serializer):
    qualified = serializers.BooleanField()
    reason = serializers.CharField(max_length=5000)
    lot = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, help_text=(
        "The lot (required on a tender with several lots)"))


class QualificationOut(serializers.Serializer):
    bid = serializers.IntegerField(source="bid_id")
    lot = serializers.IntegerField(source="lot_id")
    qualified = serializers.BooleanField()
    reason = serializers.CharField()
    decided_at = IsoDateTime()
    tender_status = serializers.CharField(source="bid.tender.status")
    lot_status = serializers.CharField(source="lot.status")


def parse_points(data) -> dict[int, Decimal]:
    if not isinstance(data, dict):
        raise Invalid('Scores are an object {"<criterion id>": points}.', code="scores_invalid")
    points = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0"))
    values = serializers.DictField(child=points, allow_empty=False).run_validation(data)
    parsed = {}
    for key, value in values.items():
        if not (str(key).isascii() and str(key).isdigit()):  # "²".isdigit() is True; int("²") fails
            raise Invalid(f"{key!r} is not a criterion id.", code="unknown_criterion", field=str(key))
        parsed[int(key)] = value
    return parsed


class ScoreOut(serializers.Serializer):
    """One scoring action: ``Score`` rows of one bid by one evaluator."""
    bid = serializers.IntegerField()
    evaluator = serializers.IntegerField()
    points = serializers.DictField(child=serializers.CharField(), help_text="criterion id -> points")
    scored_at = IsoDateTime()

    def to_representation(self, scores):
        return super().to_representation({
            "bid": scores[0].bid_id, "evaluator": scores[0].evaluator_id, "scored_at": scores[0].scored_at,
            "points": {str(s.criterion_id): f"{s.points:.2f}" for s in scores}})


class AwardIn(serializers.Serializer):
    bid = serializers.IntegerField(min_value=1)
    justification = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    lot = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, help_text=(
        "The lot (required on a tender with several lots)"))


class AwardOut(serializers.Serializer):
    id = serializers.IntegerField()
    lot = serializers.IntegerField(source="lot_id")
    bid = serializers.IntegerField(source="bid_id")
    awarded_at = IsoDateTime()
    justification = serializers.CharField()
    top_ranked = serializers.BooleanField()
    status = serializers.CharField()
    standstill_ends_at = IsoDateTime()
    cancelled_at = IsoDateTime(allow_null=True)


class ReportLotOut(Shape):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()


class ReportCriterionOut(Shape):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.IntegerField()


class ReportQualificationOut(Shape):
    qualified = serializers.BooleanField()
    reason = serializers.CharField()
    decided_at = IsoDateTime()


class PointsField(serializers.DictField):
    """criterion id -> evaluator id -> points, both in id order."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.DictField(child=serializers.CharField()), **kwargs)

    def to_representation(self, points):
        return {str(cid): {str(uid): f"{v:.2f}" for uid, v in sorted(by_evaluator.items())}
                for cid, by_evaluator in sorted(points.items())}


class QualityField(serializers.DictField):
    """criterion id -> the mean of its points."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(), **kwargs)

    def to_representation(self, quality):
        return {str(cid): str(v) for cid, v in quality.items()}


class ReportBidOut(Shape):  # from a selectors.EvaluatedBid
    bid = serializers.IntegerField()
    supplier = SupplierOut()
    amount = Money(help_text="Its offer on this lot")
    currency = serializers.CharField()
    received_at = IsoDateTime()
    sha256 = serializers.CharField()
    qualification = ReportQualificationOut(allow_null=True, help_text="null until decided")
    scores = PointsField(source="points", help_text="criterion id -> evaluator id -> points")
    price_score = serializers.CharField(allow_null=True, help_text="null when not qualified")
    quality = QualityField(allow_null=True, help_text="criterion id -> mean points; null when not qualified")
    total = serializers.CharField(allow_null=True, help_text="null when not qualified")
    rank = serializers.IntegerField(allow_null=True, help_text="null when not qualified")


class ReportOut(Shape):  # from a selectors.EvaluationState
    tender = serializers.IntegerField(source="tender.pk")
    status = serializers.CharField(source="tender.status")
    lot = ReportLotOut(help_text="The lot this report is about (`?lot=`; a single-lot tender's only lot)")
    award_method = serializers.CharField(source="tender.award_method")
    price_weight = serializers.IntegerField(source="tender.price_weight")
    currency = serializers.CharField(source="tender.currency")
    opened_at = IsoDateTime(source="tender.opened_at")
    rounding = serializers.DictField(help_text="The published rounding and ranking rule")
    criteria = ReportCriterionOut(many=True)
    committee = EvaluatorOut(many=True)
    bids = ReportBidOut(many=True, help_text="Every opened bid with an offer on the lot")
    ranking = serializers.ListField(child=serializers.IntegerField(), help_text="Bid ids, best first")
    award_proposal = serializers.IntegerField(source="proposal_id", allow_null=True, help_text=(
        "Price quotations and single source: the bid whose offer is the award proposal (the lowest not "
        "disqualified; only its qualification is checked); null for a ranked method"))
    award = AwardOut(allow_null=True)
    awards = AwardOut(many=True)
    commitment_salt = serializers.CharField(allow_null=True, help_text=(
        "Once public: the salt of the audit log's bid_scored commitments, SHA-256 over the canonical JSON of "
        '{"tender", "bid", "evaluator", "points": {"<criterion id>": "<points>"}, "salt"}; null before'))


class ComplaintIn(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
    lot = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, help_text=(
        "The lot whose award is complained about (required on a tender with several lots)"))


class ResolveIn(serializers.Serializer):
    upheld = serializers.BooleanField()
    resolution = serializers.CharField(max_length=20000)


class ComplainantOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ComplaintOut(serializers.Serializer):
    id = serializers.IntegerField()
    award = serializers.IntegerField(source="award_id")
    lot = serializers.IntegerField(source="award.lot_id")
    supplier = ComplainantOut()
    text = serializers.CharField()
    status = serializers.CharField()
    resolution = serializers.CharField()
    filed_at = IsoDateTime()
    resolved_at = IsoDateTime(allow_null=True)


class LotCancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)
