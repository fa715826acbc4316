"""Findings of the security review: each test pins one hole that was open
(a leak, an authorisation gap, a 500 on bad input, an unsafe default)."""

import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from bids import services as bid_services
from bids.models import Bid, BidVersion
from core import scheduler
from evaluation import services as evaluation_services
from procurement.asgi import application
from tenders.models import Status

from .evaluation_support import committee, make_opened  # noqa: F401  (fixtures)


@pytest.fixture
def open_tender_with_criterion(make_tender):
    """An active best-value tender accepting bids, and its one quality criterion."""
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=10),
                         clarification_deadline=now + timedelta(minutes=5), award_method="best_value",
                         price_weight=80, criteria=[{"name": "Warranty", "weight": 20}])
    return tender, tender.criteria.get()


# --- bid answers that the database cannot store ------------------------------------

@pytest.mark.parametrize("answer", [r'"24 months\u0000"', r'{"\u0000": "x"}', r'["ok", "\ud800"]'])
def test_a_bid_answer_the_database_cannot_store_is_refused(open_tender_with_criterion, supplier, as_user,
                                                            answer):
    # given a bid whose answer holds a NUL (PostgreSQL's jsonb refuses it) or a
    # lone surrogate (not encodable as UTF-8, so it cannot even be sealed)
    tender, criterion = open_tender_with_criterion
    body = '{"amount": "1500.00", "currency": "KZT", "answers": {"%s": %s}}' % (criterion.pk, answer)
    # when it is submitted
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/", body, content_type="application/json")
    # then it is refused as bad input, and nothing was sealed that the opening would choke on
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "answers_invalid"
    assert not Bid.objects.filter(tender=tender).exists()


def test_a_tender_with_an_accepted_bid_can_always_be_opened(open_tender_with_criterion, supplier, as_user):
    # given a bid with unusual but storable answers (unicode, nesting, numbers)
    tender, criterion = open_tender_with_criterion
    answers = {str(criterion.pk): {"text": "Кепілдік 24 ай ✓", "months": 24, "ok": True, "items": [1.5, None]}}
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/",
                                      {"amount": "1500.00", "currency": "KZT", "answers": answers}, format="json")
    assert response.status_code == 201
    # when the deadline passes, the opening stores the decrypted answers
    tender.refresh_from_db()
    assert bid_services.open_tender(tender.pk, now=tender.submission_deadline)
    # then
    assert Bid.objects.get(tender=tender).answers == answers


# --- one tender that cannot be opened must not stall the others ------------------------

def test_a_tender_that_fails_to_open_does_not_stop_the_others(make_tender, make_supplier):
    # given two tenders past their deadline; the earlier one holds a bid whose
    # sealed box is damaged (a failure the opening cannot get past)
    start = timezone.now() - timedelta(days=30)
    broken = make_tender(now=start, submission_deadline=start + timedelta(days=20))
    healthy = make_tender(now=start, submission_deadline=start + timedelta(days=21))
    for tender in (broken, healthy):
        content = bid_services.BidContent(amount=Decimal("100.00"), currency="KZT", answers={}, documents=[])
        bid_services.submit_bid(tender.pk, by=make_supplier(), content=content, now=start + timedelta(days=1))
    BidVersion.objects.filter(bid__tender=broken).update(sealed=b"damaged")
    # when the scheduler runs
    scheduler.run_once()
    # then the healthy tender is opened; the broken one opens too, its damaged
    # bid set aside in public ("unreadable") rather than the tender left stuck
    healthy.refresh_from_db()
    broken.refresh_from_db()
    assert healthy.status == Status.EVALUATION and healthy.opened_at is not None
    assert broken.opened_at is not None and broken.status == Status.UNSUCCESSFUL
    assert list(broken.bids.values_list("set_aside", flat=True)) == ["unreadable"]


# --- bad input is a 400, never a 500 ------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("path", ["/api/subscriptions/", "/api/tenders/{tender}/bids/",
                                  "/api/tenders/{tender}/questions/"])
def test_deeply_nested_json_is_bad_input(open_tender_with_criterion, supplier, as_user, path):
    tender, _ = open_tender_with_criterion
    response = as_user(supplier).post(path.format(tender=tender.pk), DEEP, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "malformed_request"


def test_deeply_nested_answers_in_a_multipart_bid_are_bad_input(open_tender_with_criterion, supplier, as_user):
    tender, criterion = open_tender_with_criterion
    answers = '{"%s": %s}' % (criterion.pk, DEEP)
    response = as_user(supplier).post(f"/api/tenders/{tender.pk}/bids/",
                                      {"amount": "1.00", "currency": "KZT", "answers": answers}, format="multipart")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("key", ["²", "١", "1²"])
def test_a_score_keyed_by_a_non_ascii_digit_is_bad_input(make_opened, committee, officer, as_user, key):
    # "²".isdigit() is True but int("²") fails: that was a 500
    opened = make_opened({"a": "100.00"}, best_value=True)
    member = committee(opened.tender)[0]
    response = as_user(member).post(f"/api/tenders/{opened.tender.pk}/bids/{opened.bids['a'].pk}/scores/",
                                    {key: "1.00"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "unknown_criterion"


@pytest.mark.parametrize("user_id", [2**63, 10**30])
def test_a_committee_member_id_out_of_range_is_bad_input(make_tender, officer, as_user, user_id):
    # SQLite cannot even bind such an integer: that was a 500
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/committee/", {"evaluators": [user_id]},
                                     format="json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("query, expected", [
    # a real instant (23:00 UTC), though near the edge: was a 500 (now 404 no_releases: nothing matches)
    ("since=0001-01-01T00:00:00-23:00", 404),
    ("until=0001-01-01T00:00:00-23:00", 404),
    ("since=0001-01-01T00:00:00+23:00", 400),  # the day before year 1 in UTC: no such time
    ("until=9999-12-31T23:59:59-14:00", 400),  # year 10000 in UTC
])
def test_an_ocds_release_time_at_the_edge_of_the_calendar_is_never_a_500(db, api, query, expected):
    response = api.get(f"/api/ocds/releases/?{query}")
    assert response.status_code == expected, response.content


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tender_id", ["9" * 19, "9" * 200])
def test_a_socket_for_an_impossible_tender_id_is_closed_as_not_found(tender_id):
    # a 200-digit id made a channel-layer group name over 100 characters: the
    # consumer crashed instead of closing with the documented 4404
    async def connect():
        socket = WebsocketCommunicator(application, f"/ws/tenders/{tender_id}/",
                                       headers=[(b"origin", b"http://localhost")])
        connected, _ = await socket.connect(timeout=5)
        message = await socket.receive_output(timeout=5)
        await socket.disconnect()
        return connected, message

    connected, message = async_to_sync(connect)()
    assert connected
    assert message == {"type": "websocket.close", "code": 4404}


# --- the Django admin shows staff what the public sees: no bidder before the opening ---------------

@pytest.fixture
def sealed_bid(open_tender_with_criterion, make_supplier, as_user):
    tender, _ = open_tender_with_criterion
    bidder = make_supplier("Unmistakable Bidder LLP")
    response = as_user(bidder).post(f"/api/tenders/{tender.pk}/bids/", {"amount": "1500.00", "currency": "KZT"},
                                    format="json")
    assert response.status_code == 201
    return Bid.objects.get(tender=tender)


@pytest.fixture
def admin_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_the_admin_does_not_name_a_bidder_before_the_opening(sealed_bid, admin_client):
    for path in ["/admin/bids/bid/", f"/admin/bids/bid/{sealed_bid.pk}/change/"]:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert "Unmistakable Bidder" not in response.content.decode(), path
        assert sealed_bid.supplier.tax_id not in response.content.decode(), path


def test_the_admin_bid_list_cannot_be_filtered_by_bidder(sealed_bid, admin_client):
    # a filter is an oracle: one row or none tells whether this supplier bid on this tender
    for query in [f"supplier={sealed_bid.supplier_id}", f"supplier__id__exact={sealed_bid.supplier_id}",
                  f"supplier_id={sealed_bid.supplier_id}"]:
        response = admin_client.get(f"/admin/bids/bid/?tender={sealed_bid.tender_id}&{query}")
        assert response.status_code != 200 or "1 bid" not in response.content.decode(), query
        assert f"/admin/bids/bid/{sealed_bid.pk}/change/" not in response.content.decode(), query


def test_the_admin_cannot_list_an_organisations_bids_through_its_delete_page(sealed_bid, admin_client):
    # the delete confirmation lists every protected object: "bid 7 on tender 3"
    response = admin_client.get(f"/admin/accounts/organisation/{sealed_bid.supplier_id}/delete/")
    assert response.status_code == 403
    assert f"bid {sealed_bid.pk} on tender" not in response.content.decode()


def test_the_admin_names_the_bidder_once_the_bid_is_opened(sealed_bid, admin_client):
    tender = sealed_bid.tender
    assert bid_services.open_tender(tender.pk, now=tender.submission_deadline)
    response = admin_client.get(f"/admin/bids/bid/{sealed_bid.pk}/change/")
    assert "Unmistakable Bidder" in response.content.decode()


# --- production settings ------------------------------------------------------------------

def production_settings(**env) -> dict:
    """The settings a production process gets from its environment (DEBUG off)."""
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    base.update(DJANGO_SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="procurement.settings", **env)
    code = ("import json; from procurement import settings as s; "
            f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.stdout)


def test_production_cookies_are_secure_unless_turned_off():
    # DEBUG off and nothing said: a session or CSRF cookie never travels over plain HTTP
    values = production_settings()
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert production_settings(DJANGO_SECURE_COOKIES="0")["SESSION_COOKIE_SECURE"] is False


def test_hsts_and_the_proxy_https_header_can_be_turned_on():
    values = production_settings(DJANGO_HSTS_SECONDS="31536000", DJANGO_SECURE_PROXY_SSL_HEADER="1")
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


# --- the audit log's score commitments must not give the scores away before the award ----------

def unsalted_commitment(*, tender_id, bid_id, evaluator_id, points) -> str:
    """The commitment as anyone could compute it from public data alone."""
    body = {"tender": tender_id, "bid": bid_id, "evaluator": evaluator_id, "points": points}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def test_a_score_cannot_be_recovered_from_the_public_audit_log_before_the_award(make_opened, committee, officer,
                                                                                 api):
    # given an evaluator's 17.50 on a criterion worth 25 (only 2,501 possible values)
    opened = make_opened({"a": "100.00"}, best_value=True)
    evaluation_services.qualify_bid(opened.tender.pk, opened.bids["a"].pk, by=officer, qualified=True,
                                    reason="Complete.")
    member = committee(opened.tender)[0]
    quality = opened.criteria[0]
    evaluation_services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=member,
                                  points={quality.pk: Decimal("17.50")})
    entry = next(e for e in api.get(f"/api/tenders/{opened.tender.pk}/audit/").json()["entries"]
                 if e["event"] == "bid_scored")
    # when anyone tries every possible value against the public commitment
    found = [cents for cents in range(0, quality.weight * 100 + 1)
             if unsalted_commitment(tender_id=opened.tender.pk, bid_id=opened.bids["a"].pk, evaluator_id=member.pk,
                                    points={str(quality.pk): f"{Decimal(cents) / 100:.2f}"})
             == entry["data"]["commitment"]]
    # then the score is not found
    assert found == []


def test_once_public_the_report_lets_anyone_check_each_score_commitment(make_opened, committee, officer, api):
    # given a scored, awarded tender
    opened = make_opened({"a": "100.00"}, best_value=True)
    evaluation_services.qualify_bid(opened.tender.pk, opened.bids["a"].pk, by=officer, qualified=True,
                                    reason="Complete.")
    members = committee(opened.tender)
    for member in members:
        evaluation_services.score_bid(opened.tender.pk, opened.bids["a"].pk, by=member,
                                      points={c.pk: Decimal("10.00") for c in opened.criteria})
    assert api.get(f"/api/tenders/{opened.tender.pk}/evaluation/").status_code == 403  # not public yet
    evaluation_services.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk)
    # when anyone reads the public report and the audit log
    report = api.get(f"/api/tenders/{opened.tender.pk}/evaluation/").json()
    entries = [e for e in api.get(f"/api/tenders/{opened.tender.pk}/audit/").json()["entries"]
               if e["event"] == "bid_scored"]
    # then each commitment recomputes from the published points and salt
    salt = report["commitment_salt"]
    row = report["bids"][0]
    for entry in entries:
        evaluator = str(entry["data"]["evaluator"]["id"])
        points = {str(cid): row["scores"][str(cid)][evaluator] for cid in entry["data"]["criteria"]}
        body = {"tender": report["tender"], "bid": row["bid"], "evaluator": int(evaluator), "points": points,
                "salt": salt}
        assert hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest() \
            == entry["data"]["commitment"]


@pytest.mark.parametrize("path, body", [("conflict-declaration/", {}), ("bids/1/scores/", {"1": "1"})])
def test_evaluator_endpoints_do_not_confirm_another_buyers_draft(make_tender, other_officer, as_user, path, body):
    draft = make_tender(publish=False)
    response = as_user(other_officer).post(f"/api/tenders/{draft.pk}/{path}", body, format="json")
    assert response.status_code == 404
    assert as_user(other_officer).post(f"/api/tenders/999999/{path}", body, format="json").status_code == 404
