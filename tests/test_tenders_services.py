"""Tender rules, through the services: drafting, publication, amendment and
cancellation, each refusal with its stable code."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import verify
from bids import services as bid_services
from bids.models import Bid
from core.errors import Forbidden, Invalid, NotFound, WrongState
from tenders import services
from tenders.models import Status, Tender
from tests.conftest import tender_fields

BEST_VALUE = {"award_method": "best_value", "price_weight": 60}
DAY_5 = timezone.now() + timedelta(days=5)
CRITERIA = [{"name": "Warranty", "weight": 25}, {"name": "Delivery time", "weight": 15}]


def draft(by, criteria=None, **overrides) -> Tender:
    return services.create_draft(by=by, criteria=criteria, **tender_fields(**overrides))


def events(tender) -> list[str]:
    return list(AuditEntry.objects.filter(tender=tender).order_by("seq").values_list("event", flat=True))


# --- drafting ---------------------------------------------------------------------

def test_a_draft_belongs_to_the_officers_buyer(officer):
    tender = draft(officer)
    assert tender.status == Status.DRAFT
    assert tender.buyer == officer.organisation
    assert tender.estimated_amount == Decimal("125000000.00")
    assert events(tender) == ["tender_created"]


@pytest.mark.parametrize("overrides, code", [
    ({"cpv": "45233140-3"}, "cpv_unknown"),
    ({"cpv": "4523314"}, "cpv_unknown"),
    ({"currency": "ABC"}, "currency_unknown"),
    ({"clarification_deadline": timezone.now() + timedelta(days=30)}, "clarification_after_submission"),
    ({"clarification_deadline": DAY_5, "submission_deadline": DAY_5}, "clarification_after_submission"),
    ({"price_weight": 50}, "weights_not_100"),
])
def test_create_draft_refuses_bad_terms(officer, overrides, code):
    with pytest.raises(Invalid) as refused:
        draft(officer, **overrides)
    assert refused.value.code == code
    assert not Tender.objects.exists()


def test_a_lowest_price_tender_has_no_criteria(officer):
    with pytest.raises(Invalid) as refused:
        draft(officer, criteria=CRITERIA)
    assert refused.value.code == "criteria_not_allowed"


def test_a_best_value_tender_needs_criteria(officer):
    with pytest.raises(Invalid) as refused:
        draft(officer, **BEST_VALUE)
    assert refused.value.code == "criteria_required"


def test_a_best_value_tender_states_its_price_weight(officer):
    with pytest.raises(Invalid) as refused:
        draft(officer, criteria=CRITERIA, award_method="best_value")
    assert refused.value.code == "price_weight_required"


def test_best_value_weights_must_add_up_to_100(officer):
    with pytest.raises(Invalid) as refused:
        draft(officer, criteria=[{"name": "Warranty", "weight": 30}], **BEST_VALUE)
    assert refused.value.code == "weights_not_100"


def test_criterion_names_are_unique(officer):
    with pytest.raises(Invalid) as refused:
        draft(officer, criteria=[{"name": "Warranty", "weight": 20}, {"name": "Warranty", "weight": 20}],
              **BEST_VALUE)
    assert refused.value.code == "criteria_duplicate"


def test_a_best_value_draft_keeps_its_criteria_in_order(officer):
    tender = draft(officer, criteria=CRITERIA, **BEST_VALUE)
    assert [(c.name, c.weight) for c in tender.criteria.all()] == [("Warranty", 25), ("Delivery time", 15)]


def test_edit_draft_changes_terms_and_search_text(officer):
    tender = draft(officer)
    services.update_draft(tender.pk, by=officer, title="Жол жөндеу", estimated_amount=Decimal("99.99"))
    tender.refresh_from_db()
    assert tender.title == "Жол жөндеу" and tender.estimated_amount == Decimal("99.99")
    assert "жол" in tender.search_text
    assert events(tender) == ["tender_created", "tender_edited"]


def test_edit_draft_checks_the_merged_terms(officer):
    tender = draft(officer)
    with pytest.raises(Invalid) as refused:
        services.update_draft(tender.pk, by=officer, clarification_deadline=tender.submission_deadline)
    assert refused.value.code == "clarification_after_submission"


def test_switching_a_draft_to_lowest_price_drops_its_criteria(officer):
    tender = draft(officer, criteria=CRITERIA, **BEST_VALUE)
    services.update_draft(tender.pk, by=officer, award_method="lowest_price")
    tender.refresh_from_db()
    assert tender.price_weight == 100 and not tender.criteria.exists()


def test_only_a_draft_can_be_edited(officer, make_tender):
    tender = make_tender()
    with pytest.raises(WrongState) as refused:
        services.update_draft(tender.pk, by=officer, title="New")
    assert refused.value.code == "not_draft"


def test_another_buyers_draft_does_not_exist_for_an_officer(officer, other_officer):
    tender = draft(officer)
    with pytest.raises(NotFound):
        services.update_draft(tender.pk, by=other_officer, title="Mine now")


def test_another_buyers_published_tender_is_forbidden(make_tender, other_officer):
    tender = make_tender()
    with pytest.raises(Forbidden) as refused:
        services.cancel_tender(tender.pk, by=other_officer, reason="Not mine")
    assert refused.value.code == "not_your_tender"


# --- publication ------------------------------------------------------------------------

def test_publish_makes_a_draft_active_with_a_sealing_key(officer):
    tender = draft(officer)
    services.publish_tender(tender.pk, by=officer)
    tender.refresh_from_db()
    assert tender.status == Status.ACTIVE
    assert tender.published_at is not None and tender.public_key
    assert events(tender) == ["tender_created", "tender_published"]


def test_publish_twice_is_a_wrong_state(officer, make_tender):
    tender = make_tender()
    with pytest.raises(WrongState) as refused:
        services.publish_tender(tender.pk, by=officer)
    assert refused.value.code == "already_published"


def test_publish_refuses_a_submission_period_shorter_than_the_minimum(officer, settings):
    # given: the minimum is one hour in tests
    now = timezone.now()
    tender = draft(officer, clarification_deadline=now + timedelta(minutes=10),
                   submission_deadline=now + timedelta(minutes=59))
    # when / then
    with pytest.raises(Invalid) as refused:
        services.publish_tender(tender.pk, by=officer, now=now)
    assert refused.value.code == "submission_period_too_short"
    assert refused.value.extra["earliest"]


def test_publish_accepts_exactly_the_minimum_period(officer, settings):
    now = timezone.now()
    tender = draft(officer, clarification_deadline=now + timedelta(minutes=10),
                   submission_deadline=now + timedelta(seconds=settings.PROCUREMENT_MIN_SUBMISSION_PERIOD))
    assert services.publish_tender(tender.pk, by=officer, now=now).status == Status.ACTIVE


def test_publish_refuses_a_clarification_deadline_in_the_past(officer):
    now = timezone.now()
    tender = draft(officer, now=now - timedelta(days=11))  # clarification 1 day ago, submission in 9 days
    with pytest.raises(Invalid) as refused:
        services.publish_tender(tender.pk, by=officer, now=now)
    assert refused.value.code == "clarification_deadline_past"


def test_publish_rechecks_the_terms(officer):
    tender = draft(officer)
    Tender.objects.filter(pk=tender.pk).update(cpv="12345678-9")  # e.g. edited in the database
    with pytest.raises(Invalid) as refused:
        services.publish_tender(tender.pk, by=officer)
    assert refused.value.code == "cpv_unknown"


# --- amendment ------------------------------------------------------------------------------

def test_an_amendment_records_what_changed(officer, make_tender):
    tender = make_tender()
    amendment = services.amend_tender(tender.pk, by=officer, rationale="Budget revised",
                                      estimated_amount=Decimal("130000000.00"))
    assert amendment.changes == {"estimated_amount": {"from": "125000000.00", "to": "130000000.00"}}
    assert amendment.deadline_extended is False
    assert events(tender)[-1] == "tender_amended"


def test_an_amendment_close_to_the_deadline_extends_it(officer, make_tender, settings):
    # given: an amendment 10 minutes before the deadline
    published = timezone.now()
    tender = make_tender(now=published, clarification_deadline=published + timedelta(hours=1),
                         submission_deadline=published + timedelta(hours=2))
    at = tender.submission_deadline - timedelta(minutes=10)
    # when
    amendment = services.amend_tender(tender.pk, by=officer, rationale="Drawings corrected", now=at,
                                      title="Road repair (corrected drawings)",
                                      clarification_deadline=at + timedelta(minutes=5))
    # then
    tender.refresh_from_db()
    assert amendment.deadline_extended
    assert tender.submission_deadline == at + timedelta(seconds=settings.PROCUREMENT_MIN_AMENDMENT_PERIOD)


def test_an_amendment_of_terms_asks_bidders_to_confirm(officer, make_tender, supplier):
    tender = make_tender()
    bid_services.submit_bid(tender.pk, by=supplier, content=bid_services.BidContent(
        amount=Decimal("120000000"), currency="KZT", answers={}, documents=[]))
    services.amend_tender(tender.pk, by=officer, rationale="More kilometres", description="3 km of road")
    assert Bid.objects.get(tender=tender).needs_confirmation


def test_moving_only_the_deadline_later_needs_no_confirmation(officer, make_tender, supplier):
    tender = make_tender()
    bid_services.submit_bid(tender.pk, by=supplier, content=bid_services.BidContent(
        amount=Decimal("120000000"), currency="KZT", answers={}, documents=[]))
    services.amend_tender(tender.pk, by=officer, rationale="More time",
                          submission_deadline=tender.submission_deadline + timedelta(days=5))
    assert not Bid.objects.get(tender=tender).needs_confirmation


def test_an_amendment_that_changes_nothing_is_refused(officer, make_tender):
    tender = make_tender()
    with pytest.raises(Invalid) as refused:
        services.amend_tender(tender.pk, by=officer, rationale="Nothing", title=tender.title)
    assert refused.value.code == "amendment_empty"


def test_an_amendment_cannot_bring_the_deadline_forward(officer, make_tender):
    tender = make_tender()
    with pytest.raises(Invalid) as refused:
        services.amend_tender(tender.pk, by=officer, rationale="Hurry",
                              submission_deadline=tender.submission_deadline - timedelta(days=1))
    assert refused.value.code == "deadline_earlier"


def test_an_amendment_keeps_clarification_before_submission(officer, make_tender):
    tender = make_tender()
    with pytest.raises(Invalid) as refused:
        services.amend_tender(tender.pk, by=officer, rationale="Late questions",
                              clarification_deadline=tender.submission_deadline + timedelta(days=1))
    assert refused.value.code == "clarification_after_submission"


def test_an_amendment_cannot_move_the_clarification_deadline_into_the_past(officer, make_tender):
    tender = make_tender()
    with pytest.raises(Invalid) as refused:
        services.amend_tender(tender.pk, by=officer, rationale="Close questions",
                              clarification_deadline=timezone.now() - timedelta(minutes=1))
    assert refused.value.code == "clarification_deadline_past"


def test_an_amendment_after_the_deadline_is_refused(officer, make_tender):
    tender = make_tender()
    with pytest.raises(WrongState) as refused:
        services.amend_tender(tender.pk, by=officer, rationale="Too late", title="Late",
                              now=tender.submission_deadline)
    assert refused.value.code == "deadline_passed"


def test_a_draft_cannot_be_amended(officer, make_tender):
    tender = make_tender(publish=False)
    with pytest.raises(WrongState) as refused:
        services.amend_tender(tender.pk, by=officer, rationale="Draft", title="Other")
    assert refused.value.code == "not_active"


# --- cancellation -----------------------------------------------------------------------------

def test_cancel_records_the_public_reason(officer, make_tender):
    tender = make_tender()
    services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn by the akimat")
    tender.refresh_from_db()
    assert tender.status == Status.CANCELLED
    assert tender.cancellation_reason == "Budget withdrawn by the akimat" and tender.cancelled_at
    assert events(tender)[-1] == "tender_cancelled"


def test_a_draft_can_be_cancelled(officer, make_tender):
    tender = make_tender(publish=False)
    assert services.cancel_tender(tender.pk, by=officer, reason="Not needed").status == Status.CANCELLED


def test_cancel_without_a_reason_is_refused(officer, make_tender):
    tender = make_tender()
    with pytest.raises(Invalid) as refused:
        services.cancel_tender(tender.pk, by=officer, reason="   ")
    assert refused.value.code == "reason_required"


def test_a_cancelled_tender_cannot_be_cancelled_again(officer, make_tender):
    tender = make_tender()
    services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn")
    with pytest.raises(WrongState) as refused:
        services.cancel_tender(tender.pk, by=officer, reason="Again")
    assert refused.value.code == "invalid_transition"


def _past_deadline_tender(make_tender, supplier=None):
    """A tender published 30 days ago whose deadline passed yesterday, with
    one bid if a supplier is given, then opened."""
    now = timezone.now()
    tender = make_tender(now=now - timedelta(days=30), clarification_deadline=now - timedelta(days=5),
                         submission_deadline=now - timedelta(days=1))
    if supplier:
        bid_services.submit_bid(tender.pk, by=supplier, now=now - timedelta(days=2), content=bid_services.BidContent(
            amount=Decimal("1000.00"), currency="KZT", answers={}, documents=[]))
    bid_services.open_tender(tender.pk, now=now)
    tender.refresh_from_db()
    return tender


def test_a_tender_in_evaluation_can_still_be_cancelled(officer, make_tender, supplier):
    tender = _past_deadline_tender(make_tender, supplier)
    assert tender.status == Status.EVALUATION
    assert services.cancel_tender(tender.pk, by=officer, reason="Court order").status == Status.CANCELLED


def test_an_unsuccessful_tender_cannot_be_cancelled(officer, make_tender):
    tender = _past_deadline_tender(make_tender)
    assert tender.status == Status.UNSUCCESSFUL
    with pytest.raises(WrongState) as refused:
        services.cancel_tender(tender.pk, by=officer, reason="Too late")
    assert refused.value.code == "invalid_transition"


def test_the_audit_chain_of_a_tender_lifecycle_verifies(officer, make_tender):
    tender = make_tender()
    services.amend_tender(tender.pk, by=officer, rationale="Budget", estimated_amount=Decimal("1.00"))
    services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn")
    assert verify([tender.pk]) == []
