"""The committee's workspace in Debian's chromium, beyond the scoring itself
(tests/test_buyer_browser.py): the tender's audit trail on the evaluation
page, with translated event names, growing live as the committee works; the
lot switcher of a multi-lot tender, each lot's qualification, award and
complaints kept to that lot; and the buyer's "needs doing now" list, each
kind of task in it and the standstill's end, updated without a reload."""

import re

from bids import services as bid_services
from core.isotime import iso
from clarifications import services as clarification_services
from evaluation import services as evaluation_services
from evaluation.models import Award, Qualification
from tests.browser_support import (BROWSER_MARKS, bid_content, browser,  # noqa: F401 (fixtures)
                                   in_thread, log_in, log_in_officer, new_page, server, watch, with_password)
from tests.evaluation_support import committee, make_lots_opened, make_opened, qualify_all  # noqa: F401 (fixtures)

pytestmark = BROWSER_MARKS


def audit_row(page, label: str, code: str):
    """The audit trail's row of an event: its translated label, its raw code beside it."""
    return page.locator("#audit tbody tr", has=page.locator(".event-label", has_text=label)).filter(
        has=page.locator("code.event-code", has_text=re.compile(f"^{code}$")))


def test_the_evaluation_page_shows_the_audit_trail_in_words_and_it_grows_live(
        officer, make_opened, committee, server, browser):
    opened = in_thread(make_opened, {"Alpha": "900", "Beta": "1000"}, best_value=True)
    tender = opened.tender
    members = in_thread(committee, tender, declare=False)
    page = new_page(browser)
    problems = watch(page)
    log_in_officer(page, server, officer.username)
    page.goto(f"{server}/tenders/{tender.pk}/evaluation/")
    audit_row(page, "Bids opened", "bids_opened").wait_for()
    audit_row(page, "Evaluators named", "evaluators_named").wait_for()
    assert audit_row(page, "Tender published", "tender_published").count() == 1
    labels = page.locator("#audit .event-label").all_inner_texts()
    assert labels and not [label for label in labels if "_" in label]  # no raw code shown as a label

    # a member's declaration (the committee's channel) and a qualification (the public socket) appear live
    in_thread(evaluation_services.declare_no_conflict, tender.pk, by=members[0])
    audit_row(page, "No conflict of interest declared", "conflict_declared").wait_for(timeout=10_000)
    in_thread(evaluation_services.qualify_bid, tender.pk, opened.bids["Alpha"].pk, by=officer, qualified=True,
              reason="Documents complete.")
    audit_row(page, "Bid qualified", "bid_qualified").wait_for(timeout=10_000)
    page.click("#verify-audit")
    page.locator("#audit-result", has_text="the chain is intact").wait_for()

    # the public tender page shares the trail, in Russian too
    reader = new_page(browser, "ru")
    problems += watch(reader)
    reader.goto(f"{server}/tenders/{tender.pk}/")
    audit_row(reader, "Заявки вскрыты", "bids_opened").wait_for()
    audit_row(reader, "Заявка допущена", "bid_qualified").wait_for()
    assert "Роль" in reader.locator("#audit thead").inner_text()
    assert problems == []


def test_a_two_lot_tender_is_evaluated_lot_by_lot_from_the_switcher(officer, make_lots_opened, server, browser):
    opened = in_thread(make_lots_opened, {"Asphalt": "1000", "Road signs": "500"}, {
        "Alpha": {"Asphalt": "900", "Road signs": "450"},
        "Beta": {"Asphalt": "950", "Road signs": "480"},
        "Gamma": {"Asphalt": "990"}})
    tender = opened.tender
    asphalt, signs = in_thread(lambda: list(tender.lots.order_by("position")))
    page = new_page(browser)
    problems = watch(page)
    log_in_officer(page, server, officer.username)

    # the buyer's tender page links each lot's evaluation
    page.goto(f"{server}/buyer/tenders/{tender.pk}/")
    for lot in (asphalt, signs):
        assert page.locator(f"#lots a[href$='evaluation/?lot={lot.pk}']").count() == 1

    # without ?lot= the page shows the first lot in evaluation; the switcher marks it
    page.goto(f"{server}/tenders/{tender.pk}/evaluation/")
    assert "Asphalt" in page.locator("h1").inner_text()
    current = page.locator("#lot-switch a[aria-current=page]")
    assert current.count() == 1 and current.inner_text() == "Asphalt"
    assert page.locator(f"#lot-status-{signs.pk}").inner_text() == "evaluation"
    page.locator(f"#bid-{opened.bids['Gamma'].pk}").wait_for()

    # the other lot, by a real link; Gamma has no offer on it
    page.click(f"#lot-link-{signs.pk}")
    page.wait_for_url(f"**/tenders/{tender.pk}/evaluation/?lot={signs.pk}")
    assert page.locator("#lot-switch a[aria-current=page]").inner_text() == "Road signs"
    page.locator(f"#bid-{opened.bids['Alpha'].pk} td", has_text="450").first.wait_for()
    assert page.locator(f"#bid-{opened.bids['Gamma'].pk}").count() == 0

    # qualification and award on this page are the lot's
    for label in ("Alpha", "Beta"):
        form = page.locator(f"#qualify-{opened.bids[label].pk}")
        form.locator("input[value=yes]").check()
        form.locator("textarea").fill("Documents complete.")
        form.locator("button[type=submit]").click()
        page.locator(f"#bid-{opened.bids[label].pk} .qualification", has_text="Documents complete").wait_for()
    assert in_thread(lambda: sorted(Qualification.objects.filter(bid__tender=tender).values_list("lot_id", flat=True))) \
        == [signs.pk, signs.pk]
    page.locator("#award-form").wait_for()
    page.click("#award-form button[type=submit]")
    page.locator("#award", has_text="Winner").wait_for(timeout=10_000)
    page.locator(f"#lot-status-{signs.pk}", has_text="awarded").wait_for(timeout=10_000)
    assert page.locator("#status").inner_text() == "evaluation"  # the asphalt lot is still in evaluation
    assert in_thread(lambda: Award.objects.get(tender=tender).lot_id) == signs.pk
    audit_row(page, "Winner of a lot determined", "lot_awarded").filter(has_text="Road signs").wait_for(timeout=10_000)

    # a complaint about the road signs shows on that lot's page only, and is resolved there
    in_thread(evaluation_services.file_complaint, tender.pk, by=opened.suppliers["Beta"], lot_id=signs.pk,
              text="Alpha's signs are not certified.")
    page.reload()
    complaint = page.locator("#complaints li").first
    complaint.wait_for()
    page.goto(f"{server}/tenders/{tender.pk}/evaluation/?lot={asphalt.pk}")
    page.locator(f"#bid-{opened.bids['Gamma'].pk}").wait_for()
    assert page.locator("#complaints-section").is_hidden()
    page.go_back()
    complaint = page.locator("#complaints li").first
    complaint.locator("textarea").fill("The certificates are in the bid.")
    complaint.locator("button[name=dismiss]").click()
    page.locator("#complaints", has_text="dismissed").wait_for()

    # a bidder complains from the public page, naming the lot (only an awarded lot is offered)
    beta = opened.suppliers["Beta"]
    in_thread(with_password, beta)
    bidder = new_page(browser)
    problems += watch(bidder)
    log_in(bidder, server, beta.username)
    bidder.goto(f"{server}/tenders/{tender.pk}/")
    bidder.locator("#complaint-lot").wait_for()
    assert bidder.locator("#complaint-lot option").all_inner_texts() == ["Road signs"]
    bidder.fill("#complaint-text", "The winner's signs fail the reflectivity standard.")
    bidder.click("#complaints form button[type=submit]")
    bidder.locator("#complaints li", has_text="(Road signs)").filter(has_text="reflectivity").wait_for()

    # the asphalt lot is cancelled with a public reason; the signs' award makes the tender awarded
    page.goto(f"{server}/tenders/{tender.pk}/evaluation/?lot={asphalt.pk}")
    page.fill("#lc-reason", "The street is to be rebuilt next year.")
    page.click("#lot-cancel button[type=submit]")
    page.locator("#lot-cancel .error-summary", has_text="Tick the box").wait_for()
    page.check("#lc-sure")
    page.click("#lot-cancel button[type=submit]")
    page.locator(f"#lot-status-{asphalt.pk}", has_text="cancelled").wait_for(timeout=10_000)
    page.locator("#status", has_text="awarded").wait_for(timeout=10_000)
    bidder.locator(f"#lot-status-{asphalt.pk}", has_text="cancelled").wait_for(timeout=10_000)
    assert in_thread(lambda: tender.lots.get(pk=asphalt.pk).cancellation_reason) == "The street is to be rebuilt next year."

    # a lot the tender does not have is no page
    response = page.goto(f"{server}/tenders/{tender.pk}/evaluation/?lot=999999")
    assert response.status == 404
    assert problems == []


def test_the_buyer_sees_every_task_and_when_each_standstill_ends_updated_live(
        officer, make_tender, make_opened, committee, supplier, server, browser):
    asking = in_thread(make_tender, title="School furniture")
    in_thread(clarification_services.ask_question, asking.pk, by=supplier, text="Is delivery included?")
    scoring = in_thread(make_opened, {"Alpha": "900", "Beta": "1000"}, best_value=True, title="Road design")
    members = in_thread(committee, scoring.tender, declare=False)
    awarded = in_thread(make_opened, {"Alpha": "900", "Beta": "1000"}, title="Street lighting")
    in_thread(qualify_all, awarded, officer)
    award = in_thread(evaluation_services.award_bid, awarded.tender.pk, by=officer, bid_id=awarded.bids["Alpha"].pk)

    page = new_page(browser)
    problems = watch(page)
    log_in_officer(page, server, officer.username)
    todo = page.locator("#todo")
    todo.locator(".task-questions", has_text="School furniture: 1 question to answer").wait_for()
    todo.locator(".task-qualify", has_text="Road design: 2 bids to qualify").wait_for()
    todo.locator(".task-declarations", has_text="2 evaluators have not declared yet").wait_for()
    standstill = todo.locator(".task-standstill", has_text="Street lighting")
    standstill.wait_for()
    assert standstill.locator("time").get_attribute("datetime") == iso(award.standstill_ends_at)
    assert re.search(r"\(\d+ \w+ \d+ \w+ left\)", standstill.inner_text()), standstill.inner_text()
    first = standstill.locator(".left").inner_text()
    page.wait_for_function(f"() => document.querySelector('#todo .task-standstill .left').textContent !== {first!r}",
                           timeout=5_000)  # it counts down
    assert todo.locator(f"a[href='/tenders/{scoring.tender.pk}/evaluation/']").count() >= 1

    # without a reload: a question answered, bids qualified, a declaration, a complaint filed
    question = in_thread(lambda: asking.questions.get())
    in_thread(clarification_services.answer_question, asking.pk, question.pk, by=officer, answer="Yes.")
    todo.locator(".task-questions").wait_for(state="detached", timeout=10_000)
    in_thread(qualify_all, scoring, officer)
    todo.locator(".task-qualify").wait_for(state="detached", timeout=10_000)
    in_thread(evaluation_services.declare_no_conflict, scoring.tender.pk, by=members[0])
    todo.locator(".task-declarations", has_text="1 evaluator has not declared yet").wait_for(timeout=10_000)
    todo.locator(".task-scores", has_text="Road design: 4 scores missing").wait_for(timeout=10_000)
    in_thread(evaluation_services.file_complaint, awarded.tender.pk, by=awarded.suppliers["Beta"],
              text="Our price was not read correctly.")
    todo.locator(".task-complaints", has_text="Street lighting: 1 complaint to resolve").wait_for(timeout=10_000)
    link = todo.locator(".task-complaints a")
    assert link.get_attribute("href") == f"/tenders/{awarded.tender.pk}/evaluation/"
    assert problems == []


def test_the_register_hides_its_live_list_until_something_happens(make_tender, supplier, server, browser):
    tender = in_thread(make_tender, title="Snow clearing")
    page = new_page(browser, "ru")
    problems = watch(page)
    page.goto(server + "/")
    page.locator(f"#tender-{tender.pk}").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator("#live-section").is_hidden()
    in_thread(bid_services.submit_bid, tender.pk, by=supplier, content=bid_content())
    page.locator("#live-section").wait_for(state="visible", timeout=10_000)
    assert page.locator("#live li").count() >= 1
    assert problems == []


def test_a_tender_without_questions_says_so_instead_of_an_empty_numbered_item(make_tender, server, browser):
    tender = in_thread(make_tender, title="Park benches")
    for lang, words in (("en", "No questions yet."), ("ru", "Вопросов пока нет."), ("kk", "Әзірге сұрақтар жоқ.")):
        page = new_page(browser, lang)
        page.goto(f"{server}/tenders/{tender.pk}/")
        page.locator("#no-questions", has_text=words).wait_for()
        assert page.locator("#questions li").count() == 0
        page.context.close()
