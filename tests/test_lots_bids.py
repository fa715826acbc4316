"""Sealed bids by lots and the opening per lot (DESIGN.md "Lots"): one bid
per supplier covering any subset of the lots, one receipt over the whole
content, every lot opened at the deadline with ``min_bids`` per lot, and
nothing of a bid's lots visible before the opening."""

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import services
from bids.models import Bid, BidVersion, Offer
from tenders import services as tender_services
from tenders.models import LotStatus, Status
from tests.conftest import tender_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_lots_tender(officer):
    def make(n=3, *, now=None, min_bids=1, **overrides):
        now = now or timezone.now()
        fields = tender_fields(now, min_bids=min_bids, **overrides)
        fields.pop("estimated_amount")
        tender = tender_services.create_draft(
            by=officer, lots=[{"title": f"Lot {i + 1}", "estimated_amount": Decimal(1000 * (i + 1))}
                              for i in range(n)], **fields)
        tender = tender_services.publish_tender(tender.pk, by=officer, now=now)
        tender.refresh_from_db()
        return tender
    return make


def lot_ids(tender):
    return list(tender.lots.order_by("position").values_list("pk", flat=True))


def offers(*pairs):
    return [{"lot": lot, "amount": amount} for lot, amount in pairs]


def test_a_supplier_bids_on_a_subset_of_the_lots_with_one_receipt(make_lots_tender, supplier, as_user):
    tender = make_lots_tender()
    a, b, c = lot_ids(tender)
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/",
                                      {"lots": offers((c, "300.00"), (a, "100.50")), "currency": "KZT"},
                                      format="json")
    assert response.status_code == 201, response.json()
    receipt = response.json()
    content = json.loads(receipt["content"])
    assert content["lots"] == [{"amount": "100.50", "lot": a}, {"amount": "300.00", "lot": c}]
    assert "amount" not in content
    assert hashlib.sha256(receipt["content"].encode()).hexdigest() == receipt["sha256"]
    # a second POST is refused; replace and withdraw act on the whole bid
    again = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/",
                                   {"lots": offers((b, "5.00")), "currency": "KZT"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "bid_exists"
    put = as_user(supplier).put(f"/api/tenders/{tender.pk}/bids/{receipt['bid']}/",
                                {"lots": offers((b, "200.00")), "currency": "KZT"}, format="json")
    assert put.status_code == 201 and json.loads(put.json()["content"])["lots"] == [{"amount": "200.00", "lot": b}]


@pytest.mark.parametrize("body, code", [
    ({"amount": "5.00"}, "lots_required"),
    ({"lots": [{"lot": 999999, "amount": "5.00"}]}, "unknown_lot"),
    ({"lots": "not json"}, "lots_invalid"),
    ({"lots": []}, "lots_invalid"),
    ({"lots": [{"lot": "x", "amount": "5.00"}]}, "lots_invalid"),
    ({"lots": [{"lot": 1, "amount": "-5"}]}, "lots_invalid"),
    ({"lots": [{"lot": 1, "amount": "1.001"}]}, "lots_invalid"),
    ({"lots": [{"lot": 1, "amount": "NaN"}]}, "lots_invalid"),
    ({"lots": [{"lot": 1, "amount": "5"}, {"lot": 1, "amount": "6"}]}, "lots_invalid"),
    ({"amount": "5.00", "lots": [{"lot": 1, "amount": "5"}]}, "amount_or_lots"),
])
def test_bad_lot_bids_are_refused_and_nothing_is_stored(make_lots_tender, supplier, as_user, body, code):
    tender = make_lots_tender()
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/", {**body, "currency": "KZT"},
                                      format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert not Bid.objects.exists()


def test_a_single_lot_tender_takes_a_flat_amount_with_the_old_receipt_or_its_lot(make_tender, make_supplier,
                                                                                 as_user):
    tender = make_tender()
    (lot,) = lot_ids(tender)
    flat = as_user(make_supplier()).post(f"/api/tenders/{tender.pk}/bids/", {"amount": "10.00", "currency": "KZT"},
                                         format="json").json()
    assert set(json.loads(flat["content"])) == {"tender", "supplier", "amount", "currency", "answers",
                                                "documents", "nonce"}
    by_lot = as_user(make_supplier()).post(f"/api/tenders/{tender.pk}/bids/",
                                           {"lots": offers((lot, "9.00")), "currency": "KZT"}, format="json")
    assert by_lot.status_code == 201
    services.open_tender(tender.pk, now=tender.submission_deadline)
    assert sorted(Offer.objects.values_list("lot_id", "amount")) == [(lot, Decimal("9.00")), (lot, Decimal("10.00"))]


def test_every_lot_opens_together_with_min_bids_per_lot(make_lots_tender, make_supplier, api):
    start = timezone.now() - timedelta(days=30)
    tender = make_lots_tender(now=start, min_bids=2)
    a, b, c = lot_ids(tender)
    subsets = [((a, "100.00"), (b, "200.00")), ((a, "90.00"),), ((b, "210.00"), (c, "300.00"))]
    for i, subset in enumerate(subsets):
        content = services.BidContent(amount=None, currency="KZT", answers={}, documents=[],
                                      lots=[(lot, Decimal(v)) for lot, v in subset])
        services.submit_bid(tender.pk, by=make_supplier(), content=content, now=start + timedelta(days=1, minutes=i))
    assert services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    tender.refresh_from_db()
    assert tender.status == Status.EVALUATION
    statuses = dict(tender.lots.values_list("pk", "status"))
    assert statuses == {a: LotStatus.EVALUATION, b: LotStatus.EVALUATION, c: LotStatus.UNSUCCESSFUL}
    opening = api.get(f"/api/tenders/{tender.pk}/opening/").json()
    by_lot = {entry["lot"]: entry for entry in opening["lots"]}
    assert [o["amount"] for o in by_lot[a]["offers"]] == ["100.00", "90.00"]
    assert by_lot[c]["status"] == "unsuccessful" and len(by_lot[c]["offers"]) == 1
    first = opening["bids"][0]
    assert first["amount"] == "300.00" and first["lots"] == [{"lot": a, "amount": "100.00"},
                                                             {"lot": b, "amount": "200.00"}]
    bids = api.get(f"/api/tenders/{tender.pk}/bids/").json()
    assert {len(bid["lots"]) for bid in bids} == {1, 2}
    # each bidder can recompute its receipt hash from the published record
    entry = api.get(f"/api/tenders/{tender.pk}/audit/").json()["entries"]
    assert any(e["event"] == "bids_opened" and len(e["data"]["lots"]) == 3 for e in entry)


def test_a_tender_whose_every_lot_has_too_few_bids_is_unsuccessful(make_lots_tender, make_supplier):
    start = timezone.now() - timedelta(days=30)
    tender = make_lots_tender(now=start, min_bids=2)
    a, *_ = lot_ids(tender)
    services.submit_bid(tender.pk, by=make_supplier(), now=start + timedelta(days=1),
                        content=services.BidContent(amount=None, currency="KZT", answers={}, documents=[],
                                                    lots=[(a, Decimal(5))]))
    services.open_tender(tender.pk, now=tender.submission_deadline)
    tender.refresh_from_db()
    assert tender.status == Status.UNSUCCESSFUL
    assert set(tender.lots.values_list("status", flat=True)) == {LotStatus.UNSUCCESSFUL}


def test_the_sealed_size_does_not_tell_how_many_lots_a_bid_covers(make_lots_tender, make_supplier):
    tender = make_lots_tender(n=40)
    ids = lot_ids(tender)
    for count in (1, 7, 40):
        content = services.BidContent(amount=None, currency="KZT", answers={}, documents=[],
                                      lots=[(lot, Decimal("918273645123.37")) for lot in ids[:count]])
        services.submit_bid(tender.pk, by=make_supplier(), content=content)
    assert len({len(bytes(v.sealed)) for v in BidVersion.objects.filter(bid__tender=tender)}) == 1


def test_nothing_of_a_bids_lots_shows_before_the_opening(make_lots_tender, make_supplier, officer, as_user):
    tender = make_lots_tender()
    a, b, c = lot_ids(tender)
    bidder, rival = make_supplier(), make_supplier()
    as_user(bidder).post(f"/api/tenders/{tender.pk}/bids/",
                         {"lots": offers((b, "918273645.37")), "currency": "KZT"}, format="json")
    bid = Bid.objects.get()
    base = f"/api/tenders/{tender.pk}/"
    for user in (None, rival, officer, bidder):
        for path in ("/api/tenders/", base, base + "bids/", base + f"bids/{bid.pk}/", base + "audit/",
                     base + "opening/", base + "ocds/"):
            body = as_user(user).get(path).content.decode()
            assert "918273645" not in body, path
            assert '"lots":[{"lot"' not in body.replace(" ", ""), path
            assert f'"lot": {b}' not in body and f'"lot":{b}' not in body, path
    assert not Offer.objects.exists()


def test_an_idempotent_retry_of_a_bid_by_lots_returns_the_same_receipt(make_lots_tender, supplier, as_user):
    tender = make_lots_tender()
    a, b, _ = lot_ids(tender)
    body = {"lots": offers((a, "10.00"), (b, "20.00")), "currency": "KZT"}
    client = as_user(supplier)
    first = client.post(f"/api/tenders/{tender.pk}/bids/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # the same offers in another order are the same request
    again = client.post(f"/api/tenders/{tender.pk}/bids/", {**body, "lots": list(reversed(body["lots"]))},
                        format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert (again.json()["sha256"], again.json()["content"]) == (first.json()["sha256"], first.json()["content"])
    other = client.post(f"/api/tenders/{tender.pk}/bids/", {**body, "lots": offers((a, "10.01"))}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert BidVersion.objects.count() == 1


def test_a_bid_by_lots_at_the_deadline_is_refused(make_lots_tender, supplier):
    from tenders.services import DeadlinePassed

    tender = make_lots_tender()
    a, *_ = lot_ids(tender)
    with pytest.raises(DeadlinePassed):
        services.submit_bid(tender.pk, by=supplier, now=tender.submission_deadline,
                            content=services.BidContent(amount=None, currency="KZT", answers={}, documents=[],
                                                        lots=[(a, Decimal(5))]))
    assert not Bid.objects.exists()


@pytest.mark.parametrize("lang, detail", [
    ("en", 'This tender has several lots: give your offers as "lots".'),
    ("ru", "В этом тендере несколько лотов: укажите предложения по лотам."),
    ("kk", "Бұл тендерде бірнеше лот бар: ұсыныстарды лоттар бойынша көрсетіңіз."),
])
def test_the_lot_errors_speak_the_requests_language(make_lots_tender, supplier, as_user, lang, detail):
    tender = make_lots_tender()
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/", {"amount": "5.00", "currency": "KZT"},
                                      format="json", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["detail"]) == ("lots_required", detail)
