"""The red flags over HTTP: a tender's flags, the register's ``flag``
filter, and the figures per buyer (JSON and CSV)."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation import services as evaluation

from .evaluation_support import make_opened, qualify_all  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def short(make_tender):
    now = timezone.now()
    return make_tender(now=now, clarification_deadline=now + timedelta(days=3),
                       submission_deadline=now + timedelta(days=7))


def test_a_tenders_flags_name_the_rule_and_the_figures(api, short, make_tender):
    body = api.get(f"/api/tenders/{short.pk}/flags/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [(f["code"], f["name"], f["lot"], f["figures"]) for f in body["flags"]] == [
        ("R003", "Short submission period", None, {"days": 7, "threshold": 15})]
    assert "15 whole days" in body["flags"][0]["rule"]
    assert body["opened"] is False
    assert {i["code"] for i in body["indicators"]} >= {"R003", "R018", "R024", "R028", "R035", "R036", "R038", "R058"}
    assert "not a finding" in body["note"]


def test_names_and_rules_in_the_requests_language(api, short):
    body = api.get(f"/api/tenders/{short.pk}/flags/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert body["flags"][0]["name"] == "Короткий срок подачи предложений"
    kk = api.get(f"/api/tenders/{short.pk}/flags/", HTTP_ACCEPT_LANGUAGE="kk").json()
    assert kk["flags"][0]["name"] == "Ұсыныстарды беру мерзімі қысқа"


def test_a_draft_has_no_public_flags(api, make_tender):
    draft = make_tender(publish=False)
    assert api.get(f"/api/tenders/{draft.pk}/flags/").status_code == 404


def test_the_register_filters_by_flag(api, short, make_tender):
    calm = make_tender()
    ids = [t["id"] for t in api.get("/api/tenders/?flag=R003").json()["results"]]
    assert ids == [short.pk]
    assert calm.pk in [t["id"] for t in api.get("/api/tenders/").json()["results"]]
    assert api.get("/api/tenders/?flag=r003").json()["count"] == 1
    assert api.get("/api/tenders/?flag=R018").json()["count"] == 0


def test_a_malformed_flag_is_a_400(api):
    response = api.get("/api/tenders/?flag=DROP")
    assert response.status_code == 400
    assert response.json()["errors"]["flag"][0]["code"] == "flag_invalid"


def test_figures_per_buyer_with_shares_and_trend(api, short, make_tender, make_opened):
    make_tender()
    make_opened({"solo": "100.00"})  # R018
    body = api.get("/api/flags/").json()
    [row] = body["results"]
    assert (row["tenders"], row["flagged"], row["flagged_share"]) == (3, 2, "0.6667")
    assert row["indicators"]["R003"] == {"tenders": 1, "share": "0.3333"}
    assert row["indicators"]["R018"] == {"tenders": 1, "share": "0.3333"}
    assert sum(m["tenders"] for m in row["trend"]) == 3
    assert row["r038"] is False and row["disqualification_ratio"] is None  # one tender with bids: too few


def test_figures_per_buyer_as_csv(api, short):
    response = api.get("/api/flags/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["tenders"] == "1" and rows[0]["R003_tenders"] == "1" and rows[0]["R003_share"] == "1.0000"


def test_r038_on_the_buyer_that_disqualifies_far_more_than_the_others(api, make_officer, make_opened, settings):
    settings.PROCUREMENT_FLAGS_MIN_BUYERS = 4
    buyers = {name: make_officer(buyer=name) for name in ("Alpha", "Beta", "Gamma", "Delta")}
    tenders = {}
    for name, officer in buyers.items():
        for _ in range(2):
            opened = make_opened({"solo": "100.00"}, by=officer)
            qualify_all(opened, officer, except_=("solo",) if name == "Delta" else ())
            tenders[name] = opened.tender
    body = api.get("/api/flags/").json()
    by_name = {r["name"]: r for r in body["results"]}
    # Shares 0, 0, 0, 1: Q1 0, Q3 0.25, upper fence 0.625.
    assert body["buyers_fence"]["upper_fence"] == "0.625000"
    assert by_name["Delta"]["r038"] is True and by_name["Delta"]["disqualification_ratio"] == "1.000000"
    assert not any(by_name[n]["r038"] for n in ("Alpha", "Beta", "Gamma"))
    flags = api.get(f"/api/tenders/{tenders['Delta'].pk}/flags/").json()["flags"]
    assert {"code": "R038", "scope": "buyer"}.items() <= [f for f in flags if f["code"] == "R038"][0].items()
    assert not [f for f in api.get(f"/api/tenders/{tenders['Alpha'].pk}/flags/").json()["flags"]
                if f["code"] == "R038"]


# --- the pages ------------------------------------------------------------------------------

def test_the_tender_page_names_each_flag_its_rule_and_figures(client, short):
    html = client.get(f"/tenders/{short.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Индикаторы риска" in html and "R003 · Короткий срок подачи предложений" in html
    assert "Флаг — повод присмотреться, а не вывод о нарушении." in html
    assert "Полных дней от публикации до срока</dt><dd>7</dd>" in html


def test_a_calm_tender_page_says_no_indicator_is_raised(client, make_tender):
    html = client.get(f"/tenders/{make_tender().pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No indicator is raised on this tender." in html
    assert "computed only once the bids are opened" in html


def test_the_register_page_filters_by_flag(client, short, make_tender):
    calm = make_tender(title="Calm tender")
    html = client.get("/?flag=R003", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/tenders/{short.pk}/"' in html and f'href="/tenders/{calm.pk}/"' not in html
    assert '<option value="R003" selected>' in html


def test_an_unknown_format_is_a_400(api):
    response = api.get("/api/flags/?format=xml")
    assert response.status_code == 400 and response.json()["code"] == "format_invalid"


def test_the_figures_name_the_supplier_indicators_and_their_fences(api, make_opened, officer):
    opened = make_opened({"a": "100.00", "b": "110.00"})
    qualify_all(opened, officer)
    evaluation.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["a"].pk)
    body = api.get("/api/flags/").json()
    assert {i["code"]: i["scope"] for i in body["indicators"]}["R025"] == "supplier"
    assert body["suppliers"]["r025"]["count"] == 2 and body["suppliers"]["r025"]["fence"] is None  # too few
    assert body["suppliers"]["flagged"] == []
