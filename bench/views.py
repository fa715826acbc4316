"""Bench-only baselines. The register: the same register query answered by a plain Django view that
returns ``JsonResponse`` of ``.values()`` (no DRF, no django-filter, no count,
no row shaping). It understands the filters the benchmark sends (CPV and value
match the tender or one of its lots, as in the product; full CPV codes with a
check digit are treated as their digits' prefix)."""

import json
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from knox.crypto import hash_token
from knox.models import AuthToken

from bids.models import Bid

from tenders.models import Lot, Tender
from tenders.selectors import tenders_public
from tenders.serializers import LIST_VALUES


def baseline_tenders(request):
    params = request.GET
    queryset = tenders_public()
    if params.get("status"):
        queryset = queryset.filter(status__in=params["status"].split(","))
    # A tender matches when it or one of its lots does, read from the
    # tender's row as the product does (lot_cpvs, lot_amount_min/max).
    if params.get("cpv"):
        digits = params["cpv"].split("-")[0]
        prefix = digits.rstrip("0") if len(digits.rstrip("0")) >= 2 else digits[:2]
        queryset = queryset.filter(Q(cpv__startswith=prefix) | Q(lot_cpvs__contains=f" {prefix}"))
    low = Decimal(params["value_min"]) if params.get("value_min") else None
    high = Decimal(params["value_max"]) if params.get("value_max") else None
    if low is not None and high is not None:
        queryset = queryset.filter(
            Q(estimated_amount__gte=low, estimated_amount__lte=high)
            | Q(lot_amount_min__lte=high, lot_amount_max__gte=low) & (
                Q(lot_amount_min=F("lot_amount_max"))
                | Exists(Lot.objects.filter(tender=OuterRef("pk"), estimated_amount__gte=low,
                                            estimated_amount__lte=high))))
    elif low is not None:
        queryset = queryset.filter(Q(estimated_amount__gte=low) | Q(lot_amount_max__gte=low))
    elif high is not None:
        queryset = queryset.filter(Q(estimated_amount__lte=high) | Q(lot_amount_min__lte=high))
    if params.get("deadline_after"):
        queryset = queryset.filter(submission_deadline__gte=datetime.fromisoformat(params["deadline_after"]))
    if params.get("deadline_before"):
        queryset = queryset.filter(submission_deadline__lte=datetime.fromisoformat(params["deadline_before"]))
    ordering = params.get("ordering")
    queryset = queryset.order_by(ordering, "-id") if ordering else queryset.order_by("-published_at", "-id")
    size = int(params.get("page_size", 20))
    return JsonResponse({"results": list(queryset.values(*LIST_VALUES)[:size])})


@csrf_exempt
def baseline_bid(request, tender_id: int):
    """The bid path's limit: who is bidding (the API token's digest, one query), lock
    the tender row, refuse at or after the deadline, insert a bid row, commit.
    No sealing, hashing or signing, no audit, no idempotency record, no
    events; the bid row holds no content (sealed content is the product's)."""
    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    user = AuthToken.objects.filter(digest=hash_token(key)).values_list("user__organisation_id", flat=True).first()
    if user is None:
        return JsonResponse({"code": "not_authenticated"}, status=401)
    json.loads(request.body)
    with transaction.atomic():
        now = timezone.now()
        tender = Tender.objects.select_for_update().only("status", "submission_deadline").get(pk=tender_id)
        if not tender.accepts_bids(now):
            return JsonResponse({"code": "deadline_passed"}, status=409)
        bid = Bid.objects.create(tender_id=tender_id, supplier_id=user, created_at=now, updated_at=now)
    return JsonResponse({"bid": bid.pk}, status=201)
