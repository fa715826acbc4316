"""CSV export of the public register: the register's filters, streamed."""

import csv
import io
from decimal import Decimal

import pytest

from tests.transparency_helpers import submit


def rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def register(make_tender, make_officer, supplier):
    """Four published tenders of two buyers in different CPV divisions and sizes, and a draft."""
    health = make_officer(buyer="Ministry of Health")
    roads = make_tender(title="Road repair", estimated_amount=Decimal("125000000.00"))
    submit(roads, supplier)
    make_tender(title="Bridge works", cpv="45221111-3", estimated_amount=Decimal("900000000.00"))
    make_tender(by=health, title="Hospital beds", cpv="33192000-2", estimated_amount=Decimal("5000000.00"))
    make_tender(by=health, title="Поставка шприцев", cpv="33141310-6", estimated_amount=Decimal("750000.50"))
    make_tender(title="Unpublished plan", publish=False)
    return health


def test_the_export_streams_the_public_register(register, api):
    response = api.get("/api/tenders/export.csv")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    exported = rows(response)
    assert sorted(r["title"] for r in exported) == ["Bridge works", "Hospital beds", "Road repair",
                                                    "Поставка шприцев"]
    road = next(r for r in exported if r["title"] == "Road repair")
    assert road["estimated_amount"] == "125000000.00" and road["bid_count"] == "1"
    assert road["cpv_name"] == "Roadworks" and road["buyer"] == "Akimat of Astana"
    assert road["url"].endswith(f"/api/tenders/{road['id']}/")


def test_an_officer_exports_no_drafts_either(register, officer, as_user):
    titles = [r["title"] for r in rows(as_user(officer).get("/api/tenders/export.csv"))]

    assert "Unpublished plan" not in titles


@pytest.mark.parametrize("query", [
    "cpv=33", "cpv=45221111-3", "status=active", "value_min=1000000&value_max=200000000", "q=repair",
    "ordering=-estimated_amount", "ordering=title", "deadline_after=2000-01-01T00:00:00Z",
])
def test_the_export_has_the_same_filters_as_the_register(register, api, query):
    # given
    listed = api.get(f"/api/tenders/?{query}&page_size=100").json()["results"]

    # when
    exported = rows(api.get(f"/api/tenders/export.csv?{query}"))

    # then
    assert [int(r["id"]) for r in exported] == [t["id"] for t in listed]


def test_the_export_filters_by_buyer(register, api):
    exported = rows(api.get(f"/api/tenders/export.csv?buyer={register.organisation_id}"))

    assert sorted(r["title"] for r in exported) == ["Hospital beds", "Поставка шприцев"]


@pytest.mark.parametrize("query, code", [("cpv=abc", "cpv_prefix_invalid"), ("value_min=lots", "invalid"),
                                         ("ordering=secret", "invalid_choice"), ("status=draftish", "invalid_choice")])
def test_a_bad_filter_is_a_400_not_a_broken_file(register, api, query, code):
    response = api.get(f"/api/tenders/export.csv?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_the_export_answers_a_client_asking_for_csv(register, api):
    response = api.get("/api/tenders/export.csv", HTTP_ACCEPT="text/csv")

    assert response.status_code == 200 and len(rows(response)) == 4


def test_a_title_that_looks_like_a_formula_is_defused(make_tender, api):
    make_tender(title='=HYPERLINK("http://evil.example","click")')

    exported = rows(api.get("/api/tenders/export.csv"))

    assert exported[0]["title"].startswith("'=")


def test_the_export_reads_the_register_in_one_query(register, api, django_assert_num_queries):
    response = api.get("/api/tenders/export.csv")

    with django_assert_num_queries(1):
        assert len(rows(response)) == 4
