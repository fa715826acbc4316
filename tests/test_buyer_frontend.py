"""The buyer's workspace, server side: the pages in three languages under the
strict policy, their first paint (the buyer's own drafts; another buyer's
officer and the public get no editor), and the platform's periods embedded
for the editor."""

import json
import re

import pytest
from django.test import Client

from tests.evaluation_support import make_lots_opened, make_opened  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def page_data(response) -> dict:
    match = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(match.group(1))


def client_for(user, lang="en") -> Client:
    client = Client(headers={"accept-language": lang})
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
@pytest.mark.parametrize("path", ["/buyer/", "/buyer/tenders/new/", "/tenders/{tender}/evaluation/"])
def test_the_workspace_pages_answer_in_the_language_under_a_strict_policy(officer, make_tender, path, lang):
    tender = make_tender()
    response = client_for(officer, lang).get(path.format(tender=tender.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="' in tag or 'type="application/json"' in tag, tag


def test_the_dashboard_lists_the_buyers_own_drafts_and_tenders_only(officer, other_officer, make_tender):
    # given
    draft = make_tender(title="Школьное питание (черновик)", publish=False)
    live = make_tender(title="Road repair")
    foreign = make_tender(by=other_officer, title="Hospital beds")
    # when
    html = client_for(officer).get("/buyer/").content.decode()
    # then
    assert f'id="tender-{draft.pk}"' in html and f'id="tender-{live.pk}"' in html
    assert f'id="tender-{foreign.pk}"' not in html
    assert f'href="/buyer/tenders/{draft.pk}/"' in html


def test_the_editor_embeds_the_tender_and_the_platforms_periods(officer, make_tender, settings):
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 7200
    draft = make_tender(publish=False)
    response = client_for(officer, "kk").get(f"/buyer/tenders/{draft.pk}/")
    data = page_data(response)
    assert data["tender"]["id"] == draft.pk and data["own"] is True
    assert data["platform"]["min_submission_period"] == 7200
    assert 'id="editor"' in response.content.decode()


def test_another_buyers_officer_gets_no_editor_and_its_draft_is_not_found(officer, other_officer, make_tender):
    draft = make_tender(publish=False)
    live = make_tender()
    assert client_for(other_officer).get(f"/buyer/tenders/{draft.pk}/").status_code == 404
    response = client_for(other_officer).get(f"/buyer/tenders/{live.pk}/")
    assert response.status_code == 200 and page_data(response)["own"] is False
    assert 'id="editor"' not in response.content.decode()
    public = client_for(None).get("/buyer/")
    assert public.status_code == 200 and 'href="/login/?next=/buyer/"' in public.content.decode()


def test_the_evaluation_page_of_a_draft_is_not_found_for_anyone_else(officer, other_officer, make_tender):
    draft = make_tender(publish=False)
    assert client_for(other_officer).get(f"/tenders/{draft.pk}/evaluation/").status_code == 404
    assert client_for(None).get(f"/tenders/{draft.pk}/evaluation/").status_code == 404
    assert client_for(officer).get(f"/tenders/{draft.pk}/evaluation/").status_code == 200


def test_a_multi_lot_evaluation_page_is_one_lots_with_a_switcher_to_the_others(officer, make_lots_opened):
    opened = make_lots_opened({"Asphalt": "1000", "Road signs": "500"},
                              {"Alpha": {"Asphalt": "900", "Road signs": "450"}, "Beta": {"Asphalt": "950"}})
    tender = opened.tender
    asphalt, signs = tender.lots.order_by("position")
    client = client_for(officer)
    # without ?lot=: the first lot in evaluation; the switcher links every lot and marks the current one
    response = client.get(f"/tenders/{tender.pk}/evaluation/")
    assert response.status_code == 200
    assert page_data(response)["lot"]["id"] == asphalt.pk
    html = response.content.decode()
    assert f'<a id="lot-link-{asphalt.pk}" href="?lot={asphalt.pk}" aria-current="page">' in html
    assert f'<a id="lot-link-{signs.pk}" href="?lot={signs.pk}">' in html
    # a lot named in the query string; a lot the tender does not have is no page
    response = client.get(f"/tenders/{tender.pk}/evaluation/?lot={signs.pk}")
    lot = page_data(response)["lot"]
    assert (lot["id"], lot["title"], lot["status"]) == (signs.pk, "Road signs", "evaluation")
    assert "Evaluation: Road repair on Kabanbay Batyr avenue — Road signs" in response.content.decode()
    for bad in ("999999", "x", ""):
        assert client.get(f"/tenders/{tender.pk}/evaluation/?lot={bad}").status_code == 404
    # the buyer's tender page links each lot's evaluation
    html = client.get(f"/buyer/tenders/{tender.pk}/").content.decode()
    for lot in (asphalt, signs):
        assert f'href="/tenders/{tender.pk}/evaluation/?lot={lot.pk}"' in html


def test_a_single_lot_evaluation_page_has_no_switcher(officer, make_opened):
    opened = make_opened({"Alpha": "900"})
    response = client_for(officer).get(f"/tenders/{opened.tender.pk}/evaluation/?lot=999999")
    assert response.status_code == 200
    assert page_data(response)["lot"] is None and 'id="lot-switch"' not in response.content.decode()


def test_every_page_s_menu_leads_an_officer_to_the_workspace_and_no_one_else(officer, supplier):
    workspace = re.compile(r'<nav aria-label="[^"]*">.*<a href="/buyer/">Your tenders</a>.*</nav>', re.S)
    assert workspace.search(client_for(officer).get("/").content.decode())
    assert workspace.search(client_for(officer).get("/stats/").content.decode())
    assert not workspace.search(client_for(supplier).get("/").content.decode())
    assert not workspace.search(client_for(None).get("/").content.decode())
