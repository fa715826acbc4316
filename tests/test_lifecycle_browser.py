"""A tender's whole life in browsers only (issue #13). After the accounts are
made (as staff and sign-up would make them), every step is a click or a key
press in Debian's chromium: the officer drafts a best-value tender, meets a
field-level refusal, fixes it, publishes (a citizen's register shows it
live) and names the committee; two suppliers, each in its own browser
context, sign in, bid and confirm their bids after the officer's amendment;
the deadline passes and the real deadline scheduler opens the bids by itself;
two evaluators declare and score while the officer's page shows their
progress; the officer disqualifies one bid with a reason and awards; the
losing supplier complains, the officer resolves it, and the tender completes
by itself when the standstill ends, which the public tender page shows.

Every page of the journey is checked in English as it happens and again in
Kazakh and Russian (the same user's session in a browser of that language):
axe (no serious or critical violation), no English interface string on the
Kazakh and Russian pages, no script error, and a screenshot
``journey-<step>-<page>-<lang>.png`` under tests/artifacts/screenshots/."""

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from tests.browser_support import (BROWSER_MARKS, NEEDS_POSTGRES, SUPPLIER_PASSWORD, browser,  # noqa: F401 (fixtures)
                                   check_page, english_interface_strings, log_in, log_in_officer, new_page, server,
                                   watch)
from tests.browser_support import local as minute

pytestmark = [*BROWSER_MARKS, NEEDS_POSTGRES]

TITLE = "Кабанбай батыр даңғылының жабынын жөндеу"
WAIT = 15_000  # ms: what a live update may take at the most
BIDS_OPEN_FOR = 40  # s from the draft to the submission deadline: room for steps 1 and 2 and their languages
STANDSTILL = 20  # s: room for the complaint and the award's pages in three languages


def seconds(dt) -> str:
    """A datetime-local value to the second (the browser keeps the seconds
    a value carries), so that the deadline passes within the test."""
    return minute(dt) + dt.strftime(":%S")


@pytest.fixture
def short_periods(settings):
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 5
    settings.PROCUREMENT_MIN_AMENDMENT_PERIOD = 10
    settings.PROCUREMENT_STANDSTILL_PERIOD = STANDSTILL


@pytest.fixture
def scheduled_server(settings, request):
    """The test server with the deadline scheduler running in it, as the
    one-command run (bin/run) has it: the real loop (core.scheduler.serve) on
    the server's event loop, which opens the bids at the deadline and
    completes the tender when the standstill ends."""
    settings.PROCUREMENT_SCHEDULER_IN_PROCESS = True
    return request.getfixturevalue("server")


@dataclass(frozen=True)
class Account:
    pk: int
    username: str
    organisation: str


@pytest.fixture
def accounts(officer, make_officer, make_supplier):
    """What staff (officers, evaluators) and sign-up (suppliers) make."""
    def account(user):
        return Account(user.pk, user.username, user.organisation.name)

    buyer = officer.organisation.name
    suppliers = []
    for name in ("Дала Асфальт ЖШС", "Steppe Roads LLP"):
        user = make_supplier(name)
        user.set_password(SUPPLIER_PASSWORD)
        user.save()
        suppliers.append(account(user))
    return account(officer), [account(make_officer(buyer=buyer, username=name)) for name in ("aigerim", "daulet")], \
        suppliers


def draft(page, deadline, cpv):
    page.fill("#e-title", TITLE)
    page.fill("#e-description", "3 км жол, екі жолақ; жұмыс түнде.")
    page.fill("#e-cpv", cpv)
    page.fill("#e-estimated_amount", "2 400 000 000")
    page.select_option("#e-language", "kk")
    page.select_option("#e-award_method", "best_value")
    page.fill("#e-price_weight", "70")
    page.click("#add-criterion")
    page.fill(".criterion .c-name", "Кепілдік мерзімі")
    page.fill(".criterion .c-weight", "30")
    page.fill("#e-clarification_deadline", seconds(deadline - timedelta(seconds=5)))
    page.fill("#e-submission_deadline", seconds(deadline))


class Journey:
    """The browsers of the journey; each page checked as it is seen in English,
    and in Kazakh and Russian at the end of its step, in the same user's
    session (one more browser context per user and language)."""

    def __init__(self, browser, server):
        from axe_playwright_python.sync_playwright import Axe

        self.browser, self.server, self.axe = browser, server, Axe()
        self.english = english_interface_strings()
        self.failures, self.problems = [], []
        self.seen = []  # (page, url, shot, replay) to see again in kk and ru
        self.translated = {}  # (user's context, lang) -> page

    def page(self):
        page = new_page(self.browser)
        watch(page, self.problems)
        return page

    def check(self, page, step: int, name: str, again: bool = True, replay=None) -> None:
        """The page as it is now, in English; ``again``: in Kazakh and Russian
        at the end of the step (not for a page another user's check shows),
        after ``replay(page)`` where the state is the user's typing."""
        page.wait_for_load_state("networkidle")
        shot = f"journey-{step}-{name}"
        self.failures += check_page(page, self.axe, self.english, "en", f"{shot}-en")
        if again:
            self.seen.append((page, page.url, shot, replay))

    def in_other_languages(self) -> None:
        """The pages seen since the last call (each user's once), in Kazakh and Russian."""
        done = set()
        for page, url, shot, replay in self.seen:
            if (page.context, urlsplit(url).path) in done:
                continue
            done.add((page.context, urlsplit(url).path))
            for lang in ("kk", "ru"):
                key = (page.context, lang)
                if key not in self.translated:
                    other = new_page(self.browser, lang, storage_state=page.context.storage_state())
                    watch(other, self.problems)
                    self.translated[key] = other
                other = self.translated[key]
                other.goto(url)
                other.wait_for_load_state("networkidle")
                if replay:
                    replay(other)
                if other.evaluate("document.documentElement.lang") != lang:
                    self.failures.append(f"{shot}-{lang}: the page is not in {lang}")
                self.failures += check_page(other, self.axe, self.english, lang, f"{shot}-{lang}")
        self.seen = []


def test_a_tender_from_draft_to_completion_in_browsers_only(short_periods, accounts, scheduled_server, browser):
    server = scheduled_server
    officer, evaluators, (winner, loser) = accounts
    journey = Journey(browser, server)

    # 1. the officer drafts, meets a field-level refusal, fixes it and publishes; the register shows it live
    citizen = journey.page()
    citizen.goto(server + "/")
    boss = journey.page()
    log_in_officer(boss, server, officer.username)
    boss.click("text=New tender")
    boss.wait_for_url("**/buyer/tenders/new/")
    deadline = timezone.now() + timedelta(seconds=BIDS_OPEN_FOR)

    def refused_draft(page, deadline=None):
        # not a CPV 2008 code: only the server's catalogue knows (the replay in kk and ru: deadlines ahead still)
        draft(page, deadline or timezone.now() + timedelta(minutes=5), cpv="45233140-3")
        page.click("#save")
        page.locator("#e-cpv-error:not(:empty)").wait_for()

    refused_draft(boss, deadline)
    assert "CPV" in boss.locator("#e-cpv-error").inner_text()
    assert boss.locator("#e-cpv").get_attribute("aria-invalid") == "true"
    journey.check(boss, 1, "draft-refused", replay=refused_draft)
    boss.fill("#e-cpv", "45233140-2")
    boss.click("#save")
    boss.wait_for_url(re.compile(r".*/buyer/tenders/\d+/\?saved=1"))
    tender = int(re.search(r"/buyer/tenders/(\d+)/", boss.url).group(1))
    # the editor shows the deadlines to the minute: the officer sets them again to the second
    boss.fill("#e-clarification_deadline", seconds(deadline - timedelta(seconds=5)))
    boss.fill("#e-submission_deadline", seconds(deadline))
    journey.check(boss, 1, "draft-saved")
    boss.click("#publish")
    boss.locator("#publish-confirm").wait_for()
    boss.click("#publish-yes")
    boss.wait_for_url("**?published=1")
    citizen.locator(f"#tender-{tender}", has_text=TITLE).wait_for(timeout=WAIT)
    journey.check(citizen, 1, "register")
    # the committee: two colleagues of the same buyer
    for member in evaluators:
        boss.locator("#colleagues label", has_text=member.username).click()
    boss.click("#committee-form button[type=submit]")
    for member in evaluators:
        boss.locator(f"#evaluator-{member.pk}", has_text="not yet").wait_for()
    journey.check(boss, 1, "published")

    # 2. two suppliers bid, each in its own browser; the officer amends; both are asked to confirm
    bidders = {}
    for user, amount in ((winner, "2 350 000 000"), (loser, "2 100 000 000")):
        page = journey.page()
        log_in(page, server, user.username)
        page.goto(server + "/")
        page.click(f"#tender-{tender} a")
        page.wait_for_url(f"**/tenders/{tender}/")
        page.click("#bid-link")
        page.wait_for_url(f"**/tenders/{tender}/bid/")
        page.fill("#amount", amount)
        page.fill("textarea[data-criterion]", "60 ай кепілдік.")
        page.click("#submit")
        page.locator("#receipt").wait_for(timeout=WAIT)
        bidders[user] = page
    boss.locator("#bid-count", has_text="2").wait_for(timeout=WAIT)
    boss.fill("#a-rationale", "Жолақтар саны түзетілді.")
    boss.fill("#a-description", "3 км жол, төрт жолақ; жұмыс түнде.")
    boss.click("#amend button[type=submit]")
    boss.locator("#news", has_text="amendment is published").wait_for()
    journey.check(boss, 2, "amended")
    for user, page in bidders.items():
        page.locator("#confirm-banner").wait_for(state="visible", timeout=WAIT)
        if user == winner:
            journey.check(page, 2, "bid-confirm")
        page.click("#confirm")
        page.locator("#news", has_text="confirmed").wait_for()
        page.locator("#confirm-banner").wait_for(state="hidden")
    journey.in_other_languages()

    # 3. the deadline passes; the scheduler opens the bids by itself: each officer's workspace says so
    committee = []
    for member in evaluators:
        page = journey.page()
        log_in_officer(page, server, member.username)
        committee.append(page)
    boss.click("header nav a[href='/buyer/']")  # "Your tenders", in every page's menu for an officer
    # the owner is asked to qualify the bids; each evaluator first to declare
    for page, task in ((boss, "task-qualify"), *((page, "task-declaration") for page in committee)):
        page.locator(f"#todo li.{task} a").click(timeout=BIDS_OPEN_FOR * 1000 + WAIT)
        page.wait_for_url(f"**/tenders/{tender}/evaluation/")
    bidders[loser].locator("#closed").wait_for(state="visible")
    journey.check(bidders[loser], 3, "bid-closed")
    journey.check(committee[0], 3, "declare", again=False)  # after the declaration, it is "scored"
    for page in committee:
        page.locator("#declare-section").wait_for(state="visible")
        body = page.inner_text("body")  # nothing of the bids before the declaration
        assert winner.organisation not in body and loser.organisation not in body
        page.click("#declare button[type=submit]")
        page.locator("#report-section").wait_for(state="visible")
    for member in evaluators:
        boss.locator(f"#evaluator-{member.pk} .declared time").wait_for(timeout=WAIT)
    # the cheaper bid is disqualified with a public reason, the other qualified
    for user, verdict, reason in ((loser, "no", "Лицензия жоқ."), (winner, "yes", "Құжаттар толық.")):
        form = boss.locator("form[id^=qualify-]", has_text=user.organisation)
        form.locator(f"input[value={verdict}]").check()
        form.locator("textarea").fill(reason)
        form.locator("button[type=submit]").click()
        boss.locator("#bids tr", has_text=reason).wait_for()
    # both evaluators score the qualified bid; the officer's page counts their scores as they come
    for page, points in zip(committee, ("24", "27")):
        score = page.locator("form[id^=score-] input")
        score.wait_for(timeout=WAIT)
        score.fill(points)
        score.press("Tab")
        page.locator("form[id^=score-] .saved", has_text="Saved").wait_for()
    for member in evaluators:
        boss.locator(f"#evaluator-{member.pk} .progress", has_text="1 of 1").wait_for(timeout=WAIT)
    journey.check(committee[1], 3, "scored")
    journey.check(boss, 3, "evaluation")
    # the only qualified bid ranks first: no justification needed
    boss.reload()
    boss.locator("#w-justification-hint", has_text="needs no justification").wait_for()
    boss.click("#award-form button[type=submit]")
    boss.locator("#award", has_text="Winner").wait_for(timeout=WAIT)
    boss.locator("#standstill", has_text="left").wait_for()
    committee[0].locator("#status", has_text="awarded").wait_for(timeout=WAIT)

    # 4. the losing supplier complains from the tender page; the officer resolves it
    complainant = bidders[loser]
    complainant.click("#news a")  # "See the opening record", shown when the bids were opened
    complainant.wait_for_url(f"**/tenders/{tender}/")
    complainant.fill("#complaint-text", "Лицензия тендер жарияланғанға дейін берілген; көшірмесі өтінімде бар.")
    complainant.click("#complaints button[type=submit]")
    complainant.locator("#complaints li", has_text="Лицензия тендер").wait_for(timeout=WAIT)
    journey.check(complainant, 4, "complaint")
    complaint = boss.locator("#complaints li").first
    complaint.locator("textarea").wait_for(timeout=WAIT)
    journey.check(boss, 4, "complaint-open")
    journey.in_other_languages()  # the pages of step 3 and of the award, during the standstill
    complaint.locator("textarea").fill("Лицензия өтінімде жоқ; шағым қанағаттандырылмайды.")
    complaint.locator("button[name=dismiss]").click()
    complainant.locator("#complaints li", has_text="шағым қанағаттандырылмайды").wait_for(timeout=WAIT)
    # the standstill ends and the tender completes by itself: the citizen's tender page shows it
    citizen.click(f"#tender-{tender} a")
    citizen.wait_for_url(f"**/tenders/{tender}/")
    citizen.locator("#status", has_text=re.compile("complete", re.I)).wait_for(timeout=STANDSTILL * 1000 + WAIT)
    citizen.locator("#evaluation", has_text="Winner").wait_for(timeout=WAIT)
    assert winner.organisation in citizen.locator("#evaluation .panel").inner_text()
    assert citizen.locator(".amendments li li").all_inner_texts() == ["Description"]  # the amended term, named
    journey.check(citizen, 4, "complete")
    boss.locator("#status", has_text="complete").wait_for(timeout=WAIT)
    boss.locator("#standstill:empty").wait_for(state="attached")  # no "(0 sec left)" once it is over
    journey.check(boss, 4, "resolved")
    journey.in_other_languages()
    assert not journey.failures, "\n".join(journey.failures)
    assert not journey.problems, "\n".join(journey.problems)
