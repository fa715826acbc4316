"""The live auction in browsers (issue 20): three suppliers in three browser
contexts and a citizen watching. Short turns; the first in turn lowers its
price twice, the second passes, the third tries a price out of turn (the
refusal shows at the field) and then offers the highest allowed price the
form filled in; the watcher sees every price and stage as it happens, and
the names once the auction has finished. The auction page is checked in
English, Russian and Kazakh at 1280 and 390 px (axe, no English interface
string left, no script error)."""

import threading
import time

import pytest
from django.db import connections
from django.utils import timezone

from auctions import services as auctions
from auctions.models import Auction
from tests.auction_support import auction_tender, move_to
from tests.browser_support import (BROWSER_MARKS, NEEDS_POSTGRES, browser,  # noqa: F401 (fixtures)
                                   check_in_three_languages, in_thread, log_in, make_password_supplier, new_page,
                                   server, watch)

pytestmark = [*BROWSER_MARKS, NEEDS_POSTGRES]

WAIT = 30_000  # ms


@pytest.fixture
def short_auction(settings):
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 3600
    settings.PROCUREMENT_AUCTION_DELAY = 3600  # started below, once every browser is on the page
    settings.PROCUREMENT_AUCTION_PAUSE = 3
    settings.PROCUREMENT_AUCTION_TURN = 12


@pytest.fixture
def suppliers(make_password_supplier):
    return [make_password_supplier(name) for name in ("Alma Paper LLP", "Baiterek Trade LLP", "Caspian Office JSC")]


@pytest.fixture
def scheduler():
    """The deadline scheduler's auction job, as bin/run runs it, in a thread."""
    stop = threading.Event()

    def run():
        try:
            while not stop.is_set():
                auctions.advance_due(timezone.now())
                time.sleep(0.1)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def participant_page(browser, server, user, path, problems):
    page = new_page(browser)
    watch(page, problems)
    log_in(page, server, user.username)
    page.goto(server + path)
    return page


def in_turn(page):
    page.wait_for_selector("#submit:not([disabled])", timeout=WAIT)


def test_three_suppliers_and_a_citizen_in_a_live_auction(short_auction, officer, suppliers, server, browser,
                                                          scheduler):
    alma, baiterek, caspian = suppliers
    problems: list[str] = []
    # Alma (#1) 950 000, Baiterek (#2) 900 000, Caspian (#3) 980 000: round 1 is Caspian, Alma, Baiterek
    tender, bids = in_thread(auction_tender, officer, [(alma, "950000.00"), (baiterek, "900000.00"),
                                                       (caspian, "980000.00")])
    path = f"/tenders/{tender.pk}/auction/"
    citizen = new_page(browser)
    watch(citizen, problems)
    citizen.goto(server + f"/tenders/{tender.pk}/")
    citizen.click("#auction-links a")
    citizen.wait_for_url(f"**{path}?lot=*")
    pages = {u.username: participant_page(browser, server, u, path, problems) for u in suppliers}
    c, a, b = pages[caspian.username], pages[alma.username], pages[baiterek.username]
    assert c.inner_text("#you") == "You are Participant 3."
    assert c.locator("#amount").is_disabled()  # not its turn yet
    assert citizen.inner_text("#countdown").startswith("Starts in")

    # the start comes (as if the delay had been waited for): the opening pause, then round 1
    auction = in_thread(Auction.objects.get, tender=tender)
    in_thread(move_to, auction, "pause", 0, into=0)
    citizen.locator("#stage", has_text="Opening pause").wait_for(timeout=WAIT)

    # Caspian's turn: the highest allowed price is filled in; it lowers twice
    in_turn(c)
    assert c.input_value("#amount") == "970000.00"
    c.click("#submit")
    c.locator("#receipt", has_text="Accepted").wait_for(timeout=WAIT)
    citizen.locator("#participant-3", has_text="970,000").wait_for(timeout=WAIT)
    # Baiterek tries out of turn (its form is closed: it sends anyway) and is told so at the field
    b.evaluate("""() => {  // at once, so that no event re-renders the closed form in between
      for (const el of document.querySelectorAll('#price-form [disabled]')) el.disabled = false;
      document.querySelector('#amount').value = '850000';
      document.querySelector('#price-form').requestSubmit();
    }""")
    b.locator("#amount-error", has_text="not your turn").wait_for(timeout=WAIT)
    c.fill("#amount", "960000")
    c.click("#submit")
    c.locator("#receipt", has_text="960,000").wait_for(timeout=WAIT)
    citizen.locator("#participant-3", has_text="960,000").wait_for(timeout=WAIT)
    # a price too close to its own before the turn is refused at the field
    c.fill("#amount", "975000")
    c.click("#submit")
    c.locator("#amount-error", has_text="minimal step").wait_for(timeout=WAIT)

    # Alma's turn: it passes; the watcher sees whose turn it is
    citizen.locator("#stage", has_text="turn of Participant 1").wait_for(timeout=WAIT)
    # Baiterek's turn: the form opens with its highest allowed price, which it offers
    in_turn(b)
    assert b.input_value("#amount") == "890000.00"
    b.click("#submit")
    b.locator("#receipt", has_text="890,000").wait_for(timeout=WAIT)
    citizen.locator("#participant-2", has_text="890,000").wait_for(timeout=WAIT)
    protocol = citizen.inner_text("#protocol")
    assert "970,000" in protocol and "960,000" in protocol and "no change" in protocol

    # the rest of the auction passes (as if waited for); the watcher sees the end and the names
    in_thread(move_to, auction, "finished", 3)
    citizen.locator("#auction-status", has_text="Finished").wait_for(timeout=WAIT)
    citizen.locator("#participant-1", has_text="Alma Paper LLP").wait_for(timeout=WAIT)
    assert "Baiterek" not in citizen.inner_text("#news")
    for page in pages.values():
        page.context.close()
    citizen.context.close()

    failures = check_in_three_languages(browser, server, lambda page: log_in(page, server, alma.username),
                                        {"auction": path, "auction-tender": f"/tenders/{tender.pk}/"})
    assert not failures, "\n".join(failures)
    assert not problems, "\n".join(problems)
