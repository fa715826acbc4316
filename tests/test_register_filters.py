"""The public register `GET /api/tenders/`: every filter, full-text search
(PostgreSQL full-text search or the SQLite fallback, whichever the suite runs
on), ordering, pagination and a query count that does not grow with the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenders import services
from tenders.models import Tender
from tests.helpers import iso

NOW = timezone.now()


@pytest.fixture
def register(make_tender, officer, other_officer):
    """Four published tenders (published a minute apart, oldest first) and
    one draft, by two buyers."""
    def at(minutes):
        return NOW - timedelta(minutes=minutes)

    road = make_tender(by=officer, now=at(40), title="Road repair on Kabanbay Batyr avenue",
                       cpv="45233140-2", estimated_amount=Decimal("125000000.00"),
                       submission_deadline=NOW + timedelta(days=20))
    medicine = make_tender(by=other_officer, now=at(30), title="Поставка лекарственных средств для поликлиник",
                           description="Антибиотики и вакцины для городских поликлиник.",
                           cpv="33600000-6", estimated_amount=Decimal("48000000.50"),
                           submission_deadline=NOW + timedelta(days=30))
    furniture = make_tender(by=officer, now=at(20), title="Мектеп жиһазын сатып алу",
                            description="Оқушы партасы мен орындықтар, 300 жинақ.",
                            cpv="39160000-1", estimated_amount=Decimal("7500000.00"),
                            submission_deadline=NOW + timedelta(days=16))
    pipeline = make_tender(by=officer, now=at(10), title="Construction of a water pipeline",
                           description="12 km of ductile iron pipe in the Yesil district.",
                           cpv="45231300-8", estimated_amount=Decimal("900000000.00"),
                           submission_deadline=NOW + timedelta(days=40))
    services.cancel_tender(pipeline.pk, by=officer, reason="Financing moved to next year")
    make_tender(by=officer, publish=False, title="Secret road draft", cpv="45233140-2")
    return {"road": road.pk, "medicine": medicine.pk, "furniture": furniture.pk, "pipeline": pipeline.pk}


def ids(api, query: str) -> list[int]:
    response = api.get(f"/api/tenders/?{query}")
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def names(register, *keys) -> list[int]:
    return [register[key] for key in keys]


def as_set(api, query: str) -> set[int]:
    return set(ids(api, query))


# --- default listing ------------------------------------------------------------------

def test_the_register_lists_published_tenders_newest_first(api, register):
    assert ids(api, "") == names(register, "pipeline", "furniture", "medicine", "road")


def test_a_register_row_has_the_public_fields(api, register):
    row = next(r for r in api.get("/api/tenders/").json()["results"] if r["id"] == register["medicine"])
    tender = Tender.objects.get(pk=register["medicine"])
    assert row == {
        "id": tender.pk, "status": "active", "title": tender.title, "cpv": "33600000-6",
        "cpv_name": "Pharmaceutical products",
        "buyer": {"id": tender.buyer_id, "name": "Ministry of Health"},
        "estimated_amount": "48000000.50", "currency": "KZT",
        "clarification_deadline": iso(tender.clarification_deadline),
        "submission_deadline": iso(tender.submission_deadline), "award_method": "lowest_price",
        "min_bids": 1, "bid_count": 0, "published_at": iso(tender.published_at),
    }


# --- status ---------------------------------------------------------------------------------

def test_filter_by_one_status(api, register):
    assert ids(api, "status=cancelled") == names(register, "pipeline")


def test_filter_by_a_comma_separated_list_of_statuses(api, register):
    assert as_set(api, "status=active,cancelled") == set(register.values())


def test_the_draft_status_shows_the_public_nothing(api, register):
    assert ids(api, "status=draft") == []


def test_an_unknown_status_is_400(api, register):
    response = api.get("/api/tenders/?status=active,bogus")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice"


# --- buyer --------------------------------------------------------------------------------------

def test_filter_by_buyer(api, register, other_officer):
    assert ids(api, f"buyer={other_officer.organisation_id}") == names(register, "medicine")


@pytest.mark.parametrize("value", ["abc", "1.5", "0", "99999999999999999999999999"])
def test_a_bad_buyer_id_is_400(api, register, value):
    response = api.get(f"/api/tenders/?buyer={value}")
    assert response.status_code == 400
    assert "buyer" in response.json()["errors"]


# --- cpv ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cpv, expected", [
    ("45", {"road", "pipeline"}),
    ("4523", {"road", "pipeline"}),
    ("45230000", {"road", "pipeline"}),  # trailing zeros: the whole branch
    ("45233000", {"road"}),
    ("45233140-2", {"road"}),  # a full code
    ("45233140", {"road"}),
    ("33", {"medicine"}),
    ("03", set()),
])
def test_filter_by_cpv_prefix(api, register, cpv, expected):
    assert as_set(api, f"cpv={cpv}") == set(names(register, *expected))


@pytest.mark.parametrize("cpv", ["4", "abc", "452331401", "45233140-22"])
def test_a_malformed_cpv_prefix_is_400(api, register, cpv):
    response = api.get(f"/api/tenders/?cpv={cpv}")
    assert response.status_code == 400
    assert response.json()["code"] == "cpv_prefix_invalid"


# --- value ------------------------------------------------------------------------------------------------

def test_filter_by_minimum_value_is_inclusive(api, register):
    assert as_set(api, "value_min=48000000.50") == set(names(register, "road", "medicine", "pipeline"))


def test_filter_by_maximum_value_is_inclusive(api, register):
    assert as_set(api, "value_max=48000000.50") == set(names(register, "medicine", "furniture"))


def test_filter_by_a_value_range(api, register):
    assert ids(api, "value_min=10000000&value_max=200000000&ordering=estimated_amount") == names(
        register, "medicine", "road")


@pytest.mark.parametrize("value", ["cheap", "NaN", "Infinity"])
def test_a_bad_value_is_400(api, register, value):
    assert api.get(f"/api/tenders/?value_min={value}").status_code == 400


# --- deadline ----------------------------------------------------------------------------------------------

def test_filter_by_deadline_after(api, register):
    after = iso(NOW + timedelta(days=25))
    assert as_set(api, f"deadline_after={after}") == set(names(register, "medicine", "pipeline"))


def test_filter_by_deadline_before(api, register):
    before = iso(NOW + timedelta(days=25))
    assert as_set(api, f"deadline_before={before}") == set(names(register, "road", "furniture"))


def test_filter_by_a_deadline_window_with_a_zone_offset(api, register):
    after = (NOW + timedelta(days=18)).astimezone(timezone.get_fixed_timezone(300)).isoformat()
    before = iso(NOW + timedelta(days=35))
    response = api.get("/api/tenders/", {"deadline_after": after, "deadline_before": before})
    assert {r["id"] for r in response.json()["results"]} == set(names(register, "road", "medicine"))


@pytest.mark.parametrize("value", ["next-week", "2026-13-45T00:00:00Z", "0001-01-01T00:00:00+05:00",
                                   "9999-12-31T23:59:59-05:00"])
def test_a_bad_deadline_is_400(api, register, value):
    response = api.get("/api/tenders/", {"deadline_after": value})
    assert response.status_code == 400
    assert "deadline_after" in response.json()["errors"]


# --- full text ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("q, expected", [
    ("road", {"road"}),
    ("ROAD REPAIR", {"road"}),
    ("Kabanbay", {"road"}),
    ("лекарственных", {"medicine"}),  # Russian, title
    ("ЛЕКАРСТВЕННЫХ", {"medicine"}),
    ("антибиотики", {"medicine"}),  # Russian, description
    ("жиһазын", {"furniture"}),  # Kazakh letters
    ("МЕКТЕП", {"furniture"}),
    ("орындықтар", {"furniture"}),  # Kazakh, description
    ("Ministry", {"medicine"}),  # buyer name
    ("akimat", {"road", "furniture", "pipeline"}),
    ("road vaccine", set()),  # every word must match
    ("secret", set()),  # drafts are never found
    ("bridge", set()),
    ("pipe", {"pipeline"}),
])
def test_full_text_search(api, register, q, expected):
    assert as_set(api, f"q={q}") == set(names(register, *expected))


def test_search_combines_with_other_filters(api, register):
    assert ids(api, "q=akimat&status=active&cpv=45") == names(register, "road")


@pytest.mark.parametrize("q", ["'\"()&|!:*", "-", "OR", "<script>"])
def test_search_syntax_characters_are_harmless(api, register, q):
    assert api.get("/api/tenders/", {"q": q}).status_code == 200


def test_a_too_long_search_is_400(api, register):
    assert api.get("/api/tenders/", {"q": "a" * 201}).status_code == 400


# --- ordering -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ordering, expected", [
    ("estimated_amount", ["furniture", "medicine", "road", "pipeline"]),
    ("-estimated_amount", ["pipeline", "road", "medicine", "furniture"]),
    ("submission_deadline", ["furniture", "road", "medicine", "pipeline"]),
    ("published_at", ["road", "medicine", "furniture", "pipeline"]),
    ("title", ["pipeline", "road", "furniture", "medicine"]),  # Latin, then Cyrillic М before П
])
def test_ordering(api, register, ordering, expected):
    assert ids(api, f"ordering={ordering}") == names(register, *expected)


def test_an_unknown_ordering_is_400(api, register):
    response = api.get("/api/tenders/?ordering=sealed_price")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice"


# --- pagination ------------------------------------------------------------------------------------------------------

def test_pagination_first_page(api, register):
    body = api.get("/api/tenders/?page_size=3").json()
    assert body["count"] == 4
    assert len(body["results"]) == 3
    assert body["previous"] is None
    assert "page=2" in body["next"] and "page_size=3" in body["next"]


def test_pagination_last_page(api, register):
    body = api.get("/api/tenders/?page_size=3&page=2").json()
    assert [r["id"] for r in body["results"]] == names(register, "road")
    assert body["next"] is None and body["previous"]


def test_pagination_keeps_the_filters_in_its_links(api, register):
    body = api.get("/api/tenders/?status=active&page_size=1").json()
    assert body["count"] == 3
    assert "status=active" in body["next"]


def test_a_page_past_the_end_is_404(api, register):
    response = api.get("/api/tenders/?page=99")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_page_size_is_capped(api, make_tender, officer):
    tender = make_tender()
    Tender.objects.bulk_create([Tender(**_copy(tender)) for _ in range(105)])
    assert len(api.get("/api/tenders/?page_size=500").json()["results"]) == 100


# --- query count -----------------------------------------------------------------------------------------------------

def register_queries() -> int:  # noqa: N802 - reads as the constant it is per database
    """The count and the page: one message on PostgreSQL (core.rows.run), two statements on SQLite."""
    from django.db import connection

    return 1 if connection.vendor == "postgresql" else 2


def _copy(tender: Tender) -> dict:
    return {f.attname: getattr(tender, f.attname) for f in Tender._meta.concrete_fields if f.attname != "id"}


@pytest.mark.parametrize("page_size", [5, 50])
def test_the_register_query_count_does_not_grow_with_the_page(api, make_tender, django_assert_num_queries,
                                                               page_size):
    # given: 60 published tenders
    tender = make_tender()
    Tender.objects.bulk_create([Tender(**_copy(tender)) for _ in range(59)])
    # when / then: one COUNT and one SELECT, whatever the page size (one message on PostgreSQL)
    with django_assert_num_queries(register_queries()):
        response = api.get(f"/api/tenders/?page_size={page_size}&status=active&cpv=45&q=road")
    assert len(response.json()["results"]) == page_size


def test_the_register_query_count_for_an_officer_is_constant_too(as_user, officer, make_tender,
                                                                 django_assert_num_queries):
    tender = make_tender()
    Tender.objects.bulk_create([Tender(**_copy(tender)) for _ in range(59)])
    client = as_user(officer)
    with django_assert_num_queries(register_queries()):
        assert len(client.get("/api/tenders/?page_size=5").json()["results"]) == 5
    with django_assert_num_queries(register_queries()):
        assert len(client.get("/api/tenders/?page_size=50").json()["results"]) == 50
