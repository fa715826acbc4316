"""Rotating PROCUREMENT_PLATFORM_KEY: a keyring with key ids. Tenders sealed
and receipts signed under the old key still open and verify; the rotation
command re-seals every tender key under the new key; an idempotent retry
that straddles the rotation still replays."""

import base64
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from bids import receipts, services
from core import sealing
from bids.models import Bid
from bids.serializers import ReceiptOut
from bids.services import BidContent
from tenders.models import Tender

pytestmark = pytest.mark.django_db

OLD = base64.b64encode(b"old-platform-key-for-rotation-t1").decode()
NEW = base64.b64encode(b"new-platform-key-for-rotation-t2").decode()


def rotate(settings, current, *retired):
    settings.PROCUREMENT_PLATFORM_KEY = current
    settings.PROCUREMENT_PLATFORM_RETIRED_KEYS = ",".join(retired)


def content(amount):
    return BidContent(amount=Decimal(amount), currency="KZT", answers={}, documents=[])


@pytest.fixture
def clock():
    now = timezone.now()
    return {"published": now - timedelta(hours=2), "now": now, "deadline": now + timedelta(minutes=10)}


@pytest.fixture
def old_tender(settings, make_tender, clock):
    rotate(settings, OLD)
    return make_tender(now=clock["published"], submission_deadline=clock["deadline"],
                       clarification_deadline=clock["deadline"] - timedelta(minutes=5))


def test_key_ids_are_public_and_stable(settings):
    rotate(settings, OLD)
    old_id = sealing.current_key_id()
    rotate(settings, NEW, OLD)
    ring = sealing.keyring()
    assert ring.current.key_id != old_id and [k.key_id for k in ring.retired] == [old_id]
    assert sealing.key_id_of(bytes(ring.retired[0].verify_key)) == old_id


def test_old_receipts_verify_and_old_tenders_open_after_rotation(settings, api, old_tender, supplier,
                                                                  make_supplier, clock):
    old_id = sealing.current_key_id()
    first = services.submit_bid(old_tender.pk, by=supplier, content=content("100.00"), now=clock["now"])
    assert first.key_id == old_id and ReceiptOut.dump(first)["key_id"] == old_id

    rotate(settings, NEW, OLD)
    new_id = sealing.current_key_id()
    second = services.submit_bid(old_tender.pk, by=make_supplier(), content=content("200.00"),
                                 now=clock["now"] + timedelta(seconds=1))
    assert second.key_id == new_id and ReceiptOut.dump(second)["public_key"] == receipts.public_key_hex()

    # both receipts verify, each under its own key, with or without the key id
    for receipt, key_id in ((first, old_id), (second, new_id)):
        params = {"tender": receipt.tender, "bid": receipt.bid, "sha256": receipt.sha256,
                  "received_at": receipt.received_at, "signature": receipt.signature}
        answer = api.get("/api/receipts/verify/", params).json()
        assert answer["valid"] is True and answer["key_id"] == key_id
        assert api.get("/api/receipts/verify/", {**params, "key_id": key_id}).json()["valid"] is True
        wrong = new_id if key_id == old_id else old_id
        assert api.get("/api/receipts/verify/", {**params, "key_id": wrong}).json()["valid"] is False
    # a stored old receipt read back names the key that signed it
    assert services.Receipt.of(Bid.objects.get(pk=first.bid).current).key_id == old_id

    keys = api.get("/api/receipts/public-key/").json()
    assert keys["key_id"] == new_id
    assert [(k["key_id"], k["current"]) for k in keys["keys"]] == [(new_id, True), (old_id, False)]

    # the tender key is still under the old platform key, and it opens
    assert sealing.sealing_key_id(Tender.objects.get(pk=old_tender.pk).sealed_private_key) == old_id
    assert services.open_tender(old_tender.pk, now=clock["deadline"])
    amounts = sorted(b.amount for b in Bid.objects.filter(tender=old_tender))
    assert amounts == [Decimal("100.00"), Decimal("200.00")]


def test_rotation_command_reseals_tender_keys_so_the_old_key_can_go(settings, old_tender, supplier, clock):
    services.submit_bid(old_tender.pk, by=supplier, content=content("321.00"), now=clock["now"])
    old_id = sealing.current_key_id()
    rotate(settings, NEW, OLD)
    new_id = sealing.current_key_id()

    out = StringIO()
    call_command("rotate_platform_key", "--dry-run", stdout=out)
    assert "would re-seal 1" in out.getvalue()
    assert sealing.sealing_key_id(Tender.objects.get(pk=old_tender.pk).sealed_private_key) == old_id

    out = StringIO()
    call_command("rotate_platform_key", stdout=out)
    assert "re-sealed 1" in out.getvalue() and f"Receipts signed by {old_id}: 1" in out.getvalue()
    assert sealing.sealing_key_id(Tender.objects.get(pk=old_tender.pk).sealed_private_key) == new_id
    out = StringIO()
    call_command("rotate_platform_key", stdout=out)  # idempotent
    assert "re-sealed 0, already under the current key 1" in out.getvalue()

    # without the old key at all, the re-sealed tender still opens (its old
    # receipt no longer verifies: that is what keeping a retired key is for)
    rotate(settings, NEW)
    assert services.open_tender(old_tender.pk, now=clock["deadline"])
    assert Bid.objects.get(tender=old_tender).amount == Decimal("321.00")
    with pytest.raises(CommandError, match="verify under no key"):
        call_command("rotate_platform_key", stdout=StringIO())


def test_a_tender_key_under_a_key_not_in_the_ring_is_refused_by_name(settings, old_tender):
    rotate(settings, NEW)
    with pytest.raises(CommandError, match=f"Tender {old_tender.pk}"):
        call_command("rotate_platform_key", stdout=StringIO())


def test_legacy_tender_keys_without_a_key_id_still_open_and_reseal(settings, old_tender, supplier, clock):
    services.submit_bid(old_tender.pk, by=supplier, content=content("55.00"), now=clock["now"])
    tender = Tender.objects.get(pk=old_tender.pk)
    private = sealing._unseal_private_key(tender.sealed_private_key)
    legacy = bytes(sealing.keyring().current.box.encrypt(private))  # as stored before key ids
    Tender.objects.filter(pk=tender.pk).update(sealed_private_key=legacy)
    rotate(settings, NEW, OLD)
    call_command("rotate_platform_key", stdout=StringIO())
    assert sealing.sealing_key_id(Tender.objects.get(pk=tender.pk).sealed_private_key) == sealing.current_key_id()
    assert services.open_tender(tender.pk, now=clock["deadline"])


def test_an_idempotent_retry_across_a_rotation_replays(settings, old_tender, supplier, clock):
    first = services.submit_bid(old_tender.pk, by=supplier, content=content("10.00"), idempotency_key="k-1",
                                now=clock["now"])
    rotate(settings, NEW, OLD)
    retry = services.submit_bid(old_tender.pk, by=supplier, content=content("10.00"), idempotency_key="k-1",
                                now=clock["now"])
    assert retry.replayed and (retry.bid, retry.sha256, retry.signature) == (first.bid, first.sha256,
                                                                            first.signature)


def test_score_salt_does_not_change_with_the_platform_key(settings, old_tender):
    from evaluation.selectors import commitment_salt
    before = commitment_salt(old_tender.pk)
    rotate(settings, NEW, OLD)
    call_command("rotate_platform_key", stdout=StringIO())
    assert commitment_salt(old_tender.pk) == before
