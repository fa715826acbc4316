from decimal import Decimal

from bids import services as bid_services


def test_publish_and_bid(make_tender, supplier, as_user):
    tender = make_tender()
    r = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/", {"amount": "100.50", "currency": "KZT"}, format="json")
    assert r.status_code == 201, r.json()
    r = as_user(None).get("/api/tenders/")
    assert r.status_code == 200, r.content
    assert r.json()["results"][0]["bid_count"] == 1
