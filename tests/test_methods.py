"""Procurement methods (issue 19, DESIGN.md "Procurement methods"): the
method as a first-class term of a tender, each method's whole life through
the HTTP API, and a refusal test for each of its rules."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Organisation
from audit.models import AuditEntry
from audit.services import verify
from bids import services as bid_services
from evaluation import services as evaluation
from tenders import services as tender_services
from tenders.models import Status
from tests.conftest import tender_fields
from tests.ocds_review import assert_record_package, assert_release_package, offline

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    offline(monkeypatch)


@pytest.fixture(autouse=True)
def _periods(settings):
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 15 * DAY
    settings.PROCUREMENT_MIN_QUOTATION_PERIOD = 2 * DAY
    settings.PROCUREMENT_QUOTATION_LIMIT = 15_728_000


def body(days: int = 3, **overrides) -> dict:
    """A draft's JSON body whose deadline is ``days`` away."""
    now = timezone.now()
    data = {"title": "Office paper A4", "cpv": "30197630-1", "estimated_amount": "1200000.00",
            "clarification_deadline": (now + timedelta(days=days - 1)).isoformat(),
            "submission_deadline": (now + timedelta(days=days)).isoformat()}
    data.update(overrides)
    return data


def events(tender_id: int) -> list[str]:
    return list(AuditEntry.objects.filter(tender_id=tender_id).order_by("seq").values_list("event", flat=True))


def refused(response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()


def open_now(tender_id: int) -> None:
    """The scheduler's opening, run just after the (future) deadline."""
    deadline = tender_services.Tender.objects.get(pk=tender_id).submission_deadline
    assert bid_services.open_tender(tender_id, now=deadline + timedelta(seconds=1))


def bid(client, tender_id: int, amount: str):
    return client.post(f"/api/tenders/{tender_id}/bids/", {"amount": amount, "currency": "KZT"}, format="json")


def ocds_valid(api, tender_id: int) -> dict:
    releases = api.get(f"/api/tenders/{tender_id}/ocds/").json()
    assert_release_package(releases)
    assert_record_package(api.get(f"/api/tenders/{tender_id}/ocds/record/").json())
    return releases["releases"][-1]


@pytest.fixture
def failed_tender(officer, make_supplier):
    """The officer's open tender that failed: no bid by its deadline."""
    start = timezone.now() - timedelta(days=30)
    tender = tender_services.create_draft(by=officer, **tender_fields(start))
    tender_services.publish_tender(tender.pk, by=officer, now=start)
    assert bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    tender.refresh_from_db()
    assert tender.status == Status.UNSUCCESSFUL
    return tender


# --- the method as a term of the tender ------------------------------------------------------

def test_a_client_that_sends_no_method_drafts_an_open_tender(officer, as_user):
    response = as_user(officer).post("/api/tenders/", body(days=20), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["method"], created["supplier"], created["ground"], created["failed"]) == (
        "open_tender", None, "", None)


def test_a_method_the_platform_does_not_know_is_refused(officer, as_user):
    response = as_user(officer).post("/api/tenders/", body(method="lottery"), format="json")
    assert response.status_code == 400
    assert not tender_services.Tender.objects.exists()


def test_the_method_is_fixed_at_publication(officer, as_user):
    client = as_user(officer)
    tender = client.post("/api/tenders/", body(method="price_quotation"), format="json").json()
    # a draft may change its method
    response = client.patch(f"/api/tenders/{tender['id']}/", {"method": "open_tender"}, format="json")
    assert response.json()["method"] == "open_tender"
    client.patch(f"/api/tenders/{tender['id']}/", {"method": "price_quotation"}, format="json")
    assert client.post(f"/api/tenders/{tender['id']}/publish/").status_code == 200
    # then it is fixed: neither an edit nor an amendment changes it
    refused(client.patch(f"/api/tenders/{tender['id']}/", {"method": "open_tender"}, format="json"),
            409, "method_fixed")
    refused(client.post(f"/api/tenders/{tender['id']}/amend/", {"rationale": "Switch", "method": "open_tender"},
                        format="json"), 409, "method_fixed")
    assert tender_services.Tender.objects.get(pk=tender["id"]).method == "price_quotation"


def test_the_register_filters_by_method(officer, as_user, api):
    client = as_user(officer)
    quotation = client.post("/api/tenders/", body(method="price_quotation"), format="json").json()["id"]
    open_ = client.post("/api/tenders/", body(days=20), format="json").json()["id"]
    for pk in (quotation, open_):
        assert client.post(f"/api/tenders/{pk}/publish/").status_code == 200
    assert [r["id"] for r in api.get("/api/tenders/?method=price_quotation").json()["results"]] == [quotation]
    assert [r["id"] for r in api.get("/api/tenders/?method=open_tender").json()["results"]] == [open_]
    refused(api.get("/api/tenders/?method=lottery"), 400, "invalid_choice")


def test_the_platform_lists_the_methods_it_runs(api):
    methods = {m["name"]: m for m in api.get("/api/platform/").json()["methods"]}
    assert set(methods) == {"open_tender", "price_quotation", "auction", "single_source"}
    assert (methods["price_quotation"]["limit"], methods["price_quotation"]["min_period"]) == ("15728000.00", 2 * DAY)
    assert methods["single_source"]["fields"] == ["failed", "ground", "justification", "supplier"]
    assert methods["auction"]["fields"] == ["minimal_step"]
    assert methods["open_tender"]["committee"] and not methods["single_source"]["questions"]


# --- request for price quotations ---------------------------------------------------------------

def test_a_quotation_has_no_criteria(officer, as_user):
    client = as_user(officer)
    refused(client.post("/api/tenders/", body(method="price_quotation", award_method="best_value", price_weight=70,
                                              criteria=[{"name": "Quality", "weight": 30}]), format="json"),
            400, "award_method_not_allowed")
    refused(client.post("/api/tenders/", body(method="price_quotation", criteria=[{"name": "Quality", "weight": 30}]),
                        format="json"), 400, "criteria_not_allowed")


def test_a_quotation_over_the_limit_is_refused(officer, as_user, settings):
    client = as_user(officer)
    refused(client.post("/api/tenders/", body(method="price_quotation", estimated_amount="15728000.01"),
                        format="json"), 400, "quotation_over_limit")
    tender = client.post("/api/tenders/", body(method="price_quotation", estimated_amount="15728000.00"),
                         format="json").json()
    # nor can an edit or an amendment take it over the limit
    refused(client.patch(f"/api/tenders/{tender['id']}/", {"estimated_amount": "20000000.00"}, format="json"),
            400, "quotation_over_limit")
    assert client.post(f"/api/tenders/{tender['id']}/publish/").status_code == 200
    refused(client.post(f"/api/tenders/{tender['id']}/amend/", {"rationale": "More paper",
                                                                 "estimated_amount": "16000000.00"}, format="json"),
            400, "quotation_over_limit")
    # the limit comes from the environment
    settings.PROCUREMENT_QUOTATION_LIMIT = 30_000_000
    assert client.post("/api/tenders/", body(method="price_quotation", estimated_amount="20000000.00"),
                       format="json").status_code == 201


def test_a_quotation_has_its_own_shorter_minimum_period(officer, as_user):
    client = as_user(officer)
    quotation = client.post("/api/tenders/", body(days=3, method="price_quotation"), format="json").json()
    assert client.post(f"/api/tenders/{quotation['id']}/publish/").status_code == 200
    tender = client.post("/api/tenders/", body(days=3), format="json").json()  # an open tender needs 15 days
    refused(client.post(f"/api/tenders/{tender['id']}/publish/"), 400, "submission_period_too_short")
    short = client.post("/api/tenders/", body(days=1, method="price_quotation",
                                              clarification_deadline=(timezone.now() + timedelta(hours=12))
                                              .isoformat()), format="json").json()
    refused(client.post(f"/api/tenders/{short['id']}/publish/"), 400, "submission_period_too_short")


def test_a_quotation_has_no_committee(officer, make_officer, as_user):
    client = as_user(officer)
    tender = client.post("/api/tenders/", body(method="price_quotation"), format="json").json()
    colleague = make_officer(buyer=officer.organisation.name)
    refused(client.post(f"/api/tenders/{tender['id']}/committee/", {"evaluators": [colleague.pk]}, format="json"),
            409, "committee_not_used")


def test_a_quotation_from_draft_to_completion(officer, make_supplier, as_user, api,
                                              django_capture_on_commit_callbacks):
    client = as_user(officer)
    # drafted, published with the quotation's shorter period
    tender = client.post("/api/tenders/", body(method="price_quotation"), format="json").json()
    pk = tender["id"]
    assert client.post(f"/api/tenders/{pk}/publish/").json()["status"] == "active"
    published = AuditEntry.objects.get(tender_id=pk, event="tender_published").data
    assert published["method"] == "price_quotation"
    # three offers
    suppliers = {name: make_supplier(f"{name} LLP") for name in ("low", "mid", "high")}
    for name, amount in (("low", "900000.00"), ("mid", "950000.00"), ("high", "1100000.00")):
        assert bid(as_user(suppliers[name]), pk, amount).status_code == 201
    open_now(pk)
    bids = {b["supplier"]["name"].split()[0]: b["id"] for b in api.get(f"/api/tenders/{pk}/bids/").json()}

    # the lowest offer is the award proposal; only it is checked
    report = client.get(f"/api/tenders/{pk}/evaluation/").json()
    assert report["award_proposal"] == bids["low"]
    refused(client.post(f"/api/tenders/{pk}/bids/{bids['mid']}/qualification/",
                        {"qualified": True, "reason": "Documents complete."}, format="json"), 409, "not_award_proposal")
    refused(client.post(f"/api/tenders/{pk}/award/", {"bid": bids["low"]}, format="json"), 409, "bid_not_qualified")

    # disqualifying it moves the next lowest up by itself: audited and announced live
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/api/tenders/{pk}/bids/{bids['low']}/qualification/",
                               {"qualified": False, "reason": "No licence for paper trade."}, format="json")
    assert response.status_code == 200, response.json()
    assert len(callbacks) >= 2  # the qualification's live event and the proposal's
    moved = AuditEntry.objects.get(tender_id=pk, event="award_proposal_moved").data
    assert (moved["from"], moved["bid"], moved["method"], moved["amount"]) == (
        bids["low"], bids["mid"], "price_quotation", "950000.00")
    assert client.get(f"/api/tenders/{pk}/evaluation/").json()["award_proposal"] == bids["mid"]

    # checked and awarded, without deciding on the offer that waits its turn
    assert client.post(f"/api/tenders/{pk}/bids/{bids['mid']}/qualification/",
                       {"qualified": True, "reason": "Documents complete."}, format="json").status_code == 200
    response = client.post(f"/api/tenders/{pk}/award/", {"bid": bids["mid"]}, format="json")
    assert response.status_code == 201, response.json()
    assert AuditEntry.objects.filter(tender_id=pk, event="tender_awarded").get().data["method"] == "price_quotation"

    # complaints and standstill as for any tender
    response = as_user(suppliers["high"]).post(f"/api/tenders/{pk}/complaints/", {"text": "Too expensive."},
                                               format="json")
    assert response.status_code == 201, response.json()
    assert client.post(f"/api/tenders/{pk}/complaints/{response.json()['id']}/resolve/",
                       {"upheld": False, "resolution": "The lowest qualified offer won."},
                       format="json").status_code == 200
    award = client.get(f"/api/tenders/{pk}/evaluation/").json()["award"]
    evaluation.complete_due(now=timezone.now() + timedelta(days=30))
    assert api.get(f"/api/tenders/{pk}/").json()["status"] == "complete"
    assert award["bid"] == bids["mid"]
    assert verify([pk]) == []

    release = ocds_valid(api, pk)
    assert (release["tender"]["procurementMethod"], release["tender"]["procurementMethodDetails"]) == (
        "open", "Request for price quotations (lowest price, sealed electronic bids)")


def test_a_quotation_with_every_offer_disqualified_is_unsuccessful(officer, make_supplier, as_user):
    client = as_user(officer)
    pk = client.post("/api/tenders/", body(method="price_quotation"), format="json").json()["id"]
    client.post(f"/api/tenders/{pk}/publish/")
    a, b = make_supplier(), make_supplier()
    bid(as_user(a), pk, "500.00")
    bid(as_user(b), pk, "600.00")
    open_now(pk)
    for _ in range(2):
        proposal = client.get(f"/api/tenders/{pk}/evaluation/").json()["award_proposal"]
        client.post(f"/api/tenders/{pk}/bids/{proposal}/qualification/", {"qualified": False, "reason": "No licence."},
                    format="json")
    tender = client.get(f"/api/tenders/{pk}/").json()
    assert tender["status"] == "unsuccessful"
    assert events(pk).count("award_proposal_moved") == 1


# --- single source ----------------------------------------------------------------------------

def direct(named, **overrides) -> dict:
    terms = {"method": "single_source", "supplier": {"bin": named.organisation.tax_id}, "ground": "sole_supplier",
             "justification": "The only licensed distributor of this software in Kazakhstan."}
    return body(**{**terms, **overrides})


def test_a_single_source_states_its_supplier_ground_and_justification(officer, supplier, other_officer, as_user):
    client = as_user(officer)
    without = direct(supplier)
    without.pop("ground")
    refused(client.post("/api/tenders/", without, format="json"), 400, "ground_required")
    refused(client.post("/api/tenders/", direct(supplier, justification=" "), format="json"),
            400, "ground_justification_required")
    without = direct(supplier)
    without.pop("supplier")
    refused(client.post("/api/tenders/", without, format="json"), 400, "supplier_required")
    refused(client.post("/api/tenders/", direct(supplier, supplier={"bin": "000000000000"}), format="json"),
            400, "supplier_unknown")
    # a buyer organisation is not a supplier
    buyer = Organisation.objects.get(pk=other_officer.organisation_id)
    buyer.tax_id = "990440000012"
    buyer.save(update_fields=["tax_id"])
    refused(client.post("/api/tenders/", direct(supplier, supplier={"bin": buyer.tax_id}), format="json"),
            400, "supplier_not_a_supplier")
    # and an open tender takes none of these
    refused(client.post("/api/tenders/", body(days=20, ground="emergency"), format="json"), 400, "field_not_allowed")
    assert not tender_services.Tender.objects.exists()


def test_failed_procurement_names_the_buyers_own_unsuccessful_tender(officer, supplier, failed_tender,
                                                                     make_tender, other_officer, as_user):
    client = as_user(officer)
    refused(client.post("/api/tenders/", direct(supplier, ground="failed_procurement"), format="json"),
            400, "failed_required")
    active = make_tender()
    refused(client.post("/api/tenders/", direct(supplier, ground="failed_procurement", failed={"tender": active.pk}),
                        format="json"), 400, "failed_invalid")
    refused(as_user(other_officer).post("/api/tenders/", direct(supplier, ground="failed_procurement",
                                                                failed={"tender": failed_tender.pk}),
                                        format="json"), 400, "failed_invalid")
    refused(client.post("/api/tenders/", direct(supplier, failed={"tender": failed_tender.pk}), format="json"),
            400, "field_not_allowed")
    lot = failed_tender.lots.get()
    response = client.post("/api/tenders/", direct(supplier, ground="failed_procurement",
                                                   failed={"tender": failed_tender.pk, "lot": lot.pk}), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["failed"] == {"tender": failed_tender.pk, "lot": lot.pk}


def test_a_draft_moved_to_another_method_drops_the_single_source_terms(officer, supplier, as_user):
    client = as_user(officer)
    pk = client.post("/api/tenders/", direct(supplier), format="json").json()["id"]
    moved = client.patch(f"/api/tenders/{pk}/", {"method": "price_quotation"}, format="json").json()
    assert (moved["method"], moved["supplier"], moved["ground"], moved["justification"]) == (
        "price_quotation", None, "", "")


def test_a_single_source_from_draft_to_completion(officer, failed_tender, make_supplier, as_user, api):
    client = as_user(officer)
    named, other, watcher = make_supplier("Named LLP"), make_supplier("Other LLP"), make_supplier("Watcher LLP")
    lot = failed_tender.lots.get()
    response = client.post("/api/tenders/", direct(named, ground="failed_procurement",
                                                   failed={"tender": failed_tender.pk},
                                                   justification="The open tender had no bid."), format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    published = client.post(f"/api/tenders/{pk}/publish/").json()
    assert published["supplier"] == {"id": named.organisation_id, "name": "Named LLP",
                                     "bin": named.organisation.tax_id}
    entry = AuditEntry.objects.get(tender_id=pk, event="tender_published").data
    assert (entry["method"], entry["ground"], entry["failed_tender"]) == (
        "single_source", "failed_procurement", failed_tender.pk)

    # the public page states the ground; the failed tender links to the direct award that followed it
    public = api.get(f"/api/tenders/{pk}/").json()
    assert (public["ground"], public["justification"]) == ("failed_procurement", "The open tender had no bid.")
    assert api.get(f"/api/tenders/{failed_tender.pk}/").json()["followed_by"] == [
        {"id": pk, "title": "Office paper A4", "method": "single_source", "status": "active"}]
    assert lot.status == "unsuccessful"

    # only the named supplier bids; nobody asks questions
    refused(bid(as_user(other), pk, "1000000.00"), 403, "not_named_supplier")
    refused(as_user(other).post(f"/api/tenders/{pk}/questions/", {"text": "Why them?"}, format="json"),
            409, "questions_not_allowed")
    assert bid(as_user(named), pk, "1150000.00").status_code == 201
    open_now(pk)

    # the officer checks and awards the offer
    offer = client.get(f"/api/tenders/{pk}/evaluation/").json()["award_proposal"]
    assert client.post(f"/api/tenders/{pk}/bids/{offer}/qualification/",
                       {"qualified": True, "reason": "Licence checked."}, format="json").status_code == 200
    assert client.post(f"/api/tenders/{pk}/award/", {"bid": offer}, format="json").status_code == 201

    # any registered supplier may complain that the ground is unlawful; the winner may not; nor may an officer
    refused(as_user(named).post(f"/api/tenders/{pk}/complaints/", {"text": "x"}, format="json"),
            403, "winner_cannot_complain")
    refused(client.post(f"/api/tenders/{pk}/complaints/", {"text": "x"}, format="json"), 403, "permission_denied")
    response = as_user(watcher).post(f"/api/tenders/{pk}/complaints/", {"text": "The tender failed on purpose."},
                                     format="json")
    assert response.status_code == 201, response.json()
    client.post(f"/api/tenders/{pk}/complaints/{response.json()['id']}/resolve/",
                {"upheld": False, "resolution": "The open tender had no bid at all."}, format="json")
    evaluation.complete_due(now=timezone.now() + timedelta(days=30))
    assert api.get(f"/api/tenders/{pk}/").json()["status"] == "complete"

    # one offer, by design: no integrity flag calls it a single bid (nor its short period a short call)
    assert api.get(f"/api/tenders/{pk}/flags/").json()["flags"] == []

    release = ocds_valid(api, pk)
    assert release["tender"]["procurementMethod"] == "direct"
    assert release["tender"]["procurementMethodRationale"].startswith("failed_procurement: The open tender had no bid.")
    assert release["relatedProcesses"][0]["identifier"].endswith(f"-{failed_tender.pk}")


def test_an_unsuccessful_single_source_tender_can_itself_be_named(officer, make_supplier, as_user):
    """A named supplier that does not bid leaves the direct award unsuccessful (min_bids 1)."""
    client = as_user(officer)
    named = make_supplier()
    pk = client.post("/api/tenders/", direct(named), format="json").json()["id"]
    client.post(f"/api/tenders/{pk}/publish/")
    open_now(pk)
    assert client.get(f"/api/tenders/{pk}/").json()["status"] == "unsuccessful"
    refused(client.post("/api/tenders/", direct(named, min_bids=2), format="json"), 400, "field_not_allowed")


# --- the pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("language, method_word, ground_word", [
    ("en", "Procurement method", "A procurement that failed"),
    ("ru", "Способ закупки", "Несостоявшаяся закупка"),
    ("kk", "Сатып алу тәсілі", "Өтпей қалған сатып алу"),
])
def test_the_pages_say_what_the_method_means(language, method_word, ground_word, officer, failed_tender,
                                             make_supplier, as_user, client):
    named, other = make_supplier("Named LLP"), make_supplier("Other LLP")
    pk = as_user(officer).post("/api/tenders/", direct(named, ground="failed_procurement",
                                                       failed={"tender": failed_tender.pk},
                                                       justification="Nobody bid on the open tender."),
                               format="json").json()["id"]
    as_user(officer).post(f"/api/tenders/{pk}/publish/")
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    page = client.get(f"/tenders/{pk}/", **headers).content.decode()
    assert method_word in page and ground_word in page and "Nobody bid on the open tender." in page
    assert f'href="/tenders/{failed_tender.pk}/"' in page
    failed_page = client.get(f"/tenders/{failed_tender.pk}/", **headers).content.decode()
    assert f'href="/tenders/{pk}/"' in failed_page and 'id="followed-by"' in failed_page
    client.force_login(other)
    bid_page = client.get(f"/tenders/{pk}/bid/", **headers).content.decode()
    assert 'id="not-named"' in bid_page and 'id="bid-form"' not in bid_page
    register = client.get("/?method=single_source", **headers).content.decode()
    assert f'id="tender-{pk}"' in register and f'id="tender-{failed_tender.pk}"' not in register
    assert '<option value="single_source" selected>' in register
