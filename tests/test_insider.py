"""An insider with write access to the database, but not the platform key,
alters a sealed bid before the opening. Anyone can seal to a tender's public
key, so the swap itself is possible; what holds is that it cannot go
unnoticed: the opening checks each decrypted content against the hash in its
bidder's signed receipt and sets a mismatch aside in public, and the
published amount, answers, documents and nonce let anyone rebuild each
opened bid's canonical content and compare."""

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import receipts, services
from core import sealing
from bids.models import Bid, BidVersion

pytestmark = pytest.mark.django_db


def rebuild(bid_json: dict, tender_id: int) -> str:
    """What any observer computes from the public bid list after the opening."""
    documents = [{k: d[k] for k in ("content_type", "name", "sha256", "size")} for d in bid_json["documents"]]
    return hashlib.sha256(receipts.canonical_bid(
        tender_id=tender_id, supplier_tax_id=bid_json["supplier"]["tax_id"], amount=Decimal(bid_json["amount"]),
        currency=bid_json["currency"], answers=bid_json["answers"], documents=documents,
        nonce=bid_json["nonce"])).hexdigest()


def test_a_sealed_bid_swapped_in_the_database_is_exposed_by_the_public_record(make_tender, make_supplier, api):
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=5),
                         clarification_deadline=now - timedelta(hours=1))
    honest, victim = make_supplier(), make_supplier()
    kept = services.submit_bid(tender.pk, by=honest, content=services.BidContent(
        amount=Decimal("900.00"), currency="KZT", answers={}, documents=[]), now=now)
    receipt = services.submit_bid(tender.pk, by=victim, content=services.BidContent(
        amount=Decimal("500.00"), currency="KZT", answers={}, documents=[]), now=now)

    # the insider replaces the victim's sealed box with one of a higher price (same nonce, same supplier)
    original = json.loads(receipt.content)
    forged = receipts.canonical_bid(tender_id=tender.pk, supplier_tax_id=original["supplier"],
                                    amount=Decimal("5000.00"), currency="KZT", answers={}, documents=[],
                                    nonce=original["nonce"])
    BidVersion.objects.filter(bid_id=receipt.bid).update(sealed=sealing.seal(tender.public_key, forged))
    assert services.open_tender(tender.pk, now=tender.submission_deadline)

    # the opening does not take the forgery: the bid is set aside, in public, with the receipt's hash
    forged_bid = Bid.objects.get(pk=receipt.bid)
    assert forged_bid.amount is None and forged_bid.set_aside == "hash_mismatch"
    opening = api.get(f"/api/tenders/{tender.pk}/opening/").json()
    assert "hash_mismatch" in json.dumps(opening) and receipt.sha256 in json.dumps(opening)
    # the honest bid opens, and anyone can rebuild its hash from what is published
    bids = {b["id"]: b for b in api.get(f"/api/tenders/{tender.pk}/bids/").json()}
    assert Bid.objects.get(pk=kept.bid).amount == Decimal("900.00")
    assert rebuild(bids[kept.bid], tender.pk) == kept.sha256 == bids[kept.bid]["sha256"]
    # and the victim's receipt still verifies: the platform signed the original hash, not the forgery
    assert receipts.verify(tender_id=tender.pk, bid_id=receipt.bid, sha256=receipt.sha256,
                           received_at=receipt.received_at, signature=receipt.signature)


def test_an_insider_cannot_forge_a_receipt_for_a_changed_hash(make_tender, supplier):
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=5),
                         clarification_deadline=now - timedelta(hours=1))
    receipt = services.submit_bid(tender.pk, by=supplier, content=services.BidContent(
        amount=Decimal("500.00"), currency="KZT", answers={}, documents=[]), now=now)
    forged_hash = hashlib.sha256(b"another content").hexdigest()
    BidVersion.objects.filter(bid_id=receipt.bid).update(sha256=forged_hash)
    stored = BidVersion.objects.get(bid_id=receipt.bid)
    assert not receipts.verify(tender_id=tender.pk, bid_id=receipt.bid, sha256=stored.sha256,
                               received_at=receipt.received_at, signature=stored.signature)
