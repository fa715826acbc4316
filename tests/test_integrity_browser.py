"""The red flags in the browser: the tender page's "Risk indicators" and
the /flags/ page, in kk/ru/en, at 1280 and 390 px, checked by axe (the
style of tests/test_frontend_browser.py, with tests/browser_support.py)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from bids import services as bid_services
from evaluation import services as evaluation
from tests.browser_support import BROWSER_MARKS, browser, check_in_three_languages, in_thread, server  # noqa: F401

pytestmark = BROWSER_MARKS


def _opened_and_awarded(make_tender, make_supplier, officer):
    """Three bids, two at the same price (R028); the lowest disqualified and
    another awarded (R036)."""
    start = timezone.now() - timedelta(days=30)
    tender = make_tender(now=start, title="Мектептерге арналған жиһаз", estimated_amount=Decimal("5000000.00"))
    bids = []
    for i, amount in enumerate(("4000000.00", "4500000.00", "4500000.00")):
        content = bid_services.BidContent(amount=Decimal(amount), currency="KZT", answers={}, documents=[])
        bids.append(bid_services.submit_bid(tender.pk, by=make_supplier(name=f"Жиһаз {i} ЖШС"), content=content,
                                            now=start + timedelta(days=1, hours=i)).bid)
    bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    for i, bid in enumerate(bids):
        evaluation.qualify_bid(tender.pk, bid, by=officer, qualified=i != 0, reason="Шешім.")
    evaluation.award_bid(tender.pk, by=officer, bid_id=bids[1])
    return tender


def test_risk_indicators_and_the_flags_page_in_three_languages(make_tender, make_supplier, officer, server, browser):
    now = timezone.now()
    short = in_thread(make_tender, title="Қалалық жолдарды жөндеу", clarification_deadline=now + timedelta(days=2),
                      submission_deadline=now + timedelta(days=7))
    awarded = in_thread(_opened_and_awarded, make_tender, make_supplier, officer)
    paths = {"tender-risk": f"/tenders/{short.pk}/", "tender-risk-awarded": f"/tenders/{awarded.pk}/",
             "flags": "/flags/"}
    expected = {"tender-risk": ["R003"], "tender-risk-awarded": ["R028", "R036"], "flags": []}

    def shown(page, lang, width, name) -> list[str]:
        failures = []
        if name == "flags":
            page.locator("#by-code table").wait_for(timeout=10_000)
            page.locator("#trend svg").wait_for()
            if page.locator("#by-code tbody tr").count() < 7:
                failures.append(f"{lang} flags: the per-indicator table misses rows")
            return failures
        section = page.locator("#risk-section")
        text = section.inner_text()
        failures += [f"{lang} {name}: {code} not shown" for code in expected[name] if code not in text]
        note = {"en": "not a finding", "ru": "не вывод о нарушении", "kk": "тұжырым емес"}[lang]
        if note not in text:
            failures.append(f"{lang} {name}: the section does not say a flag is not a finding")
        return failures

    failures = check_in_three_languages(browser, server, lambda page: None, paths, extra=shown)
    assert failures == []


def test_the_risk_section_follows_the_opening_live(make_tender, supplier, server, browser):
    from tests.browser_support import new_page, watch

    start = timezone.now() - timedelta(days=30)
    tender = in_thread(make_tender, now=start, title="Қалалық жолдарды жөндеу")
    content = bid_services.BidContent(amount=Decimal("1000.00"), currency="KZT", answers={}, documents=[])
    in_thread(bid_services.submit_bid, tender.pk, by=supplier, content=content, now=start + timedelta(days=1))
    page = new_page(browser)
    problems = watch(page)
    page.goto(f"{server}/tenders/{tender.pk}/")
    assert "R018" not in page.locator("#risk-section").inner_text()  # one bid, but not opened yet
    page.wait_for_load_state("networkidle")
    in_thread(bid_services.open_tender, tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    page.locator("#risk-section", has_text="R018").wait_for(timeout=10_000)
    assert "Single bid received" in page.locator("#risk-section").inner_text()
    assert problems == []
