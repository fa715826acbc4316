"""OCDS 1.1 export: every package, for tenders in every state, is valid
against the official 1.1.5 release-package schema (release schema resolved
locally, formats checked), uses the OCDS codelists and passes the OCP's own
data review library (libcoveocds, offline: tests/ocds_review.py) with nothing
to report; releases are fixed when their event happens; no bid content before
the opening."""

import csv
import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

import opendata
from tenders import services as tender_services
from tests.ocds_review import assert_feed_page, assert_record_package, assert_release_package, offline
from tests.transparency_helpers import amend, answer, ask, open_now, pdf, submit

SCHEMA = Path(opendata.__file__).resolve().parent / "schema"


def _load(name: str) -> dict:
    return json.loads((SCHEMA / name).read_text(encoding="utf-8"))


def _codes(name: str) -> set[str]:
    with open(SCHEMA / "codelists" / f"{name}.csv", encoding="utf-8") as fh:
        return {row["Code"] for row in csv.DictReader(fh)}


RELEASE_SCHEMA = _load("release-schema.json")
PACKAGE_SCHEMA = _load("release-package-schema.json")
# The package schema refers to the release schema by its URL: resolve it here, offline.
REGISTRY = Registry().with_resource(RELEASE_SCHEMA["id"],
                                    Resource.from_contents(RELEASE_SCHEMA, default_specification=DRAFT4))
VALIDATOR = Draft4Validator(PACKAGE_SCHEMA, registry=REGISTRY, format_checker=Draft4Validator.FORMAT_CHECKER)


def assert_valid(package: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(package), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])
    for release in package["releases"]:
        assert_codelists(release)


def assert_codelists(release: dict) -> None:
    assert set(release["tag"]) <= _codes("releaseTag")
    if "tender" not in release:  # a qualification decision's partial release: only the bid's status
        assert set(release) == {"ocid", "id", "date", "tag", "initiationType", "language", "bids"}
        assert {d["status"] for d in release["bids"]["details"]} <= {"valid", "disqualified"}
        return
    tender = release["tender"]
    assert tender["status"] in _codes("tenderStatus")
    assert tender["awardCriteria"] in _codes("awardCriteria")
    assert tender["procurementMethod"] in _codes("method")
    assert tender["mainProcurementCategory"] in _codes("procurementCategory")
    assert set(tender["submissionMethod"]) <= _codes("submissionMethod")
    assert {d["documentType"] for d in tender.get("documents", [])} <= _codes("documentType")
    assert {role for p in release["parties"] for role in p["roles"]} <= _codes("partyRole")
    assert {a["status"] for a in release.get("awards", [])} <= _codes("awardStatus")
    assert tender["value"]["currency"] in _codes("currency")
    assert tender["items"][0]["classification"]["scheme"] == "CPV"


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    offline(monkeypatch)


def ocds(client, tender) -> dict:
    response = client.get(f"/api/tenders/{tender.pk}/ocds/")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_format_checker_really_checks_dates_and_uris():
    # Without rfc3339-validator and rfc3987 jsonschema silently skips these formats.
    assert not Draft4Validator.FORMAT_CHECKER.conforms("2026-13-45 nonsense", "date-time")
    assert not Draft4Validator.FORMAT_CHECKER.conforms("not a uri", "uri")
    assert not VALIDATOR.is_valid({"uri": "x", "version": "1.1", "publishedDate": "yesterday",
                                   "publisher": {"name": "p"}, "releases": [{}]})


# --- tenders in every state --------------------------------------------------------------

def _active(make_tender, officer, suppliers):
    return make_tender()


def _active_with_everything(make_tender, officer, suppliers):
    draft = make_tender(publish=False)
    tender_services.add_document(draft.pk, by=officer, upload=pdf())
    tender = tender_services.publish_tender(draft.pk, by=officer)
    submit(tender, suppliers[0])
    answer(tender, officer, ask(tender, suppliers[1]))
    tender_services.add_document(tender.pk, by=officer, upload=pdf("addendum.pdf"), document_type="clarifications")
    amend(tender, officer)
    amend(tender, officer, estimated_amount=tender.estimated_amount + 1000)
    return tender


def _best_value(make_tender, officer, suppliers):
    return make_tender(award_method="best_value", price_weight=60,
                       criteria=[{"name": "Experience", "weight": 25}, {"name": "Warranty", "weight": 15}])


def _evaluation(make_tender, officer, suppliers):
    tender = make_tender()
    submit(tender, suppliers[0], amount="120000000.00")
    submit(tender, suppliers[1], amount="110000000.50")
    open_now(tender)
    return tender


def _unsuccessful(make_tender, officer, suppliers):
    tender = make_tender(min_bids=2)
    submit(tender, suppliers[0])
    open_now(tender)
    return tender


def _cancelled_while_active(make_tender, officer, suppliers):
    tender = make_tender()
    submit(tender, suppliers[0])
    tender_services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn.")
    return tender


def _cancelled_in_evaluation(make_tender, officer, suppliers):
    tender = _evaluation(make_tender, officer, suppliers)
    tender_services.cancel_tender(tender.pk, by=officer, reason="Specification error.")
    return tender


def _awarded(make_tender, officer, suppliers):
    from evaluation import services as evaluation

    tender = _evaluation(make_tender, officer, suppliers)
    for bid in tender.bids.filter(opened_at__isnull=False):
        evaluation.qualify_bid(tender.pk, bid.pk, by=officer, qualified=True, reason="Documents complete.")
    evaluation.award_bid(tender.pk, by=officer, bid_id=tender.bids.order_by("amount").first().pk)
    return tender


def _complete(make_tender, officer, suppliers):
    from evaluation import services as evaluation

    tender = _awarded(make_tender, officer, suppliers)
    assert evaluation.complete_tender(tender.pk, now=tender.awards.get().standstill_ends_at)
    return tender


STATES = {
    "active": (_active, "active"),
    "active, amended, with documents and Q&A": (_active_with_everything, "active"),
    "active, best value": (_best_value, "active"),
    "evaluation": (_evaluation, "active"),
    "unsuccessful": (_unsuccessful, "unsuccessful"),
    "cancelled while active": (_cancelled_while_active, "cancelled"),
    "cancelled in evaluation": (_cancelled_in_evaluation, "cancelled"),
    "awarded": (_awarded, "complete"),
    "complete": (_complete, "complete"),
}


@pytest.mark.parametrize("state", STATES)
def test_the_package_is_valid_ocds_in_every_state(state, make_tender, officer, make_supplier, api):
    # given
    build, expected_status = STATES[state]
    tender = build(make_tender, officer, [make_supplier(), make_supplier()])

    # when
    package = ocds(api, tender)

    # then
    assert_valid(package)
    assert_release_package(package)
    assert_record_package(api.get(f"/api/tenders/{tender.pk}/ocds/record/").json())
    assert package["releases"][-1]["tender"]["status"] == expected_status
    assert len({r["id"] for r in package["releases"]}) == len(package["releases"])


def test_the_bulk_releases_are_valid_ocds(make_tender, officer, make_supplier, api):
    suppliers = [make_supplier(), make_supplier()]
    for build, _ in STATES.values():
        build(make_tender, officer, suppliers)

    body = api.get("/api/ocds/releases/?page_size=100").json()

    assert_valid(body)
    assert_feed_page(body)
    assert len(body["releases"]) > len(STATES) and "count" not in body


# --- what a release holds -------------------------------------------------------------------

def test_no_bid_content_before_the_opening(make_tender, make_supplier, api):
    # given: two sealed bids on an active tender
    bidders = [make_supplier(name="Hidden Roads LLP"), make_supplier(name="Quiet Asphalt LLP")]
    tender = make_tender()
    for bidder, amount in zip(bidders, ["123456.78", "234567.89"]):
        submit(tender, bidder, amount=amount)

    # when
    texts = [api.get(f"/api/tenders/{tender.pk}/ocds/").content.decode(),
             api.get("/api/ocds/releases/").content.decode()]

    # then
    for text in texts:
        for secret in ["Hidden Roads", "Quiet Asphalt", "123456.78", "234567.89", "123456", "234567",
                       bidders[0].organisation.tax_id, bidders[1].organisation.tax_id]:
            assert secret not in text
        for release in json.loads(text)["releases"]:
            assert "bids" not in release and "awards" not in release
            assert "tenderers" not in release["tender"] and "numberOfTenderers" not in release["tender"]
            assert [p["roles"] for p in release["parties"]] == [["buyer", "procuringEntity"]]


def test_bids_are_published_from_the_opening_on(make_tender, make_supplier, api):
    # given
    first, second = make_supplier(name="First Roads LLP"), make_supplier(name="Second Roads LLP")
    tender = make_tender()
    submit(tender, first, amount="120000000.00")
    submit(tender, second, amount="110000000.50")
    open_now(tender)

    # when
    releases = ocds(api, tender)["releases"]

    # then: the tender notice still shows no bids; the opening release shows them all
    assert [r["tag"] for r in releases] == [["tender"], ["tenderUpdate"]]
    assert "bids" not in releases[0]
    opening = releases[1]
    assert opening["bids"]["statistics"] == [{"id": "bids", "measure": "bids", "value": 2,
                                              "date": opening["date"]}]
    assert sorted(d["value"]["amount"] for d in opening["bids"]["details"]) == [110000000.5, 120000000.0]
    assert opening["tender"]["numberOfTenderers"] == 2
    tenderers = {p["name"]: p["roles"] for p in opening["parties"] if "tenderer" in p["roles"]}
    assert tenderers == {"First Roads LLP": ["tenderer"], "Second Roads LLP": ["tenderer"]}
    assert opening["parties"][1]["identifier"] == {"scheme": "KZ-BIN", "id": first.organisation.tax_id,
                                                   "legalName": "First Roads LLP"}


def test_the_tender_section(make_tender, officer, api):
    tender = make_tender()

    release = ocds(api, tender)["releases"][0]

    section = release["tender"]
    assert release["tag"] == ["tender"] and release["initiationType"] == "tender"
    assert release["buyer"] == {"id": release["parties"][0]["id"], "name": officer.organisation.name}
    assert section["items"][0]["classification"] == {"scheme": "CPV", "id": "45233140-2",
                                                     "description": "Roadworks"}
    assert section["value"] == {"amount": 125000000.0, "currency": "KZT"}
    assert section["tenderPeriod"]["endDate"] == tender.submission_deadline.isoformat().replace("+00:00", "Z")
    assert section["enquiryPeriod"]["endDate"] == tender.clarification_deadline.isoformat().replace("+00:00", "Z")
    assert section["awardCriteria"] == "priceOnly" and section["mainProcurementCategory"] == "works"


def test_the_ocid_prefix_is_configurable(make_tender, api, settings):
    settings.PROCUREMENT_OCID_PREFIX = "ocds-kz0001"
    tender = make_tender()

    package = ocds(api, tender)

    assert {r["ocid"] for r in package["releases"]} == {f"ocds-kz0001-{tender.pk}"}


def test_each_amendment_is_a_release_with_the_terms_of_its_time(make_tender, officer, api):
    # given
    tender = make_tender(title="Original title")
    amend(tender, officer, title="Second title")
    amend(tender, officer, title="Third title")

    # when
    releases = ocds(api, tender)["releases"]

    # then
    assert [r["tag"] for r in releases] == [["tender"], ["tenderAmendment"], ["tenderAmendment"]]
    assert [r["tender"]["title"] for r in releases] == ["Original title", "Second title", "Third title"]
    last = releases[2]["tender"]["amendments"]
    assert len(last) == 2 and "amendments" not in releases[0]["tender"]
    assert (last[1]["amendsReleaseID"], last[1]["releaseID"]) == (releases[1]["id"], releases[2]["id"])
    assert last[0]["rationale"] == "Scope clarified."


def test_a_cancellation_is_a_release(make_tender, officer, api):
    tender = make_tender()
    tender_services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn.")

    releases = ocds(api, tender)["releases"]

    assert releases[-1]["tag"] == ["tenderCancellation"]
    assert releases[-1]["tender"]["status"] == "cancelled"
    assert releases[0]["tender"]["status"] == "active"


def test_a_draft_has_no_open_data(make_tender, officer, as_user):
    draft = make_tender(publish=False)

    assert as_user(officer).get(f"/api/tenders/{draft.pk}/ocds/").status_code == 404
    assert as_user(None).get(f"/api/tenders/{draft.pk}/ocds/").status_code == 404


def test_an_award_is_published(make_tender, officer, make_supplier, api):
    from evaluation.models import Award

    tender = _awarded(make_tender, officer, [make_supplier(), make_supplier()])
    bid = Award.objects.get(tender=tender).bid

    package = ocds(api, tender)

    assert_valid(package)
    award = package["releases"][-1]["awards"][0]
    assert award["status"] == "active" and award["suppliers"][0]["name"] == bid.supplier.name


# --- the bulk feed ---------------------------------------------------------------------------------

def test_the_bulk_feed_pages_by_a_stable_cursor(make_tender, api):
    for _ in range(3):
        make_tender()

    first = api.get("/api/ocds/releases/?page_size=2").json()
    second_url = first["links"]["next"]
    second = api.get(second_url).json()
    make_tender()  # published while the reader pages: it goes to the end, nothing shifts
    second_again = api.get(second_url).json()

    assert len(first["releases"]) == 2 and "prev" not in first["links"] and "count" not in first
    assert len(second["releases"]) == 1 and "next" not in second["links"]
    assert second_again["releases"][0] == second["releases"][0] and len(second_again["releases"]) == 2
    ocids = [r["ocid"] for page in (first, second_again) for r in page["releases"]]
    assert len(set(ocids)) == 4
    assert api.get(second["links"]["prev"]).json()["releases"] == first["releases"]
    for page in (first, second, second_again):
        assert_feed_page(page)


def test_a_bad_cursor_is_a_400(db, api):
    for query in ("cursor=-1", "cursor=abc", "cursor=1.5", "cursor=" + "9" * 30, "page_size=x"):
        response = api.get(f"/api/ocds/releases/?{query}")
        assert response.status_code == 400, query
        assert response.json()["code"] in {"invalid_cursor", "invalid_page_size"}


def test_the_bulk_feed_filters_by_date(make_tender, officer, api):
    old = make_tender()
    amendment = amend(old, officer)
    since = amendment.at.isoformat()

    body = api.get("/api/ocds/releases/", {"since": since}).json()
    before = api.get("/api/ocds/releases/", {"until": since}).json()

    assert [r["tag"] for r in body["releases"]] == [["tenderAmendment"]]
    assert [r["tag"] for r in before["releases"]] == [["tender"]]


def test_a_bad_date_is_a_400(db, api):
    response = api.get("/api/ocds/releases/?since=yesterday")

    assert response.status_code == 400 and "since" in response.json()["errors"]


def test_the_bulk_feed_leaves_drafts_out(make_tender, api):
    make_tender(publish=False)
    draft = make_tender(publish=False)
    tender_services.cancel_tender(draft.pk, by=draft.created_by, reason="Never needed.")

    response = api.get("/api/ocds/releases/")

    assert response.status_code == 404 and response.json()["code"] == "no_releases"
    assert api.get(f"/api/tenders/{draft.pk}/ocds/").status_code == 404


def test_a_page_of_releases_costs_a_bounded_number_of_queries(make_tender, officer, api,
                                                              django_assert_max_num_queries):
    for _ in range(6):
        amend(make_tender(), officer)

    with django_assert_max_num_queries(7):  # PostgreSQL: + the horizon (savepoint, timeout, lock, max, release)
        body = api.get("/api/ocds/releases/?page_size=100").json()

    assert len(body["releases"]) == 12


def test_a_page_of_large_releases_stops_at_its_byte_limit(make_tender, api, monkeypatch):
    from opendata import ocds as ocds_module

    for _ in range(3):
        make_tender()
    monkeypatch.setattr(ocds_module, "PAGE_BYTES", 1)  # every release is over it

    first = api.get("/api/ocds/releases/?page_size=100").json()
    second = api.get(first["links"]["next"]).json()
    third = api.get(second["links"]["next"]).json()

    assert [len(p["releases"]) for p in (first, second, third)] == [1, 1, 1]
    assert "next" not in third.get("links", {})
    assert len({r["ocid"] for p in (first, second, third) for r in p["releases"]}) == 3
