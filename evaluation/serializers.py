"""Shapes in and out of the evaluation API. Output rows are plain dicts built
by ``selectors`` and the functions below; these classes document them for
the OpenAPI schema."""


from decimal import Decimal

from rest_framework import serializers

from core.errors import Invalid
from core.isotime import iso


class CommitteeIn(serializers.Serializer):
    evaluators = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
                                       min_length=1, max_length=50,
                                       help_text="User ids of officers of the tender's buyer")


class EvaluatorOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    added_at = serializers.CharField()
    declared_at = serializers.CharField(allow_null=True)
    statement = serializers.CharField()


class DeclarationIn(serializers.Serializer):
    statement = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                      help_text="Optional wording; a standard declaration of no conflict otherwise")


class DeclarationOut(serializers.Serializer):
    tender = serializers.IntegerField()
    evaluator = serializers.IntegerField()
    declared_at = serializers.CharField()
    statement = serializers.CharField()


class QualificationIn(serializers.Serializer):
    qualified = serializers.BooleanField()
    reason = serializers.CharField(max_length=5000)


class QualificationOut(serializers.Serializer):
    bid = serializers.IntegerField()
    qualified = serializers.BooleanField()
    reason = serializers.CharField()
    decided_at = serializers.CharField()
    tender_status = serializers.CharField()


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
    bid = serializers.IntegerField()
    evaluator = serializers.IntegerField()
    points = serializers.DictField(child=serializers.CharField())
    scored_at = serializers.CharField()


class AwardIn(serializers.Serializer):
    bid = serializers.IntegerField(min_value=1)
    justification = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class AwardOut(serializers.Serializer):
    id = serializers.IntegerField()
    bid = serializers.IntegerField()
    awarded_at = serializers.CharField()
    justification = serializers.CharField()
    top_ranked = serializers.BooleanField()
    status = serializers.CharField()
    standstill_ends_at = serializers.CharField()
    cancelled_at = serializers.CharField(allow_null=True)


class ReportOut(serializers.Serializer):
    tender = serializers.IntegerField()
    status = serializers.CharField()
    award_method = serializers.CharField()
    price_weight = serializers.IntegerField()
    currency = serializers.CharField()
    opened_at = serializers.CharField()
    rounding = serializers.DictField(help_text="The published rounding and ranking rule")
    criteria = serializers.ListField(child=serializers.DictField())
    committee = EvaluatorOut(many=True)
    bids = serializers.ListField(child=serializers.DictField(), help_text=(
        "Every opened bid: supplier, price, qualification, scores {criterion: {evaluator: points}}, "
        "price_score, quality {criterion: mean}, total, rank (null when not qualified)"))
    ranking = serializers.ListField(child=serializers.IntegerField(), help_text="Bid ids, best first")
    award = AwardOut(allow_null=True)
    awards = AwardOut(many=True)
    commitment_salt = serializers.CharField(allow_null=True, help_text=(
        "Once public: the salt of the audit log's bid_scored commitments, SHA-256 over the canonical JSON of "
        '{"tender", "bid", "evaluator", "points": {"<criterion id>": "<points>"}, "salt"}; null before'))


class ComplaintIn(serializers.Serializer):
    text = serializers.CharField(max_length=20000)


class ResolveIn(serializers.Serializer):
    upheld = serializers.BooleanField()
    resolution = serializers.CharField(max_length=20000)


class ComplaintOut(serializers.Serializer):
    id = serializers.IntegerField()
    award = serializers.IntegerField()
    supplier = serializers.DictField()
    text = serializers.CharField()
    status = serializers.CharField()
    resolution = serializers.CharField()
    filed_at = serializers.CharField()
    resolved_at = serializers.CharField(allow_null=True)


def complaint_data(c) -> dict:
    return {"id": c.pk, "award": c.award_id, "supplier": {"id": c.supplier_id, "name": c.supplier.name},
            "text": c.text, "status": c.status, "resolution": c.resolution, "filed_at": iso(c.filed_at),
            "resolved_at": iso(c.resolved_at)}


def award_data(a) -> dict:
    return {"id": a.pk, "bid": a.bid_id, "awarded_at": iso(a.awarded_at), "justification": a.justification,
            "top_ranked": a.top_ranked, "status": a.status, "standstill_ends_at": iso(a.standstill_ends_at),
            "cancelled_at": iso(a.cancelled_at)}
