"""The baseline: the same register query answered by a plain Django view that
returns ``JsonResponse`` of ``.values()`` (no DRF, no django-filter, no count,
no row shaping). It understands the filters the benchmark sends."""

from datetime import datetime
from decimal import Decimal

from django.http import JsonResponse

from tenders.selectors import tenders_public
from tenders.serializers import LIST_VALUES


def baseline_tenders(request):
    params = request.GET
    queryset = tenders_public()
    if params.get("status"):
        queryset = queryset.filter(status__in=params["status"].split(","))
    if params.get("cpv"):
        digits = params["cpv"].split("-")[0]
        queryset = queryset.filter(cpv__startswith=digits.rstrip("0") if len(digits.rstrip("0")) >= 2
                                   else digits[:2])
    if params.get("value_min"):
        queryset = queryset.filter(estimated_amount__gte=Decimal(params["value_min"]))
    if params.get("value_max"):
        queryset = queryset.filter(estimated_amount__lte=Decimal(params["value_max"]))
    if params.get("deadline_after"):
        queryset = queryset.filter(submission_deadline__gte=datetime.fromisoformat(params["deadline_after"]))
    if params.get("deadline_before"):
        queryset = queryset.filter(submission_deadline__lte=datetime.fromisoformat(params["deadline_before"]))
    ordering = params.get("ordering")
    queryset = queryset.order_by(ordering, "-id") if ordering else queryset.order_by("-published_at", "-id")
    size = int(params.get("page_size", 20))
    return JsonResponse({"results": list(queryset.values(*LIST_VALUES)[:size])})
