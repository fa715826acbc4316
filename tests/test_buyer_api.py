"""What the buyer's workspace reads besides the tender API: the platform's
periods and limits (the draft editor explains them before the server
refuses a deadline), and the officers of the buyer (the committee picker)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_platform_publishes_its_minimum_periods_and_limits(api, settings):
    # given
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 3600
    settings.PROCUREMENT_MIN_AMENDMENT_PERIOD = 1800
    settings.PROCUREMENT_STANDSTILL_PERIOD = 600
    # when
    response = api.get("/api/platform/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["min_submission_period"], body["min_amendment_period"], body["standstill_period"]) == (
        3600, 1800, 600)
    assert body["max_document_bytes"] == settings.PROCUREMENT_MAX_DOCUMENT_BYTES
    assert body["document_types"]["application/pdf"] == ".pdf"


def test_an_officer_lists_the_officers_of_its_own_buyer_only(as_user, make_officer):
    # given
    me = make_officer(buyer="Akimat of Astana", username="aigerim")
    make_officer(buyer="Akimat of Astana", username="bolat")
    make_officer(buyer="Ministry of Health", username="stranger")
    # when
    response = as_user(me).get("/api/auth/officers/")
    # then
    assert response.status_code == 200
    assert [row["username"] for row in response.json()] == ["aigerim", "bolat"]


@pytest.mark.parametrize("who", ["anonymous", "supplier"])
def test_only_an_officer_may_list_officers(api, as_user, supplier, who):
    client = api if who == "anonymous" else as_user(supplier)
    response = client.get("/api/auth/officers/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("not_authenticated", "permission_denied", "forbidden")
