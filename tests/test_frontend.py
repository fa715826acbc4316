"""The browser frontend's server side: page shells in three languages with
their first-paint data and Content-Security-Policy, the translation
catalogues, translated API errors, and the API additions the pages use."""

import json
import re
from decimal import Decimal

import pytest
from django.test import Client

from bids import services as bid_services
from frontend.catalogues import LOCALE, problems

pytestmark = pytest.mark.django_db
PAGES = ["/", "/stats/", "/flags/", "/receipts/verify/", "/register/", "/login/", "/account/"]


def page_data(response) -> dict:
    match = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(match.group(1))


def test_every_catalogue_is_complete():
    catalogues = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
    assert {p.relative_to(LOCALE).as_posix() for p in catalogues} == {
        "kk/LC_MESSAGES/django.po", "kk/LC_MESSAGES/djangojs.po",
        "ru/LC_MESSAGES/django.po", "ru/LC_MESSAGES/djangojs.po"}
    assert [problem for po in catalogues for problem in problems(po)] == []


def test_a_fuzzy_or_untranslated_entry_is_reported(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  '#, fuzzy\nmsgid "Tender"\nmsgstr "Тендер"\n\nmsgid "Bid"\nmsgstr ""\n', encoding="utf-8")
    assert problems(po) == [f"{po}: fuzzy: 'Tender'", f"{po}: untranslated: 'Bid'"]


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_in_the_browsers_language_under_a_strict_policy(path, lang):
    response = Client(headers={"accept-language": lang}).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # no inline code: every script is a file, or JSON data
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="' in tag or 'type="application/json"' in tag, tag
    assert re.search(r" on[a-z]+=", html) is None
    assert f'src="/jsi18n/{lang}/"' in html


def test_the_register_paints_its_first_page_and_amounts_in_the_language(make_tender):
    tender = make_tender(title="Қалалық жолдарды жөндеу", estimated_amount=Decimal("2400000000.00"))
    response = Client(headers={"accept-language": "ru"}).get("/?q=жолдарды")
    html = response.content.decode()
    assert f'id="tender-{tender.pk}"' in html and "Қалалық жолдарды жөндеу" in html
    assert re.search(r"2\s400\s000\s000\s₸", html)
    assert page_data(response)["tenders"]["count"] == 1
    # a bad filter is said at the filters, with no rows
    response = Client(headers={"accept-language": "kk"}).get("/?cpv=4x")
    assert 'id="tender-' not in response.content.decode()
    assert page_data(response)["error"]["code"] == "cpv_prefix_invalid"


def test_a_tender_page_is_public_once_published_and_a_draft_only_for_its_buyer(make_tender, officer):
    tender = make_tender(title="Road <b>repair</b>")
    draft = make_tender(publish=False)
    response = Client().get(f"/tenders/{tender.pk}/")
    assert response.status_code == 200
    assert "Road &lt;b&gt;repair&lt;/b&gt;" in response.content.decode()
    assert page_data(response)["tender"]["id"] == tender.pk
    assert Client().get(f"/tenders/{draft.pk}/").status_code == 404
    assert Client().get(f"/tenders/{draft.pk}/bid/").status_code == 404
    owner = Client()
    owner.force_login(officer)
    assert owner.get(f"/tenders/{draft.pk}/").status_code == 200


def test_the_language_switch_is_remembered():
    client = Client(headers={"accept-language": "en"})
    client.get("/")
    response = client.post("/i18n/setlang/", {"language": "kk", "next": "/stats/"})
    assert response.status_code == 302 and response["Location"] == "/stats/"
    assert '<html lang="kk">' in client.get("/stats/").content.decode()


def test_the_scripts_catalogue_is_in_the_language_of_its_url():
    body = Client().get("/jsi18n/kk/").content.decode()
    assert "\\u04e9\\u0442\\u0456\\u043d\\u0456\\u043c" in body.lower() or "өтінім" in body  # өтінім (bid)
    assert Client().get("/jsi18n/xx/").status_code == 404


@pytest.mark.parametrize("lang, detail", [
    ("en", "Unknown username or wrong password."),
    ("ru", "Неизвестное имя пользователя или неверный пароль."),
    ("kk", "Пайдаланушы аты белгісіз немесе құпиясөз қате."),
])
def test_api_error_details_are_in_the_language_and_codes_stay_english(api, lang, detail):
    response = api.post("/api/auth/token/", {"username": "nobody", "password": "wrong"}, format="json",
                        HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_credentials", "detail": detail}


def test_field_errors_are_translated_too(api):
    response = api.get("/api/tenders/?cpv=4x", HTTP_ACCEPT_LANGUAGE="ru")
    body = response.json()
    assert body["code"] == "cpv_prefix_invalid"
    assert body["errors"]["cpv"][0]["detail"] == "Укажите от 2 до 8 цифр кода CPV."


def test_cpv_names_are_found_in_the_language_and_kazakh_gets_russian(api):
    assert api.get("/api/cpv/?q=roadworks&lang=en").json() == [{"code": "45233140-2", "name": "Roadworks"}]
    assert [m["code"] for m in api.get("/api/cpv/?q=4523314").json()] == [
        "45233140-2", "45233141-9", "45233142-6", "45233144-0"]
    russian = api.get("/api/cpv/", {"q": "дорожные работы", "lang": "kk"}).json()
    assert "45233140-2" in [m["code"] for m in russian]
    assert all(re.search("[а-я]", m["name"]) for m in russian)
    assert api.get("/api/cpv/?q=").json() == []


def test_buyers_and_statistics_count_published_tenders_only(api, make_tender, supplier, officer):
    active = make_tender()
    make_tender(publish=False)
    bid_services.submit_bid(active.pk, by=supplier, content=bid_services.BidContent(
        amount=Decimal("1000.00"), currency="KZT", answers={}, documents=[]))
    assert api.get("/api/buyers/").json() == [{"id": officer.organisation_id, "name": officer.organisation.name}]
    stats = api.get("/api/stats/").json()
    assert stats["by_status"] == {"active": 1}
    assert stats["bids_per_tender"] == [{"bids": 1, "tenders": 1}]
    assert stats["by_division"] == [{"division": "45", "name": "Construction work", "tenders": 1, "bids": 1}]
    assert "1000" not in json.dumps(stats)  # no sealed price


def test_own_bids_list_only_the_callers_organisation_and_no_sealed_content(as_user, make_tender, supplier,
                                                                           make_supplier):
    tender = make_tender()
    rival = make_supplier()
    receipt = bid_services.submit_bid(tender.pk, by=supplier, content=bid_services.BidContent(
        amount=Decimal("73519864.21"), currency="KZT", answers={}, documents=[]))
    bid_services.submit_bid(tender.pk, by=rival, content=bid_services.BidContent(
        amount=Decimal("1.00"), currency="KZT", answers={}, documents=[]))
    rows = as_user(supplier).get("/api/bids/mine/").json()
    assert [(r["id"], r["tender"]["id"], r["sha256"]) for r in rows] == [(receipt.bid, tender.pk, receipt.sha256)]
    assert rows[0]["versions"][0]["signature"] == receipt.signature
    assert "73519864" not in json.dumps(rows)
    assert as_user(rival).get("/api/bids/mine/").json()[0]["id"] != receipt.bid
    assert as_user(make_supplier()).get("/api/bids/mine/").json() == []


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["lang=", "lang=de", "q=%00", "q=" + "x" * 101])
def test_the_cpv_search_refuses_what_its_schema_refuses(query, api):
    response = api.get(f"/api/cpv/?{query}")

    assert response.status_code == 400


_JS_STRING = r"'((?:[^'\\]|\\.)*)'"
_JS_CALLS = re.compile(r"(?<![\w.])(?:_\(\s*" + _JS_STRING + r"|pgettext\(\s*" + _JS_STRING + r"\s*,\s*" + _JS_STRING
                       + r"|ngettext\(\s*" + _JS_STRING + r"\s*,\s*" + _JS_STRING + r")")


def test_every_string_the_scripts_translate_is_in_the_kazakh_and_russian_catalogues():
    """A string wrapped in _() / pgettext() / ngettext() in a script but
    missing from djangojs.po shows in English on a Kazakh or Russian page."""
    from babel.messages.pofile import read_po

    scripts = (LOCALE.parent / "frontend" / "static" / "frontend" / "js").rglob("*.js")
    wanted = set()
    for script in scripts:
        for call in _JS_CALLS.finditer(script.read_text(encoding="utf-8")):
            plain, context, in_context, one, _many = (re.sub(r"\\(.)", r"\1", g) if g is not None else None
                                                      for g in call.groups())
            wanted.add((None, plain) if plain is not None else (context, in_context) if context is not None
                       else (None, one))
    assert len(wanted) > 100
    for lang in ("kk", "ru"):
        catalog = read_po((LOCALE / lang / "LC_MESSAGES" / "djangojs.po").open("rb"))
        missing = sorted((c or "", s) for c, s in wanted if catalog.get(s, context=c) is None)
        assert missing == [], f"{lang}: {missing}"
