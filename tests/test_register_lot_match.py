"""The register's CPV and value filters read the lots through the tender's own
row (``lot_cpvs``, ``lot_amount_min``, ``lot_amount_max``, issue 22). They
must answer exactly as the filters they replaced, which looked at the lots
with ``EXISTS``: a tender matches when it or one of its lots matches. Here
both are compared on tenders with and without lots, made and edited through
the services, for every filter of the register."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from tenders import services
from tenders.models import Lot, Tender, lot_match
from tenders.selectors import tenders_public
from tests.conftest import tender_fields

NOW = timezone.now()
CODES = ["45233140-2", "45231300-8", "45000000-7", "33600000-6", "33141000-0", "39160000-1", "09134100-8",
         "72212700-6", "45200000-9", "33100000-1"]
AMOUNTS = [Decimal(a) for a in ("1000.00", "50000.00", "1000000.00", "7500000.00", "10000000.00",
                                "48000000.50", "125000000.00", "900000000.00")]


def old_cpv(queryset, value: str):
    """The filter before issue 22, verbatim in meaning."""
    digits, _, check = value.partition("-")
    if check and len(digits) == 8:
        lookup = {"cpv": value}
    else:
        prefix = digits.rstrip("0")
        lookup = {"cpv__startswith": prefix if len(prefix) >= 2 else digits[:2]}
    return queryset.filter(Q(**lookup) | Exists(Lot.objects.filter(tender=OuterRef("pk"), **lookup)))


def old_value(queryset, low, high):
    bounds = {}
    if low is not None:
        bounds["estimated_amount__gte"] = low
    if high is not None:
        bounds["estimated_amount__lte"] = high
    return queryset.filter(Q(**bounds) | Exists(Lot.objects.filter(tender=OuterRef("pk"), **bounds)))


@pytest.fixture
def varied(officer, other_officer):
    """Single-lot tenders (the lot a copy of the tender, or one lot with its
    own code and amount), multi-lot tenders whose lots differ from the tender
    and from each other (amounts with gaps between them, all equal amounts),
    drafts edited flat and by lots, an amended tender, a cancelled one."""
    rng = random.Random(22)
    made = []

    def fields(i, **overrides):
        return tender_fields(NOW - timedelta(minutes=200 - i), title=f"Tender {i}",
                             cpv=rng.choice(CODES), estimated_amount=rng.choice(AMOUNTS),
                             submission_deadline=NOW + timedelta(days=12 + i % 30), **overrides)

    def lots(n, equal=False):
        amount = rng.choice(AMOUNTS)
        return [{"title": f"Lot {k}", "cpv": rng.choice(CODES),
                 "estimated_amount": amount if equal else rng.choice(AMOUNTS)} for k in range(n)]

    for i in range(36):
        by = officer if i % 3 else other_officer
        kind = i % 6
        if kind in (0, 1):
            tender = services.create_draft(by=by, **fields(i))
        elif kind == 2:
            values = fields(i)
            one = lots(1)
            values["estimated_amount"] = one[0]["estimated_amount"]
            tender = services.create_draft(by=by, lots=one, **values)
        elif kind == 3:
            values = fields(i)
            many = lots(rng.randint(2, 6))
            values.pop("estimated_amount")
            tender = services.create_draft(by=by, lots=many, **values)
        elif kind == 4:
            values = fields(i)
            values.pop("estimated_amount")
            tender = services.create_draft(by=by, lots=lots(3, equal=True), **values)
        else:  # edited drafts: flat, then by lots for every other one
            tender = services.create_draft(by=by, **fields(i))
            services.update_draft(tender.pk, by=by, cpv=rng.choice(CODES), estimated_amount=rng.choice(AMOUNTS))
            if i % 12 == 5:
                services.update_draft(tender.pk, by=by, lots=lots(4))
        if i != 35:  # one draft stays out of the register
            services.publish_tender(tender.pk, by=by, now=NOW - timedelta(minutes=100 - i))
        made.append(tender.pk)
    services.amend_tender(made[1], by=officer, rationale="New estimate",
                          estimated_amount=Decimal("33000000.00"))
    services.cancel_tender(made[7], by=officer, reason="Financing moved")
    return {"ids": made, "buyer": officer.organisation_id}


def test_the_lot_summary_matches_the_lots(varied):
    for tender in Tender.objects.all():
        lots = Lot.objects.filter(tender=tender).values_list("cpv", "estimated_amount")
        assert {field: getattr(tender, field) for field in ("lot_cpvs", "lot_amount_min", "lot_amount_max")} \
            == lot_match(lots), tender.pk
    assert Tender.objects.filter(lot_count__gt=1).exclude(lot_cpvs="").exists()


CPVS = [None, "45", "4523", "45230000", "45233140-2", "45233140", "452331", "33", "331", "33600000-6",
        "39", "09134100-8", "72", "80", "10000000"]
BOUNDS = [(None, None), (Decimal("10000000"), None), (None, Decimal("10000000")),
          (Decimal("1000000"), Decimal("48000000.50")), (Decimal("2000"), Decimal("40000")),
          (Decimal("125000000"), Decimal("125000000")), (Decimal("1"), Decimal("999")),
          (Decimal("50000"), Decimal("7500000")), (Decimal("900000001"), None)]


@pytest.mark.parametrize("extra", ["", "status=active", "status=active,cancelled", "buyer={buyer}",
                                   f"deadline_before={(NOW + timedelta(days=30)).date()}T00:00:00Z",
                                   "q=tender", "ordering=-estimated_amount"])
def test_the_register_answers_as_the_exists_filters_did(api, varied, extra):
    extra = extra.format(buyer=varied["buyer"])
    base = tenders_public()
    if extra.startswith("status="):
        base = base.filter(status__in=extra.split("=")[1].split(","))
    elif extra.startswith("buyer="):
        base = base.filter(buyer_id=varied["buyer"])
    elif extra.startswith("deadline_before="):
        base = base.filter(submission_deadline__lte=NOW.replace(hour=0, minute=0, second=0, microsecond=0)
                           + timedelta(days=30))
    ordering = ("-estimated_amount", "-id") if extra.startswith("ordering=") else ("-published_at", "-id")
    compared = 0
    for cpv in CPVS:
        for low, high in BOUNDS:
            expected = base
            query = [extra] if extra else []
            if cpv is not None:
                expected = old_cpv(expected, cpv)
                query.append(f"cpv={cpv}")
            if low is not None or high is not None:
                expected = old_value(expected, low, high)
            if low is not None:
                query.append(f"value_min={low}")
            if high is not None:
                query.append(f"value_max={high}")
            expected_ids = list(expected.order_by(*ordering).values_list("pk", flat=True))
            response = api.get(f"/api/tenders/?{'&'.join(query + ['page_size=100'])}")
            assert response.status_code == 200, response.json()
            body = response.json()
            assert [row["id"] for row in body["results"]] == expected_ids, query
            assert body["count"] == len(expected_ids), query
            compared += bool(expected_ids)
    assert compared > len(CPVS) * len(BOUNDS) // 4  # most combinations match something


def test_a_tender_matches_through_a_lot_only_between_the_bounds(api, officer):
    # given a tender of two lots, 1,000 and 900,000,000 (sum 900,001,000)
    values = tender_fields(title="Gapped", cpv="45233140-2")
    values.pop("estimated_amount")
    tender = services.create_draft(by=officer, lots=[
        {"title": "Small", "cpv": "33141000-0", "estimated_amount": Decimal("1000")},
        {"title": "Large", "cpv": "45233140-2", "estimated_amount": Decimal("900000000")}], **values)
    services.publish_tender(tender.pk, by=officer)

    def found(query):
        return [row["id"] for row in api.get(f"/api/tenders/?{query}").json()["results"]]

    # then a range between the lots (and below the total) finds nothing; one around a lot finds it
    assert found("value_min=2000&value_max=800000000") == []
    assert found("value_min=500&value_max=2000") == [tender.pk]
    assert found("cpv=3314") == [tender.pk]
    assert found("cpv=33141000-0") == [tender.pk]
    assert found("cpv=33141000-1") == []


def test_a_tender_of_the_most_lots_with_distinct_codes_is_stored_and_found(api, officer):
    # The longest lot_cpvs (200 distinct codes) still fits the register's covering index on PostgreSQL.
    from tenders import cpv
    from tenders.models import MAX_LOTS

    codes = sorted(cpv.names("en"))[-MAX_LOTS:]
    values = tender_fields(title="Everything")
    values.pop("estimated_amount")
    tender = services.create_draft(by=officer, lots=[
        {"title": f"Lot {i}", "cpv": code, "estimated_amount": Decimal(1000 + i)} for i, code in enumerate(codes)],
        **values)
    services.publish_tender(tender.pk, by=officer)
    assert len(Tender.objects.get(pk=tender.pk).lot_cpvs) == 1 + 11 * MAX_LOTS
    body = api.get(f"/api/tenders/?cpv={codes[-1]}&value_min=1199&value_max=1199").json()
    assert [row["id"] for row in body["results"]] == [tender.pk]
