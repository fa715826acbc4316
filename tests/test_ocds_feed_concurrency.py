"""The bulk feed under concurrent publications, on real PostgreSQL.

Release numbers are handed out at insert, but transactions commit in any
order: a reader who had paged past release 11 while release 10 was still
uncommitted would never see 10. The feed therefore serves nothing above a
release that may still commit. Skipped on SQLite: its single writer lock
makes id order commit order."""

import threading

import pytest
from django.db import connection, connections, transaction

from tenders import services as tender_services

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def test_a_release_that_commits_late_is_never_skipped(make_tender, officer, api, settings):
    # given: one release published, then a publication that numbers its release and stays open
    from opendata.releases import ocid

    settings.PROCUREMENT_OCDS_FEED_WAIT = 0.3
    first = make_tender()
    late, early = make_tender(publish=False), make_tender(publish=False)
    inserted, go = threading.Event(), threading.Event()
    errors = []

    def publish_slowly():
        try:
            with transaction.atomic():
                tender_services.publish_tender(late.pk, by=officer)
                inserted.set()
                assert go.wait(30)
        except Exception as exc:  # reported below
            errors.append(exc)
            inserted.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=publish_slowly)
    thread.start()
    assert inserted.wait(30)
    tender_services.publish_tender(early.pk, by=officer)  # a higher number, committed first

    # when: a reader asks while the lower-numbered release is uncommitted
    busy = api.get("/api/ocds/releases/?page_size=1")
    go.set()
    thread.join(30)
    assert not errors, errors
    # and again once it has committed, paging one release at a time
    seen, url = [], "/api/ocds/releases/?page_size=1"
    while url:
        page = api.get(url).json()
        seen += [r["ocid"] for r in page["releases"]]
        url = page.get("links", {}).get("next")

    # then: nothing was served past the open transaction; then every release, in number order
    assert busy.status_code == 503 and busy.json()["code"] == "feed_busy"
    assert seen == [ocid(first.pk), ocid(late.pk), ocid(early.pk)]
