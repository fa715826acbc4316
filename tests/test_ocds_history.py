"""OCDS releases are true to history: each is fixed when its event happens.

Tenders are driven through every path of the lifecycle with the real
services (amendment, questions, withdrawal, opening, disqualification,
committee scoring, an award annulled on an upheld complaint, a second award,
completion; cancellation after bids; unsuccessful), and every release
package, record package and feed page is reviewed with libcoveocds offline
(tests/ocds_review.py) and compiled into a record with ocdskit."""

import gzip
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from bids import services as bid_services
from bids.models import Bid
from clarifications import services as clarifications
from evaluation import services as evaluation
from evaluation.models import Award
from evaluation.selectors import report as evaluation_report
from tenders import services as tender_services
from tests.ocds_review import assert_feed_page, assert_record_package, assert_release_package, offline

BEST_VALUE = {"award_method": "best_value", "price_weight": 60,
              "criteria": [{"name": "Quality", "weight": 25}, {"name": "Delivery", "weight": 15}]}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    offline(monkeypatch)


def package(api, tender) -> dict:
    response = api.get(f"/api/tenders/{tender.pk}/ocds/")
    assert response.status_code == 200, response.content
    return response.json()


def record(api, tender) -> dict:
    response = api.get(f"/api/tenders/{tender.pk}/ocds/record/")
    assert response.status_code == 200, response.content
    return response.json()


def _bid(tender, supplier, amount: str, now):
    content = bid_services.BidContent(amount=Decimal(amount), currency="KZT", answers={}, documents=[])
    return Bid.objects.get(pk=bid_services.submit_bid(tender.pk, by=supplier, content=content, now=now).bid)


class Lifecycle:
    """A best-value tender in Kazakh, 30 days in the past: amended, asked
    about, four bids of which one is withdrawn, opened, one disqualified, the
    rest scored by a committee; steps are run one by one by the tests."""

    def __init__(self, make_tender, make_supplier, make_officer, officer):
        self.officer = officer
        self.start = timezone.now() - timedelta(days=30)
        self.tender = make_tender(now=self.start, language="kk", title="Жолды жөндеу", **BEST_VALUE)
        self.suppliers = {label: make_supplier(name=f"{label} LLP {self.tender.pk}")
                          for label in ("Alpha", "Beta", "Gamma", "Delta")}
        self.members = [make_officer(buyer=officer.organisation.name) for _ in range(2)]
        self.bids = {}

    def tender_stage(self):
        t, start = self.tender, self.start
        question = clarifications.ask_question(t.pk, by=self.suppliers["Alpha"], text="Түнгі жұмыс рұқсат па?",
                                               now=start + timedelta(hours=1))
        clarifications.answer_question(t.pk, question.pk, by=self.officer, answer="Иә.",
                                       now=start + timedelta(hours=2))
        tender_services.amend_tender(t.pk, by=self.officer, rationale="Көлемі нақтыланды.",
                                     estimated_amount=Decimal("130000000.00"), now=start + timedelta(hours=3))
        for i, (label, amount) in enumerate([("Alpha", "118000000.00"), ("Beta", "121000000.00"),
                                             ("Gamma", "99000000.00"), ("Delta", "125000000.00")]):
            self.bids[label] = _bid(t, self.suppliers[label], amount, start + timedelta(days=1, minutes=i))
        bid_services.withdraw_bid(t.pk, self.bids["Delta"].pk, by=self.suppliers["Delta"],
                                  now=start + timedelta(days=2))
        evaluation.add_evaluators(t.pk, by=self.officer, user_ids=[m.pk for m in self.members],
                                  now=start + timedelta(days=3))
        for member in self.members:
            evaluation.declare_no_conflict(t.pk, by=member, now=start + timedelta(days=3))
        self.tender.refresh_from_db()

    def open_and_evaluate(self):
        t = self.tender
        assert bid_services.open_tender(t.pk, now=t.submission_deadline + timedelta(seconds=1))
        evaluation.qualify_bid(t.pk, self.bids["Gamma"].pk, by=self.officer, qualified=False,
                               reason="Лицензия жоқ.")
        for label in ("Alpha", "Beta"):
            evaluation.qualify_bid(t.pk, self.bids[label].pk, by=self.officer, qualified=True,
                                   reason="Құжаттар толық.")
        criteria = list(t.criteria.order_by("position"))
        for member in self.members:
            for label, points in (("Alpha", ("20", "10")), ("Beta", ("24", "14"))):
                evaluation.score_bid(t.pk, self.bids[label].pk, by=member,
                                     points={c.pk: Decimal(p) for c, p in zip(criteria, points)})

    def award(self, label: str, justification: str = ""):
        return evaluation.award_bid(self.tender.pk, by=self.officer, bid_id=self.bids[label].pk,
                                    justification=justification)

    def annul_on_complaint(self, by_label: str):
        complaint = evaluation.file_complaint(self.tender.pk, by=self.suppliers[by_label], text="Баға ескерілмеді.")
        evaluation.resolve_complaint(self.tender.pk, complaint.pk, by=self.officer, upheld=True,
                                     resolution="Шағым негізді.")

    def complete(self):
        award = Award.objects.get(tender=self.tender, status=Award.Status.ACTIVE)
        assert evaluation.complete_tender(self.tender.pk, now=award.standstill_ends_at)


@pytest.fixture
def lifecycle(make_tender, make_supplier, make_officer, officer):
    return Lifecycle(make_tender, make_supplier, make_officer, officer)


def _full(lifecycle) -> None:
    lifecycle.tender_stage()
    lifecycle.open_and_evaluate()
    first = lifecycle.award("Alpha" if _ranked_first(lifecycle) == "Alpha" else "Beta")
    loser = "Beta" if first.bid_id == lifecycle.bids["Alpha"].pk else "Alpha"
    lifecycle.annul_on_complaint(loser)
    lifecycle.award(loser, justification="Шағымнан кейін: екінші ұсыныс.")
    lifecycle.complete()


def _ranked_first(lifecycle) -> str:
    report = evaluation_report(lifecycle.tender)
    top = next(b for b in report["bids"] if b["rank"] == 1)["bid"]
    return next(label for label, bid in lifecycle.bids.items() if bid.pk == top)


# --- the whole lifecycle ------------------------------------------------------------------

def test_the_whole_lifecycle_is_clean_ocds(lifecycle, api):
    # given
    _full(lifecycle)

    # when
    releases = package(api, lifecycle.tender)

    # then: the tags tell the story, in order
    tags = [r["tag"][0] for r in releases["releases"]]
    assert tags == ["tender", "tenderAmendment", "tenderUpdate", "tenderUpdate", "tenderUpdate", "tenderUpdate",
                    "award", "awardCancellation", "award", "contract"]
    assert_release_package(releases)
    assert_record_package(record(api, lifecycle.tender))
    page_url = "/api/ocds/releases/?page_size=3"
    while page_url:
        page = api.get(page_url).json()
        assert_feed_page(page)
        page_url = page.get("links", {}).get("next")


def test_every_package_compiles_into_a_record_with_ocdskit(lifecycle, api):
    from ocdskit.combine import merge

    from opendata import ocds

    _full(lifecycle)
    releases = package(api, lifecycle.tender)

    merged = list(merge([releases], return_package=True, schema=ocds.release_schema(),
                        return_versioned_release=True, uri="x", publisher={"name": "p"}, published_date="x"))

    [compiled_package] = merged
    [compiled] = compiled_package["records"]
    ours = record(api, lifecycle.tender)["records"][0]
    assert compiled["compiledRelease"] == ours["compiledRelease"]
    assert compiled["versionedRelease"] == ours["versionedRelease"]


def test_the_record_holds_the_compiled_and_the_versioned_release(lifecycle, api):
    _full(lifecycle)

    body = record(api, lifecycle.tender)

    [rec] = body["records"]
    assert body["packages"] == [f"http://testserver/api/tenders/{lifecycle.tender.pk}/ocds/"]
    assert len(rec["releases"]) == 10 and rec["ocid"] == rec["compiledRelease"]["ocid"]
    compiled = rec["compiledRelease"]
    assert [a["status"] for a in compiled["awards"]] == ["cancelled", "active"]
    assert compiled["tender"]["status"] == "complete" and len(compiled["contracts"]) == 1
    first_award_status = rec["versionedRelease"]["awards"][0]["status"]
    assert [(v["releaseTag"], v["value"]) for v in first_award_status] == [(["award"], "active"),
                                                                          (["awardCancellation"], "cancelled")]
    assert body["license"] and body["publicationPolicy"]


# --- releases never change ------------------------------------------------------------------

def test_an_annulment_leaves_the_award_release_unchanged_byte_for_byte(lifecycle, api):
    # given: the award release as published
    lifecycle.tender_stage()
    lifecycle.open_and_evaluate()
    lifecycle.award(_ranked_first(lifecycle))
    before = api.get(f"/api/tenders/{lifecycle.tender.pk}/ocds/").content.decode()
    award_release = json.loads(before)["releases"][-1]
    assert award_release["tag"] == ["award"] and award_release["awards"][0]["status"] == "active"
    raw = before[before.index('{"ocid"', before.index('"releases":[')):-1]  # the stored texts, as served

    # when: the award is annulled on an upheld complaint
    lifecycle.annul_on_complaint("Beta" if _ranked_first(lifecycle) == "Alpha" else "Alpha")

    # then: every earlier release is in the new package byte for byte; only a new one was added
    after = api.get(f"/api/tenders/{lifecycle.tender.pk}/ocds/").content.decode()
    assert raw.rstrip("]") in after
    releases = json.loads(after)["releases"]
    assert releases[-2] == award_release
    assert releases[-1]["tag"] == ["awardCancellation"] and releases[-1]["awards"][0]["status"] == "cancelled"


def test_bids_carry_their_status_at_each_moment(lifecycle, api):
    lifecycle.tender_stage()
    lifecycle.open_and_evaluate()

    releases = package(api, lifecycle.tender)["releases"]
    compiled = record(api, lifecycle.tender)["records"][0]["compiledRelease"]

    def statuses(release):
        return {d["id"]: d["status"] for d in release["bids"]["details"]}

    opening = next(r for r in releases if "bids" in r)
    bids = {label: str(bid.pk) for label, bid in lifecycle.bids.items()}
    assert statuses(opening) == {bids["Alpha"]: "pending", bids["Beta"]: "pending", bids["Gamma"]: "pending",
                                 bids["Delta"]: "withdrawn"}
    # each decision is a release of its own, holding just that bid's new status
    decisions = releases[releases.index(opening) + 1:]
    assert [r["bids"]["details"] for r in decisions] == [[{"id": bids["Gamma"], "status": "disqualified"}],
                                                         [{"id": bids["Alpha"], "status": "valid"}],
                                                         [{"id": bids["Beta"], "status": "valid"}]]
    assert [r["bids"]["statistics"][0]["value"] for r in decisions] == [0, 1, 2]
    assert all(set(r) == {"ocid", "id", "date", "tag", "initiationType", "language", "bids"} for r in decisions)
    # and the compiled release has them all
    assert statuses(compiled) == {bids["Alpha"]: "valid", bids["Beta"]: "valid",
                                  bids["Gamma"]: "disqualified", bids["Delta"]: "withdrawn"}
    withdrawn = next(d for d in compiled["bids"]["details"] if d["status"] == "withdrawn")
    assert withdrawn == {"id": bids["Delta"], "status": "withdrawn"}  # never opened: nothing else is public
    assert {s["measure"]: s["value"] for s in compiled["bids"]["statistics"]} == {"bids": 3, "validBids": 2}


def test_the_award_release_holds_every_bid_status(lifecycle, api):
    lifecycle.tender_stage()
    lifecycle.open_and_evaluate()
    lifecycle.award(_ranked_first(lifecycle))

    award = package(api, lifecycle.tender)["releases"][-1]

    assert award["tag"] == ["award"]
    assert sorted(d["status"] for d in award["bids"]["details"]) == ["disqualified", "valid", "valid", "withdrawn"]


def test_completion_publishes_the_contract(lifecycle, api):
    _full(lifecycle)

    releases = package(api, lifecycle.tender)["releases"]

    complete = releases[-1]
    award = next(a for a in complete["awards"] if a["status"] == "active")
    assert complete["tag"] == ["contract"] and complete["tender"]["status"] == "complete"
    assert complete["contracts"] == [{"id": award["id"], "awardID": award["id"], "title": "Жолды жөндеу",
                                      "status": "active", "value": award["value"],
                                      "dateSigned": complete["date"]}]
    assert award["relatedBid"] in {d["id"] for d in complete["bids"]["details"]}
    assert "contracts" not in releases[-2]


def test_the_tender_language_is_the_officers_choice(officer, as_user, api):
    client = as_user(officer)
    now = timezone.now()
    body = {"title": "Жолды жөндеу", "cpv": "45233140-2", "estimated_amount": "1000000.00",
            "clarification_deadline": (now + timedelta(days=10)).isoformat(),
            "submission_deadline": (now + timedelta(days=20)).isoformat(), "language": "kk"}

    created = client.post("/api/tenders/", body, format="json")
    bad = client.post("/api/tenders/", {**body, "language": "de"}, format="json")
    default = client.post("/api/tenders/", {k: v for k, v in body.items() if k != "language"}, format="json")
    edited = client.patch(f"/api/tenders/{default.json()['id']}/", {"language": "en"}, format="json")
    client.post(f"/api/tenders/{created.json()['id']}/publish/")

    assert created.status_code == 201 and created.json()["language"] == "kk"
    assert bad.status_code == 400 and "language" in bad.json()["errors"]
    assert default.json()["language"] == "ru"
    assert edited.status_code == 200 and client.get(f"/api/tenders/{default.json()['id']}/").json()["language"] == "en"
    release = api.get(f"/api/tenders/{created.json()['id']}/ocds/").json()["releases"][0]
    assert release["language"] == "kk"


# --- other paths ------------------------------------------------------------------------------

def test_cancellation_after_bids_and_unsuccessful_are_clean_ocds(lifecycle, make_tender, make_supplier,
                                                                  officer, api):
    # cancelled in evaluation, after the opening
    lifecycle.tender_stage()
    lifecycle.open_and_evaluate()
    tender_services.cancel_tender(lifecycle.tender.pk, by=officer, reason="Бюджет қысқартылды.")
    cancelled = package(api, lifecycle.tender)
    # unsuccessful: the only bid disqualified
    start = timezone.now() - timedelta(days=30)
    lonely = make_tender(now=start)
    bid = _bid(lonely, make_supplier(), "1000.00", start + timedelta(days=1))
    assert bid_services.open_tender(lonely.pk, now=lonely.submission_deadline + timedelta(seconds=1))
    evaluation.qualify_bid(lonely.pk, bid.pk, by=officer, qualified=False, reason="Expired licence.")
    unsuccessful = package(api, lonely)

    assert cancelled["releases"][-1]["tag"] == ["tenderCancellation"]
    assert cancelled["releases"][-1]["tender"]["status"] == "cancelled"
    assert [r["tag"][0] for r in unsuccessful["releases"]][-2:] == ["tenderUpdate", "tenderUpdate"]
    assert unsuccessful["releases"][-1]["tender"]["status"] == "unsuccessful"
    assert unsuccessful["releases"][-1]["bids"]["details"][0]["status"] == "disqualified"
    for body in (cancelled, unsuccessful):
        assert_release_package(body)
    assert_record_package(record(api, lifecycle.tender))
    assert_record_package(record(api, lonely))


def test_a_cancelled_award_in_a_cancelled_tender(lifecycle, officer, api):
    lifecycle.tender_stage()
    lifecycle.open_and_evaluate()
    lifecycle.award(_ranked_first(lifecycle))
    tender_services.cancel_tender(lifecycle.tender.pk, by=officer, reason="Қаржы жоқ.")

    releases = package(api, lifecycle.tender)["releases"]

    assert releases[-2]["awards"][0]["status"] == "active"
    assert releases[-1]["awards"][0]["status"] == "cancelled"
    assert [p for p in releases[-1]["parties"] if "supplier" in p["roles"]] == []
    assert_release_package(package(api, lifecycle.tender))


def test_a_draft_cancelled_before_publication_has_no_release(make_tender, officer, api):
    draft = make_tender(publish=False)
    tender_services.cancel_tender(draft.pk, by=officer, reason="Not needed.")

    assert api.get(f"/api/tenders/{draft.pk}/ocds/").status_code == 404
    assert api.get(f"/api/tenders/{draft.pk}/ocds/record/").status_code == 404


# --- settings, bulk file --------------------------------------------------------------------

def test_license_and_publication_policy_come_from_the_settings(make_tender, api, settings):
    settings.PROCUREMENT_OCDS_LICENSE = "https://opendatacommons.org/licenses/pddl/1-0/"
    settings.PROCUREMENT_OCDS_PUBLICATION_POLICY = "https://example.kz/ocds-policy"
    tender = make_tender()

    bodies = [package(api, tender), record(api, tender), api.get("/api/ocds/releases/").json()]

    for body in bodies:
        assert body["license"] == "https://opendatacommons.org/licenses/pddl/1-0/"
        assert body["publicationPolicy"] == "https://example.kz/ocds-policy"


def test_the_default_publication_policy_is_served(db, api):
    response = api.get("/api/ocds/publication-policy/")

    assert response.status_code == 200 and b"publication policy" in response.content


def test_the_daily_bulk_file_holds_every_published_tender(lifecycle, make_tender, api, settings, tmp_path):
    # given
    settings.PROCUREMENT_OCDS_BULK_DIR = tmp_path
    assert api.get("/api/ocds/bulk/latest.jsonl.gz").json()["code"] == "bulk_not_ready"
    _full(lifecycle)
    others = [make_tender(), make_tender()]
    make_tender(publish=False)

    # when
    call_command("ocds_bulk")

    # then: one release package per published tender, each as its own package endpoint serves it
    response = api.get("/api/ocds/bulk/latest.jsonl.gz")
    assert response.status_code == 200 and response["Content-Type"] == "application/gzip"
    lines = gzip.decompress(b"".join(response.streaming_content)).decode().splitlines()
    packages = [json.loads(line) for line in lines]
    assert [p["releases"][0]["ocid"].rsplit("-", 1)[1] for p in packages] == \
        [str(t.pk) for t in sorted([lifecycle.tender, *others], key=lambda t: t.pk)]
    for body in packages:
        assert body["releases"] == package(api, _tender(body))["releases"]
        assert_release_package(body)


def _tender(body):
    from tenders.models import Tender

    return Tender.objects.get(pk=int(body["releases"][0]["ocid"].rsplit("-", 1)[1]))


def test_the_backfill_gives_a_tender_from_before_stored_releases_one_true_release(make_tender, officer, api):
    # given: a tender amended and cancelled, whose stored releases are missing (as before this version)
    from opendata.models import Release

    tender = make_tender()
    tender_services.amend_tender(tender.pk, by=officer, rationale="Scope clarified.", title="New title")
    tender_services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn.")
    Release.objects.filter(tender=tender).delete()
    assert api.get(f"/api/tenders/{tender.pk}/ocds/").status_code == 404

    # when
    call_command("ocds_backfill")
    call_command("ocds_backfill")  # again: nothing more

    # then
    body = package(api, tender)
    [release] = body["releases"]
    assert release["tag"] == ["tenderCancellation"] and release["tender"]["title"] == "New title"
    assert release["id"].endswith(f"-{tender.audit_entries.count()}")
    assert [a["rationale"] for a in release["tender"]["amendments"]] == ["Scope clarified."]
    assert_release_package(body)


def test_the_demo_data_is_clean_ocds(db, api, capsys):
    # given: the demo data, made through the services
    from opendata.releases import ocid
    from tenders.models import Tender

    call_command("seed_demo")
    published = list(Tender.objects.exclude(published_at=None).order_by("pk"))
    drafts = Tender.objects.filter(published_at=None)
    assert drafts.exists() and len(published) >= 25

    # when: every release of every tender, in one feed page, and every tender's record
    feed = api.get("/api/ocds/releases/?page_size=1000").json()
    records = [record(api, tender) for tender in published]

    # then
    assert "next" not in feed.get("links", {})
    assert {r["ocid"] for r in feed["releases"]} == {ocid(t.pk) for t in published}
    assert_feed_page(feed)
    combined = {**records[0], "packages": [p for r in records for p in r["packages"]],
                "records": [r["records"][0] for r in records]}
    assert_record_package(combined)
    languages = {r["ocid"]: r["language"] for r in feed["releases"]}
    assert {languages[ocid(t.pk)] for t in published} == {"kk", "ru", "en"}
    assert all(languages[ocid(t.pk)] == t.language for t in published)
    buyers = [p for r in feed["releases"] for p in r.get("parties", []) if "buyer" in p["roles"]]
    assert all(p["identifier"]["scheme"] == "KZ-BIN" for p in buyers)


def test_a_bid_set_aside_at_the_opening_is_disqualified_without_content(make_tender, make_supplier, api):
    # given: two bids, one whose sealed box is unreadable at the opening
    from bids.models import BidVersion

    start = timezone.now() - timedelta(days=30)
    tender = make_tender(now=start)
    bad_supplier, good_supplier = make_supplier(), make_supplier()
    bad = _bid(tender, bad_supplier, "1000.00", start + timedelta(days=1))
    good = _bid(tender, good_supplier, "2000.00", start + timedelta(days=1, minutes=1))
    BidVersion.objects.filter(pk=bad.current_id).update(sealed=b"\x00" * 120)

    # when
    assert bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    body = package(api, tender)

    # then: received and public, never opened, so no value; the good one is pending
    opening = body["releases"][-1]
    details = {d["id"]: d for d in opening["bids"]["details"]}
    assert details[str(bad.pk)] == {"id": str(bad.pk), "date": details[str(bad.pk)]["date"],
                                    "status": "disqualified",
                                    "tenderers": [{"id": f"KZ-BIN-{bad_supplier.organisation.tax_id}",
                                                   "name": bad_supplier.organisation.name}]}
    assert details[str(good.pk)]["status"] == "pending" and details[str(good.pk)]["value"]["amount"] == 2000.0
    assert opening["tender"]["numberOfTenderers"] == 2
    assert opening["bids"]["statistics"][0]["value"] == 2
    assert_release_package(body)
