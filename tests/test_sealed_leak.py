"""The worst bug this platform can have is a sealed bid leaking before the
opening. Submit bids with distinctive content, then look everywhere a person
could look before the deadline; after the opening, the content appears where
DESIGN.md says it does."""

import asyncio
import hashlib
import io
import json
import logging
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from bids import services
from bids.models import Bid, BidVersion, IdempotencyRecord
from live import events
from tenders.models import Tender

PRICE = "918273645.37"
ANSWER = "WARRANTY-SECRET-7f3a9c"
DOCUMENT_TEXT = b"TECHNICAL-OFFER-SECRET-c0ffee"
DOCUMENT_NAME = "secret-offer-b4d2.txt"
SECRETS = [PRICE, "918273645", ANSWER, DOCUMENT_TEXT.decode(), DOCUMENT_NAME]


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"sealed content {secret!r} leaked through {where}"


@pytest.fixture
def app_log():
    """Everything any logger writes, at DEBUG, from fixture set-up to the end."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture
def sealed_tender(app_log, make_tender, make_supplier, officer, as_user):
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=10),
                         clarification_deadline=now + timedelta(minutes=5), award_method="best_value",
                         price_weight=80, criteria=[{"name": "Warranty", "weight": 20}])
    criterion = tender.criteria.get()
    bidder = make_supplier("Distinctive Bidder LLP")
    document = SimpleUploadedFile(DOCUMENT_NAME, DOCUMENT_TEXT, content_type="text/plain")
    response = as_user(bidder).post(
        f"/api/tenders/{tender.pk}/bids/",
        {"amount": PRICE, "currency": "KZT", "answers": f'{{"{criterion.pk}": "{ANSWER}"}}',
         "documents": [document]},
        format="multipart",
    )
    assert response.status_code == 201
    bid = Bid.objects.get()
    # and a replacement, whose earlier version must stay sealed too
    as_user(bidder).put(f"/api/tenders/{tender.pk}/bids/{bid.pk}/",
                        {"amount": "918273645.36", "currency": "KZT",
                         "answers": {str(criterion.pk): ANSWER}}, format="json")
    return {"tender": Tender.objects.get(pk=tender.pk), "bid": bid, "bidder": bidder, "officer": officer}


def every_view(tender, bid) -> list[str]:
    base = f"/api/tenders/{tender.pk}/"
    return ["/api/tenders/", f"/api/tenders/?q={PRICE}", base, base + "bids/", base + f"bids/{bid.pk}/",
            base + f"bids/{bid.pk}/documents/0/", base + "opening/", base + "audit/", base + "documents/",
            base + "amendments/", "/api/schema/"]


@pytest.mark.django_db(transaction=True)
def test_nothing_leaks_before_the_opening(sealed_tender, make_supplier, staff, as_user, app_log):
    tender, bid = sealed_tender["tender"], sealed_tender["bid"]
    rival = make_supplier("Rival LLP")

    # every API response, for every role (the bidder's own GETs included)
    for user in [None, rival, sealed_tender["officer"], staff, sealed_tender["bidder"]]:
        for path in every_view(tender, bid):
            response = as_user(user).get(path)
            assert response.status_code < 500, path
            body = b"".join(response) if response.streaming else response.content
            assert_no_secret(body.decode(errors="replace"), f"GET {path} as {user}")

    # the Django admin, as a superuser
    admin = Client()
    admin.force_login(staff)
    for path in ["/admin/bids/bid/", f"/admin/bids/bid/{bid.pk}/change/", "/admin/bids/bidversion/",
                 f"/admin/bids/bidversion/{BidVersion.objects.first().pk}/change/", "/admin/tenders/tender/",
                 f"/admin/tenders/tender/{tender.pk}/change/", "/admin/audit/auditentry/"]:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert_no_secret(response.content.decode(), f"admin {path}")

    # a database dump (Django's, and PostgreSQL's own when on PostgreSQL)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert_no_secret(dump.getvalue(), "dumpdata")
    if connection.vendor == "postgresql":
        params = connection.get_connection_params()
        pg_dump = subprocess.run(
            ["pg_dump", "-h", params.get("host", "127.0.0.1"), "-p", str(params.get("port", 5432)),
             "-U", params.get("user", "postgres"), "--data-only", params["dbname"]],
            capture_output=True, check=True,
        )
        assert_no_secret(pg_dump.stdout.decode(errors="replace"), "pg_dump")

    # the stored files
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            assert_no_secret(path.read_bytes().decode(errors="replace"), f"stored file {path}")
            assert DOCUMENT_NAME not in path.name

    # the application log
    assert "Sealed bid" in app_log.getvalue()  # the log did capture the submissions
    assert_no_secret(app_log.getvalue(), "the log")


@pytest.mark.django_db(transaction=True)
def test_no_socket_event_carries_content_before_opening(make_tender, make_supplier, as_user):
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=10),
                         clarification_deadline=now + timedelta(minutes=5))
    rival = make_supplier()
    bidder = make_supplier()

    def submit():
        response = as_user(bidder).post(f"/api/tenders/{tender.pk}/bids/", {"amount": PRICE, "currency": "KZT"},
                                        format="json")
        assert response.status_code == 201

    async def listen() -> list[str]:
        # one event loop for the whole exchange: the Redis pub/sub layer is per loop
        layer = get_channel_layer()
        channel = await layer.new_channel()
        for group in [events.FEED_GROUP, events.tender_group(tender.pk), events.org_group(rival.organisation_id),
                      events.private_group(tender.pk, rival.organisation_id)]:
            await layer.group_add(group, channel)
        await sync_to_async(submit)()
        received = []
        while True:
            try:
                async with asyncio.timeout(0.5):
                    received.append((await layer.receive(channel))["text"])
            except TimeoutError:
                return received

    received = async_to_sync(listen)()

    assert any('"bid_count_changed"' in text for text in received)
    for text in received:
        assert_no_secret(text, "a public or rival socket")


@pytest.mark.django_db(transaction=True)
def test_content_appears_after_the_opening(sealed_tender, api):
    tender, bid = sealed_tender["tender"], sealed_tender["bid"]

    services.open_tender(tender.pk, now=tender.submission_deadline)

    opening = api.get(f"/api/tenders/{tender.pk}/opening/").json()
    assert opening["bids"][0]["amount"] == "918273645.36"  # the replacement counts
    bids = api.get(f"/api/tenders/{tender.pk}/bids/").json()
    assert ANSWER in str(bids[0]["answers"])
    assert bids[0]["documents"] == []  # the replacement carried no document
    audit = api.get(f"/api/tenders/{tender.pk}/audit/").json()
    assert "918273645.36" in str(audit["entries"][-2:])
    # earlier versions stay sealed in history
    assert BidVersion.objects.filter(bid=bid).count() == 2


def test_the_stored_hashes_do_not_give_the_price_away_to_a_guesser(make_tender, supplier, as_user):
    # given a bid whose price a guesser has on its list
    tender = make_tender()
    price = "918273645.37"
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/", {"amount": price, "currency": "KZT"},
                                      format="json", HTTP_IDEMPOTENCY_KEY="guess-me")
    assert response.status_code == 201
    version = BidVersion.objects.get(bid__tender=tender)
    record = IdempotencyRecord.objects.get(key="guess-me")
    # when someone holding a database dump (or the admin's version list) hashes each candidate
    # the way the receipt and the key's record are built, knowing everything but the price
    candidates = [f"{Decimal(price) + Decimal(cents) / 100:.2f}" for cents in range(-50, 51)]

    def receipt_hash(amount, **extra):
        content = {"tender": tender.pk, "supplier": supplier.organisation.tax_id, "amount": amount,
                   "currency": "KZT", "answers": {}, "documents": [], **extra}
        return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    def request_hash(amount):
        body = {"action": "submit", "tender": tender.pk, "amount": amount, "currency": "KZT", "answers": {},
                "documents": []}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    guesses = {h for amount in candidates for h in (receipt_hash(amount), receipt_hash(amount, nonce=""),
                                                     request_hash(amount))}
    # then no candidate, the true price included, reproduces either stored hash
    assert version.sha256 not in guesses
    assert record.fingerprint not in guesses
    # while the bidder, holding the receipt's content (with the platform's nonce), can recompute its hash
    assert hashlib.sha256(response.json()["content"].encode()).hexdigest() == version.sha256


def test_the_sealed_size_does_not_tell_the_price(make_tender, make_supplier, as_user):
    # given bids whose prices have from 3 to 12 digits
    tender = make_tender()
    for amount in ["999.99", "1000.00", "99999999.99", "918273645123.37"]:
        response = as_user(make_supplier()).post(f"/api/tenders/{tender.pk}/bids/",
                                                 {"amount": amount, "currency": "KZT"}, format="json")
        assert response.status_code == 201
    # then every sealed box has the same size
    sizes = {len(bytes(v.sealed)) for v in BidVersion.objects.filter(bid__tender=tender)}
    assert len(sizes) == 1


def test_a_box_sealed_before_padding_still_opens(make_tender):
    from nacl.public import PublicKey, SealedBox

    from core import sealing

    tender = make_tender()
    legacy = bytes(SealedBox(PublicKey(bytes(tender.public_key))).encrypt(b'{"amount":"1.00"}'))
    assert sealing.Opener(tender.sealed_private_key).open(legacy) == b'{"amount":"1.00"}'
    assert sealing.Opener(tender.sealed_private_key).open(sealing.seal(tender.public_key, b"x" * 70_000)) \
        == b"x" * 70_000


def admin_pages(client) -> list[str]:
    """Every page of every model the admin registers: the list (and its
    search), and each object's change, history and delete pages."""
    from django.contrib import admin

    pages = []
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages.append(base)
        if model_admin.search_fields:
            pages.append(base + "?q=Distinctive")
        for pk in model._default_manager.values_list("pk", flat=True)[:50]:
            pages += [f"{base}{pk}/change/", f"{base}{pk}/history/", f"{base}{pk}/delete/"]
    return pages


@pytest.mark.django_db(transaction=True)
def test_no_admin_page_tells_who_bid_or_asked_before_the_opening(sealed_tender, staff):
    # given a sealed bid, a question from the bidder, and an amendment that
    # makes the platform ask the bidder (privately) to confirm its bid
    from clarifications import services as clarifications
    from tenders import services as tenders

    tender, bidder, officer = sealed_tender["tender"], sealed_tender["bidder"], sealed_tender["officer"]
    clarifications.ask_question(tender.pk, by=bidder, text="QUESTION-FROM-THE-BIDDER-5e1f")
    tenders.amend_tender(tender.pk, by=officer, rationale="Scope clarified", description="Resurfacing of 3 km.")
    assert Bid.objects.get().needs_confirmation
    identity = [bidder.organisation.name, bidder.organisation.tax_id, bidder.username]
    tender_marks = [tender.title, "QUESTION-FROM-THE-BIDDER-5e1f"]

    # when staff open every page of every model in the admin
    admin = Client()
    admin.force_login(staff)
    for path in admin_pages(admin):
        response = admin.get(path)
        assert response.status_code < 500, path
        page = response.content.decode(errors="replace")
        # then no page has sealed content, nor both the bidder and the tender (or its question)
        assert_no_secret(page, f"admin {path}")
        named = [mark for mark in identity if mark in page]
        about = [mark for mark in tender_marks if mark in page]
        assert not (named and about), f"admin {path} names {named} with {about}"


# --- lots: not even which lots a supplier bid on, nor how many ---------------------------------

LOT_PRICE = "918273645.11"


@pytest.mark.django_db(transaction=True)
def test_nothing_tells_which_lots_a_bid_covers_before_the_opening(officer, make_supplier, staff, as_user, app_log):
    from notifications.models import Notification
    from opendata.models import Release
    from tenders import services as tenders
    from tests.conftest import tender_fields

    now = timezone.now()
    fields = tender_fields(now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=10),
                           clarification_deadline=now + timedelta(minutes=5))
    fields.pop("estimated_amount")
    draft = tenders.create_draft(by=officer, lots=[{"title": f"Lot {i}", "estimated_amount": Decimal(1000)}
                                                   for i in range(5)], **fields)
    tender = tenders.publish_tender(draft.pk, by=officer, now=now - timedelta(hours=2))
    lot_ids = list(tender.lots.order_by("position").values_list("pk", flat=True))
    chosen = lot_ids[3]
    bidder, rival = make_supplier("Lot Bidder LLP"), make_supplier("Lot Rival LLP")
    received = []

    async def listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        for group in [events.FEED_GROUP, events.tender_group(tender.pk), events.org_group(rival.organisation_id),
                      events.private_group(tender.pk, rival.organisation_id)]:
            await layer.group_add(group, channel)

        def submit():
            response = as_user(bidder).post(f"/api/tenders/{tender.pk}/bids/",
                                            {"lots": [{"lot": chosen, "amount": LOT_PRICE}], "currency": "KZT"},
                                            format="json")
            assert response.status_code == 201
            bid = Bid.objects.get()
            response = as_user(bidder).put(f"/api/tenders/{tender.pk}/bids/{bid.pk}/",
                                           {"lots": [{"lot": chosen, "amount": LOT_PRICE},
                                                     {"lot": lot_ids[1], "amount": LOT_PRICE}], "currency": "KZT"},
                                           format="json")
            assert response.status_code == 201
        await sync_to_async(submit)()
        while True:
            try:
                async with asyncio.timeout(0.5):
                    received.append((await layer.receive(channel))["text"])
            except TimeoutError:
                return

    async_to_sync(listen)()
    bid = Bid.objects.get()

    def assert_silent(text: str, where: str) -> None:
        compact = text.replace(" ", "")
        assert LOT_PRICE not in text and "918273645" not in text, f"a price leaked through {where}"
        for lot in (chosen, lot_ids[1]):
            assert f'"lot":{lot}' not in compact, f"the lot choice leaked through {where}"
        assert '"lots":[{"lot"' not in compact and '"lots":[{"amount"' not in compact, \
            f"offers leaked through {where}"

    for text in received:
        assert_silent(text, "a public or rival socket")
    for user in [None, rival, officer, staff, bidder]:
        for path in every_view(tender, bid) + [f"/api/tenders/{tender.pk}/ocds/",
                                               f"/api/tenders/{tender.pk}/ocds/record/"]:
            response = as_user(user).get(path)
            assert response.status_code < 500, path
            body = b"".join(response) if response.streaming else response.content
            assert_silent(body.decode(errors="replace"), f"GET {path} as {user}")
    admin = Client()
    admin.force_login(staff)
    for path in admin_pages(admin):
        response = admin.get(path)
        assert response.status_code < 500, path
        assert_silent(response.content.decode(errors="replace"), f"admin {path}")
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert_silent(dump.getvalue(), "dumpdata")
    for text in Release.objects.filter(tender=tender).values_list("text", flat=True):
        assert_silent(text, "a stored OCDS release")
    for subject, body in Notification.objects.values_list("subject", "body"):
        assert_silent(subject + body, "a notification")
    assert_silent(app_log.getvalue(), "the log")
    # every sealed version is the same size whatever the number of lots
    assert len({len(bytes(v.sealed)) for v in BidVersion.objects.filter(bid=bid)}) == 1


# --- procurement methods (issue 19): the new paths keep the seal ---------------------------------

@pytest.mark.parametrize("method", ["price_quotation", "single_source"])
def test_nothing_leaks_before_the_opening_of_a_quotation_or_a_direct_award(method, make_tender, make_supplier,
                                                                           officer, staff, as_user, settings):
    settings.PROCUREMENT_MIN_QUOTATION_PERIOD = 3600
    now = timezone.now()
    bidder, rival = make_supplier("Named Bidder LLP"), make_supplier("Rival LLP")
    terms = {"estimated_amount": Decimal("1000000")}
    if method == "single_source":
        terms.update(supplier={"bin": bidder.organisation.tax_id}, ground="emergency",
                     justification="Flood repairs cannot wait.")
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=10),
                         clarification_deadline=now + timedelta(minutes=5), method=method, **terms)
    response = as_user(bidder).post(f"/api/tenders/{tender.pk}/bids/", {"amount": PRICE, "currency": "KZT"},
                                    format="json")
    assert response.status_code == 201
    bid = Bid.objects.get(tender=tender)
    # a refused bidder learns nothing either
    refusal = as_user(rival).post(f"/api/tenders/{tender.pk}/bids/", {"amount": "1.00", "currency": "KZT"},
                                  format="json")
    assert_no_secret(refusal.content.decode(), "a refused bid")

    base = f"/api/tenders/{tender.pk}/"
    paths = every_view(tender, bid) + [base + "evaluation/", base + "complaints/", base + "ocds/",
                                       f"/api/tenders/?method={method}", "/api/platform/",
                                       f"/tenders/{tender.pk}/", f"/tenders/{tender.pk}/bid/",
                                       f"/tenders/{tender.pk}/evaluation/", "/", f"/buyer/tenders/{tender.pk}/"]
    for user in [None, rival, officer, staff, bidder]:
        client = as_user(user)
        if user is not None:
            client.force_login(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code < 500, path
            body = b"".join(response) if response.streaming else response.content
            assert_no_secret(body.decode(errors="replace"), f"GET {path} as {user}")
