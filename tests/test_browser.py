"""The register page in a real browser: Debian's chromium, driven by
Playwright, against the ASGI application served by uvicorn in this process.
The page lists tenders from the API and follows the public live feed (a
tender published, an amendment), under its Content-Security-Policy, and never
shows a price before the opening."""

import time
from decimal import Decimal

from bids import services as bid_services
from tenders import services as tender_services
from tests.browser_support import BROWSER_MARKS, browser, in_thread, server  # noqa: F401 (fixtures)

PRICE = "73519864.21"
pytestmark = BROWSER_MARKS


def test_the_register_page_follows_the_live_feed(make_tender, officer, supplier, server, browser):
    # given an active tender with a draft beside it, and the register page open in a browser
    tender = in_thread(make_tender, title="Road repair, Kabanbay Batyr avenue")
    draft = in_thread(make_tender, publish=False, title="School meals, district 4")
    page = browser.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda answer: answer.status >= 400 and problems.append(f"{answer.status} {answer.url}"))
    response = page.goto(server + "/")
    assert response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(f"#tender-{tender.pk}").wait_for(timeout=10_000)
    assert page.locator(f"#tender-{draft.pk}").count() == 0
    bid_count = f"() => document.querySelector('#tender-{tender.pk} td:last-child')?.textContent"
    assert page.evaluate(bid_count) == "0"
    time.sleep(0.5)  # the page's socket connects after its first load

    # when the officer publishes the draft
    in_thread(tender_services.publish_tender, draft.pk, by=officer)
    # then the feed announces it and the page lists it
    page.locator("#live", has_text="New tender published: School meals, district 4").wait_for(timeout=10_000)
    page.locator(f"#tender-{draft.pk}").wait_for(timeout=10_000)

    # when a supplier submits a sealed bid, and later an amendment is announced on the feed
    in_thread(bid_services.submit_bid, tender.pk, by=supplier, content=bid_services.BidContent(
        amount=Decimal(PRICE), currency="KZT", answers={}, documents=[]))
    in_thread(tender_services.amend_tender, tender.pk, by=officer, rationale="Scope clarified",
              description="Resurfacing of 2.6 km of road, including markings.")
    # then the page shows the new count, and no price anywhere
    page.locator("#live", has_text="Road repair, Kabanbay Batyr avenue was amended").wait_for(timeout=10_000)
    page.wait_for_function(f"() => ({bid_count})() === '1'", timeout=10_000)
    assert PRICE not in page.content() and PRICE.split(".")[0] not in page.content()
    assert problems == []  # no script error, no Content-Security-Policy violation


def test_browser_javascript_authenticates_a_socket_with_its_token_as_a_subprotocol(make_tender, supplier, server,
                                                                                   browser):
    from accounts import tokens

    tender = in_thread(make_tender)
    key = in_thread(lambda: tokens.issue(supplier))
    page = browser.new_page()
    page.goto(server + "/")
    # when the page's script opens a tender socket the way the README says
    opened = page.evaluate("""([path, key]) => new Promise((resolve, reject) => {
        const ws = new WebSocket('ws://' + location.host + path, ['token', key]);
        ws.onmessage = e => { resolve({protocol: ws.protocol, type: JSON.parse(e.data).type}); ws.close(); };
        ws.onerror = () => reject(new Error('the socket failed'));
    })""", [f"/ws/tenders/{tender.pk}/", key])
    # then Chromium accepted the server's answer and the snapshot arrived
    assert opened == {"protocol": "token", "type": "snapshot"}
