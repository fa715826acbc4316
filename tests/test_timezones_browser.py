"""Time zones on the pages (issue 23 item 2): every deadline and
countdown-bearing time names its zone, and the buyer's legal time
(PROCUREMENT_LEGAL_TIME_ZONE, Asia/Almaty) stands beside the reader's own
when they differ: a reader in Berlin and one in Almaty, in kk, ru and en."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.browser_support import (BROWSER_MARKS, browser,  # noqa: F401 (fixtures)
                                   check_in_three_languages, in_thread, log_in, log_in_officer, new_page,
                                   password_supplier, server, watch)

pytestmark = BROWSER_MARKS
BERLIN, ALMATY = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Almaty")


def clock(moment, zone, lang) -> str:
    """How the page writes the hour and minute of ``moment`` in ``zone``."""
    local = moment.astimezone(zone)
    if lang == "en":
        return rf"{local.hour % 12 or 12}:{local.minute:02d}\s?{'PM' if local.hour >= 12 else 'AM'}"
    return rf"{local.hour:02d}:{local.minute:02d}"


@pytest.fixture
def deadline_tender(make_tender):
    now = timezone.now()
    deadline = (now + timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    tender = in_thread(make_tender, submission_deadline=deadline, clarification_deadline=now + timedelta(days=10))
    return tender, deadline


def test_a_reader_abroad_sees_its_own_zone_named_and_the_legal_time_beside(deadline_tender, password_supplier,
                                                                           server, browser):
    tender, deadline = deadline_tender

    def zones_named(page, lang, width, name):
        failures = []
        for text in page.locator("main time").all_inner_texts():
            if "UTC" not in text:
                failures.append(f"{lang} {name}: a time without its zone: {text!r}")
        deadline_text = page.inner_text(f"#tender-{tender.pk} time" if name == "register" else "#deadline")
        for label, zone in (("UTC+1, Berlin", BERLIN), ("UTC+5, Almaty", ALMATY)):
            if label not in deadline_text or not re.search(clock(deadline, zone, lang), deadline_text):
                failures.append(f"{lang} {name}: the deadline does not show {label}: {deadline_text!r}")
        return failures

    failures = check_in_three_languages(browser, server, lambda page: log_in(page, server, password_supplier.username),
                                        {"tz-register": "/", "tz-tender": f"/tenders/{tender.pk}/",
                                         "tz-bid": f"/tenders/{tender.pk}/bid/"},
                                        lambda page, lang, width, name: zones_named(page, lang, width, name[3:]),
                                        zone="Europe/Berlin")
    assert failures == []


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_reader_in_almaty_sees_one_time_named(deadline_tender, server, browser, lang):
    tender, deadline = deadline_tender
    page = new_page(browser, lang, zone="Asia/Almaty")
    problems = watch(page)
    page.goto(f"{server}/tenders/{tender.pk}/")
    page.wait_for_load_state("networkidle")

    text = page.inner_text("#deadline")
    assert text.count("UTC") == 1 and "UTC+5, Almaty" in text, text
    assert re.search(clock(deadline, ALMATY, lang), text)
    assert page.inner_text("#countdown")  # the countdown runs beside the named deadline
    assert problems == []


def test_the_draft_editor_names_the_zone_its_deadlines_are_typed_in(officer, server, browser):
    page = new_page(browser, "ru", zone="Europe/Berlin")
    problems = watch(page)
    log_in_officer(page, server, officer.username)
    page.goto(server + "/buyer/tenders/new/")
    page.wait_for_load_state("networkidle")

    hint = page.inner_text("#e-submission_deadline-hint")
    assert "Время вводится в вашем часовом поясе: UTC+1, Berlin" in hint, hint
    assert "юридическое время заказчика" in hint and "UTC+5, Almaty" in hint
    assert problems == []


def test_the_registers_deadline_days_are_legal_days_in_the_browser_too(server, browser):
    page = new_page(browser, "en", zone="Europe/Berlin")
    page.goto(server + "/")
    module = page.locator("script[type=module]").get_attribute("src").replace("pages/register.js", "format.js")
    bounds = page.evaluate("async (src) => { const f = await import(src); "
                           "return [f.legalDayBound('2026-12-25', false), f.legalDayBound('2026-12-25', true)]; }",
                           module)
    assert bounds == ["2026-12-25T00:00:00+05:00", "2026-12-25T23:59:59+05:00"]  # as frontend/params.py writes them
    assert "UTC+5, Almaty" in page.inner_text("#f-days-hint")

