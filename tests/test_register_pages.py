"""The register reads its count and its page together (issue 22): one
compiled query, its WHERE reused for the count, both in one round trip
(``tenders.api.RegisterRows``). Every page must be answered exactly as the
paginator's own count-then-slice answered it, including the edges: the last
page, a page past the end, ``page=last``, a bad page number, page sizes from
1 to over the maximum, filters that match nothing, and a signed-in officer
(whose drafts widen the register)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenders import services
from tenders.api import RegisterRows, TenderListView
from tests.conftest import tender_fields

NOW = timezone.now()


@pytest.fixture
def register(officer, other_officer):
    for i in range(23):
        by = officer if i % 2 else other_officer
        tender = services.create_draft(by=by, **tender_fields(
            NOW - timedelta(minutes=100 - i), title=f"Tender {i}",
            cpv="45233140-2" if i % 3 else "33600000-6", estimated_amount=Decimal(1_000_000 * (i + 1)),
            submission_deadline=NOW + timedelta(days=12 + i % 5)))
        if i not in (4, 9):  # two drafts, one of each buyer
            services.publish_tender(tender.pk, by=by, now=NOW - timedelta(minutes=50 - i))


QUERIES = ["", "cpv=45", "cpv=33&value_min=5000000", "status=active&ordering=submission_deadline",
           "value_max=1", "ordering=-estimated_amount&cpv=4523", "value_min=3000000&value_max=9000000",
           "flag=R018", "q=tender", "buyer=999999999"]
PAGES = ["", "page=1", "page=2", "page=3", "page=4", "page=24", "page=last", "page=0", "page=-1", "page=x",
         "page=", "page=2&page=1", "page_size=1&page=23", "page_size=1&page=21", "page_size=7&page=3",
         "page_size=7&page=4", "page_size=100", "page_size=1000&page=1", "page_size=0", "page_size=5&page=last",
         "page=999999", "page=1000000", "page=" + "9" * 19, "page=" + "1" * 5000, "page_size=" + "5" * 5000]


def _answers(client, monkeypatch, windowed: bool) -> dict:
    answers, windows = {}, []
    with monkeypatch.context() as patched:
        if windowed:
            original = RegisterRows.__init__

            def noting(self, queryset, window=None):
                original(self, queryset, window)
                windows.append(self.window)
            patched.setattr(RegisterRows, "__init__", noting)
        else:
            patched.setattr(TenderListView, "_page_window", lambda self, request: None)
        for query in QUERIES:
            for page in PAGES:
                url = f"/api/tenders/?{'&'.join(part for part in (query, page) if part)}"
                response = client.get(url)
                answers[url] = (response.status_code, response.json())
    if windowed:  # most answers took the one-round-trip path
        assert sum(window is not None for window in windows) > len(windows) // 2
    return answers


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_every_page_is_answered_as_the_paginator_answered_it(api, officer, register, monkeypatch, who):
    if who == "officer":
        api.force_authenticate(officer)
    windowed, sliced = _answers(api, monkeypatch, True), _answers(api, monkeypatch, False)
    assert windowed == sliced
    statuses = {status for status, _ in windowed.values()}
    assert statuses == {200, 400, 404}  # every edge was reached
    assert windowed["/api/tenders/?page=2"][1]["count"] == (22 if who == "officer" else 21)  # + its own draft


@pytest.mark.django_db
def test_the_count_and_the_page_are_one_round_trip_on_postgresql(api, register):
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/tenders/?cpv=45&page=2&page_size=5").json()
    register_queries = [q["sql"] for q in queries.captured_queries if '"tenders_tender"' in q["sql"]]
    assert body["count"] == 14 and len(body["results"]) == 5
    if connection.vendor == "postgresql":
        assert len(register_queries) == 1 and register_queries[0].count("SELECT") == 2
    else:  # SQLite takes one statement at a time
        assert len(register_queries) == 2


@pytest.mark.django_db
def test_numbers_of_thousands_of_digits_are_a_page_size_over_the_maximum_or_no_such_page(api, register):
    # int() refuses more than 4,300 digits: a 500 before, were it reached
    assert len(api.get("/api/tenders/?page_size=" + "5" * 5000).json()["results"]) == 21  # served as 100
    assert api.get("/api/tenders/?page_size=" + "0" * 5000).status_code == 400
    for number in ("9" * 19, "1" * 5000):  # past the database's integers, past int()
        response = api.get(f"/api/tenders/?page={number}")
        assert response.status_code == 404, response.json()
