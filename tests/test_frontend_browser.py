"""The browser frontend, driven in Debian's chromium through Playwright: a
citizen's register and tender page, a supplier's whole journey, one bid for
a double click and a retry, the Kazakh and Russian pages, accessibility
(axe) and phone width, and user text that stays text. Every page in every
language is saved as a screenshot under tests/artifacts/screenshots/."""

import json
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import services as bid_services
from bids.models import Bid, BidVersion
from clarifications import services as clarification_services
from tenders import services as tender_services
from tests.browser_support import (BROWSER_MARKS, SUPPLIER_PASSWORD, bid_content, browser,  # noqa: F401 (fixtures)
                                   check_in_three_languages, in_thread, log_in, new_page,
                                   password_supplier, server, watch)
from tests.conftest import tender_fields
from tests.factories import valid_tax_id

pytestmark = BROWSER_MARKS
HOSTILE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


@pytest.fixture
def short_periods(settings):
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 5
    settings.PROCUREMENT_MIN_AMENDMENT_PERIOD = 5


# 1 ----------------------------------------------------------------------------------------------
def test_a_citizen_filters_opens_a_tender_and_sees_its_bid_count_rise(make_tender, supplier, server, browser):
    road = in_thread(make_tender, title="Road repair on Kabanbay Batyr avenue", cpv="45233140-2")
    meals = in_thread(make_tender, title="Road-side school meals", cpv="55520000-1")
    page = new_page(browser)
    problems = watch(page)
    page.goto(server + "/")
    page.fill("#f-q", "road")
    page.fill("#f-cpv", "45")
    page.click("#filters button[type=submit]")
    page.wait_for_function(f"() => !document.getElementById('tender-{meals.pk}')")
    assert page.locator(f"#tender-{road.pk}").is_visible()
    assert "q=road" in page.url and "cpv=45" in page.url
    # the URL is the state: a reload shows the same rows
    page.reload()
    assert page.locator(f"#tender-{road.pk}").is_visible() and page.locator(f"#tender-{meals.pk}").count() == 0
    # a bad CPV prefix is said next to the filters, and no stale row stays
    page.fill("#f-cpv", "4x")
    page.click("#filters button[type=submit]")
    page.locator("#filter-error", has_text="CPV").wait_for()
    assert page.locator("#rows tr").count() == 0

    page.goto(server + "/?q=road&cpv=45")
    page.click(f"#tender-{road.pk} a")
    page.wait_for_url(f"**/tenders/{road.pk}/")
    assert page.locator("#bid-count").inner_text() == "0"
    page.locator("#countdown", has_text="Bids close in").wait_for()
    time.sleep(0.5)  # the socket's snapshot
    in_thread(bid_services.submit_bid, road.pk, by=supplier, content=bid_content())
    page.wait_for_function("() => document.getElementById('bid-count').textContent === '1'", timeout=10_000)
    assert problems == []


# 2 ----------------------------------------------------------------------------------------------
def test_a_supplier_signs_up_bids_verifies_its_receipt_and_sees_the_opening(
        short_periods, make_tender, server, browser, tmp_path):
    now = timezone.now()
    tender = in_thread(make_tender, title="Medical equipment for district hospitals", cpv="33100000-1",
                       clarification_deadline=now + timedelta(seconds=20),
                       submission_deadline=now + timedelta(seconds=50))
    page = new_page(browser)
    problems = watch(page)
    tax_id = in_thread(valid_tax_id)

    # sign up (the check digit is checked in the page), then the session is open
    page.goto(server + "/register/")
    page.fill("#organisation_name", "Steppe Medical Supply LLP")
    page.fill("#tax_id", tax_id[:11] + str((int(tax_id[11]) + 1) % 10))
    page.fill("#username", "steppemed")
    page.fill("#password", SUPPLIER_PASSWORD)
    page.fill("#email", "bids@steppemed.kz")
    page.click("main button[type=submit]")
    page.locator("#tax_id-error", has_text="check digit").wait_for()
    page.fill("#tax_id", tax_id)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/")
    assert page.locator("text=Steppe Medical Supply LLP").count() >= 1
    # log out and in again
    page.click("#logout")
    page.wait_for_url(server + "/")
    log_in(page, server, "steppemed")

    # bid with a document: progress, then the signed receipt, downloaded
    tender_page = new_page(browser)
    tender_problems = watch(tender_page)
    tender_page.goto(f"{server}/tenders/{tender.pk}/")
    page.goto(f"{server}/tenders/{tender.pk}/bid/")
    document = tmp_path / "offer.pdf"
    document.write_bytes(b"%PDF-1.4\n% technical offer\n")
    page.fill("#amount", "98500000.50")
    page.set_input_files("#documents", str(document))
    page.click("#submit")
    page.locator("#receipt").wait_for(timeout=10_000)
    with page.expect_download() as download:
        page.click("#receipt >> text=Download the receipt")
    receipt_file = tmp_path / "receipt.json"
    download.value.save_as(receipt_file)
    first = json.loads(receipt_file.read_text())
    assert first["tender"] == tender.pk and len(first["signature"]) == 128

    # check it on /receipts/verify/ (before the opening: signature only)
    verify = new_page(browser)
    verify.goto(server + "/receipts/verify/")
    verify.set_input_files("#receipt-file", str(receipt_file))
    verify.locator("#signature-result", has_text="The signature is valid").wait_for()
    verify.locator("#opening-result", has_text="not opened yet").wait_for()

    # replace the bid: a new sealed version and a new receipt
    page.fill("#amount", "97000000")
    page.click("#submit")
    page.locator("#news", has_text="replaced").wait_for(timeout=10_000)
    second_sha = page.locator("#receipt-sha").inner_text()
    assert second_sha != first["sha256"]
    tender_page.wait_for_function("() => document.getElementById('bid-count').textContent === '1'")

    # the deadline passes with both pages open: the bid form closes itself
    wait = (tender.submission_deadline - timezone.now()).total_seconds()
    time.sleep(max(0.0, wait) + 1.5)
    page.locator("#closed", has_text="deadline has passed").wait_for(timeout=10_000)
    assert page.locator("#submit").is_disabled()
    # the scheduler opens the bids; the tender page shows the record by itself, with the bid's hash
    assert in_thread(bid_services.open_tender, tender.pk) is True
    tender_page.locator("#opening-table", has_text=second_sha).wait_for(timeout=10_000)
    assert tender_page.locator("#status").inner_text() in {"evaluation", "unsuccessful"}
    # the first receipt's hash is not in the record (it was replaced); a receipt of the last version is found
    verify.reload()
    verify.set_input_files("#receipt-file", str(receipt_file))
    verify.locator("#opening-result", has_text="not in the opening record").wait_for()
    assert problems == [] and tender_problems == []


# 3 ----------------------------------------------------------------------------------------------
def test_a_double_click_and_a_retry_after_a_network_error_make_one_bid(make_tender, password_supplier, server,
                                                                       browser):
    tender = in_thread(make_tender)
    page = new_page(browser)
    log_in(page, server, password_supplier.username)
    page.goto(f"{server}/tenders/{tender.pk}/bid/")
    page.fill("#amount", "1500.50")
    page.dblclick("#submit")
    page.locator("#receipt").wait_for(timeout=10_000)
    time.sleep(0.5)
    assert in_thread(lambda: (Bid.objects.filter(tender=tender).count(),
                              BidVersion.objects.filter(bid__tender=tender).count())) == (1, 1)

    # a replacement whose answer is lost on the way: the server stored it, the browser saw a network error
    lost = {"n": 0}

    def lose_the_answer(route):
        if route.request.method == "PUT" and lost["n"] == 0:
            lost["n"] += 1
            route.fetch()  # the server receives and stores it
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/tenders/*/bids/*/", lose_the_answer)
    page.fill("#amount", "1400")
    page.click("#submit")
    page.locator(".error-summary", has_text="network").wait_for(timeout=10_000)
    assert page.input_value("#amount") == "1400"  # nothing typed is lost
    page.click("#submit")  # the retry: same content, same Idempotency-Key
    page.locator("#news", has_text="replaced").wait_for(timeout=10_000)
    assert lost["n"] == 1
    assert in_thread(lambda: (Bid.objects.filter(tender=tender).count(),
                              BidVersion.objects.filter(bid__tender=tender).count())) == (1, 2)


# 4, 5 -------------------------------------------------------------------------------------------
PAGES = {
    "register": "/",
    "tender": "/tenders/{tender}/",
    "bid": "/tenders/{tender}/bid/",
    # a freshly published tender (its audit log is the only table) and its bid
    # page for a supplier with no bid there (nothing to withdraw or confirm)
    "tender-new": "/tenders/{fresh}/",
    "bid-none": "/tenders/{fresh}/bid/",
    "stats": "/stats/",
    "verify": "/receipts/verify/",
    "signup": "/register/",
    "login": "/login/",
    "account": "/account/",
    "not-found": "/tenders/999999/",
}


def test_every_page_in_three_languages_is_accessible_translated_and_fits_a_phone(
        make_tender, password_supplier, server, browser):
    tender = in_thread(make_tender, title="Қалалық жолдарды жөндеу", estimated_amount=Decimal("2400000000.00"),
                       description="Жолдарды жөндеу, 2,4 км.")
    in_thread(bid_services.submit_bid, tender.pk, by=password_supplier, content=bid_content())
    fresh = in_thread(make_tender, title="Мектеп жиһазы")

    def formatted_for_the_language(page, lang, width, name) -> list[str]:
        failures = []
        if page.evaluate("document.documentElement.lang") != lang:
            failures.append(f"{lang} {name}: the page is not in {lang}")
        if width != 390 and lang != "en" and name in ("register", "tender"):
            text = page.inner_text("body")
            # 2 400 000 000 ₸ with the language's spaces, and a date in the language
            if not re.search(r"2\s400\s000\s000\s₸", text):
                failures.append(f"{lang} {name}: amount not formatted for the language")
            month = r"\d{4} ж\. \d{1,2} [а-яәіңғүұқөһ]+" if lang == "kk" else r"\d{1,2} [а-я]+\.? \d{4} г\."
            if not re.search(month, text):
                failures.append(f"{lang} {name}: no date formatted for the language")
        return failures

    failures = check_in_three_languages(browser, server, lambda page: log_in(page, server, password_supplier.username),
                                        {name: path.format(tender=tender.pk, fresh=fresh.pk) for name, path in PAGES.items()},
                                        formatted_for_the_language)
    assert failures == []


# 6 ----------------------------------------------------------------------------------------------
def test_a_hostile_title_and_question_show_as_text_everywhere(make_tender, password_supplier, server, browser):
    tender = in_thread(make_tender, title=HOSTILE)
    in_thread(clarification_services.ask_question, tender.pk, by=password_supplier, text="Is " + HOSTILE + " ok?")
    page = new_page(browser)
    problems = watch(page)
    log_in(page, server, password_supplier.username)
    for path in ("/", f"/tenders/{tender.pk}/", f"/tenders/{tender.pk}/bid/", f"/?q=script"):
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__xss") is None
        assert page.locator("img[onerror]").count() == 0
    page.goto(f"{server}/tenders/{tender.pk}/")
    page.locator("#questions", has_text="<img src=x onerror=").wait_for()
    assert page.locator("h1").inner_text() == HOSTILE
    page.goto(server + "/")
    page.locator(f"#tender-{tender.pk} a", has_text="<script>").wait_for()
    assert page.evaluate("window.__xss") is None
    assert problems == []


def test_the_pages_bin_check_digit_is_the_servers_rule(server, browser):
    from accounts import taxid

    page = new_page(browser)
    page.goto(server + "/register/")
    samples = [f"{n:011d}" for n in range(10_000_000_000, 10_000_000_500)] + ["00000000000", "99999999999"]
    in_page = page.evaluate("""async (numbers) => {
        const bin = await import('/static/frontend/js/bin.js');
        return numbers.map((n) => bin.checkDigit(n));
    }""", samples)
    assert in_page == [taxid.check_digit(n) for n in samples]
    assert None in in_page  # the sample includes numbers no check digit can complete


def test_the_audit_chain_is_verified_in_the_browser_which_names_a_tampered_entry(make_tender, supplier, server,
                                                                                 browser):
    from audit.models import AuditEntry

    tender = in_thread(make_tender)
    in_thread(bid_services.submit_bid, tender.pk, by=supplier, content=bid_content())
    page = new_page(browser)
    problems = watch(page)
    page.goto(f"{server}/tenders/{tender.pk}/")
    page.click("#verify-audit")
    page.locator("#audit-result", has_text="All 3 entries verified").wait_for()
    # an edit in the database, as an insider could make it
    in_thread(lambda: AuditEntry.objects.filter(tender=tender, seq=2).update(actor="Someone else"))
    page.click("#verify-audit")
    page.locator("#audit-result", has_text="broken at entry 2").wait_for()
    assert problems == []


def test_an_amendment_asks_for_confirmation_live_and_the_bidder_confirms(make_tender, officer, password_supplier,
                                                                        server, browser):
    tender = in_thread(make_tender)
    in_thread(bid_services.submit_bid, tender.pk, by=password_supplier, content=bid_content())
    page = new_page(browser)
    problems = watch(page)
    log_in(page, server, password_supplier.username)
    page.goto(f"{server}/tenders/{tender.pk}/bid/")
    page.locator("#bid-state", has_text="sealed and submitted").wait_for()
    assert page.locator("#confirm-banner").is_hidden()
    time.sleep(0.5)  # the socket
    in_thread(tender_services.amend_tender, tender.pk, by=officer, rationale="Quantities corrected",
              description="Resurfacing of 3.1 km of road.")
    page.locator("#confirm-banner").wait_for(state="visible", timeout=10_000)
    page.click("#confirm")
    page.locator("#news", has_text="confirmed").wait_for()
    page.locator("#confirm-banner").wait_for(state="hidden")
    # and a withdrawal, confirmed in a dialog
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#withdraw")
    page.locator("#bid-state", has_text="withdrawn").wait_for()
    assert in_thread(lambda: Bid.objects.get(tender=tender).status) == "withdrawn"
    assert problems == []


def test_a_supplier_bids_on_two_of_three_lots_with_one_receipt(officer, password_supplier, server, browser):
    # given: a 3-lot tender, open for bids
    def three_lots():
        fields = tender_fields()
        fields.pop("estimated_amount")
        tender = tender_services.create_draft(
            by=officer, lots=[{"title": f"Section {i + 1}", "estimated_amount": Decimal(1000 * (i + 1))}
                              for i in range(3)], **fields)
        return tender_services.publish_tender(tender.pk, by=officer)

    tender = in_thread(three_lots)
    lots = in_thread(lambda: list(tender.lots.order_by("position").values_list("pk", flat=True)))
    page = new_page(browser)
    problems = watch(page)
    log_in(page, server, password_supplier.username)

    # when: the tender page lists the lots; the bid page asks a price per lot
    page.goto(f"{server}/tenders/{tender.pk}/")
    assert page.locator("ol.lots li").count() == 3
    page.goto(f"{server}/tenders/{tender.pk}/bid/")
    page.click("#submit")  # no price at all: said at the lots, nothing sent
    page.locator("#lots-error", has_text="at least one lot").wait_for(timeout=5_000)
    page.fill(f"#lot-{lots[0]}", "900.50")
    page.fill(f"#lot-{lots[2]}", "2 800")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/bids/")) as answer:
        page.click("#submit")
    page.locator("#receipt").wait_for(timeout=10_000)

    # then: one sealed bid, one receipt whose content holds exactly the two offers
    assert answer.value.status == 201
    content = json.loads(answer.value.json()["content"])
    assert content["lots"] == [{"amount": "900.50", "lot": lots[0]}, {"amount": "2800.00", "lot": lots[2]}]
    assert in_thread(lambda: BidVersion.objects.filter(bid__tender=tender).count()) == 1
    assert not problems
