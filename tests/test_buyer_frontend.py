"""The buyer's workspace, server side: the pages in three languages under the
strict policy, their first paint (the buyer's own drafts; another buyer's
officer and the public get no editor), and the platform's periods embedded
for the editor."""

import json
import re

import pytest
from django.test import Client

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
