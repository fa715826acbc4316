from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import services
from bids.models import Bid, BidVersion
from bids.services import BidContent
from core.errors import DomainError, NotFound
from tenders import services as tender_services
from tenders.models import Status, Tender

pytestmark = pytest.mark.django_db


def content(amount="1000.00", currency="KZT", answers=None, documents=None) -> BidContent:
    return BidContent(amount=Decimal(amount), currency=currency, answers=answers or {}, documents=documents or [])


@pytest.fixture
def clock():
    """A tender timeline: published 2 h ago, deadline in 10 minutes."""
    now = timezone.now()
    return {"published": now - timedelta(hours=2), "now": now, "deadline": now + timedelta(minutes=10)}


@pytest.fixture
def tender(make_tender, clock):
    return make_tender(now=clock["published"], submission_deadline=clock["deadline"],
                       clarification_deadline=clock["deadline"] - timedelta(minutes=5))


def test_submission_is_sealed_and_counted(tender, supplier, clock):
    receipt = services.submit_bid(tender.pk, by=supplier, content=content("777.10"), now=clock["now"])

    bid = Bid.objects.get(pk=receipt.bid)
    assert bid.amount is None and bid.opened_at is None
    assert b"777.10" not in bytes(bid.current.sealed)
    assert Tender.objects.get(pk=tender.pk).bid_count == 1
    assert receipt.sha256 == bid.current.sha256


def test_bid_at_the_deadline_is_refused(tender, supplier, clock):
    with pytest.raises(DomainError) as refused:
        services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["deadline"])
    assert refused.value.code == "deadline_passed"
    assert not Bid.objects.exists()


def test_late_bid_refused_even_before_the_scheduler_switched_status(tender, supplier, clock):
    # given the tender is still 'active' in the database
    assert Tender.objects.get(pk=tender.pk).status == Status.ACTIVE
    # when a bid arrives one microsecond after the deadline
    with pytest.raises(DomainError) as refused:
        services.submit_bid(tender.pk, by=supplier, content=content(),
                            now=clock["deadline"] + timedelta(microseconds=1))
    # then it is refused
    assert refused.value.code == "deadline_passed"


def test_second_submission_must_be_a_replacement(tender, supplier, clock):
    services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    with pytest.raises(DomainError) as refused:
        services.submit_bid(tender.pk, by=supplier, content=content("5.00"), now=clock["now"])
    assert refused.value.code == "bid_exists"


def test_replacement_keeps_sealed_history_and_the_last_version_counts(tender, supplier, clock):
    first = services.submit_bid(tender.pk, by=supplier, content=content("900.00"), now=clock["now"])
    second = services.replace_bid(tender.pk, first.bid, by=supplier, content=content("850.00"),
                                  now=clock["now"] + timedelta(seconds=5))

    assert BidVersion.objects.filter(bid_id=first.bid).count() == 2
    assert second.version == 2 and second.sha256 != first.sha256
    services.open_tender(tender.pk, now=clock["deadline"])
    assert Bid.objects.get(pk=first.bid).amount == Decimal("850.00")


def test_withdrawn_bid_is_not_opened_and_not_counted(tender, supplier, make_supplier, clock):
    other = make_supplier()
    mine = services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    services.submit_bid(tender.pk, by=other, content=content("2000.00"), now=clock["now"])

    services.withdraw_bid(tender.pk, mine.bid, by=supplier, now=clock["now"])

    assert Tender.objects.get(pk=tender.pk).bid_count == 1
    services.open_tender(tender.pk, now=clock["deadline"])
    record = services.opening_record(Tender.objects.get(pk=tender.pk))
    assert [row["amount"] for row in record] == ["2000.00"]


def test_withdrawn_bid_can_be_submitted_again(tender, supplier, clock):
    first = services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    services.withdraw_bid(tender.pk, first.bid, by=supplier, now=clock["now"])
    again = services.submit_bid(tender.pk, by=supplier, content=content("1.00"), now=clock["now"])
    assert again.bid == first.bid and again.version == 2
    assert Tender.objects.get(pk=tender.pk).bid_count == 1


def test_withdrawal_after_deadline_is_refused(tender, supplier, clock):
    receipt = services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    with pytest.raises(DomainError) as refused:
        services.withdraw_bid(tender.pk, receipt.bid, by=supplier, now=clock["deadline"])
    assert refused.value.code == "deadline_passed"


def test_currency_must_match_the_tender(tender, supplier, clock):
    with pytest.raises(DomainError) as refused:
        services.submit_bid(tender.pk, by=supplier, content=content(currency="EUR"), now=clock["now"])
    assert refused.value.code == "currency_mismatch"


def test_answers_must_name_the_tenders_criteria(make_tender, supplier, clock):
    tender = make_tender(now=clock["published"], submission_deadline=clock["deadline"],
                         clarification_deadline=clock["now"], award_method="best_value", price_weight=70,
                         criteria=[{"name": "Warranty", "weight": 30}])
    criterion = tender.criteria.get()
    services.submit_bid(tender.pk, by=supplier, content=content(answers={str(criterion.pk): "36 months"}),
                        now=clock["now"])
    with pytest.raises(DomainError) as refused:
        services.replace_bid(tender.pk, Bid.objects.get().pk, by=supplier,
                             content=content(answers={"999999": "x"}), now=clock["now"])
    assert refused.value.code == "unknown_criterion"


def test_draft_tender_does_not_exist_for_bidders(make_tender, supplier):
    draft = make_tender(publish=False)
    with pytest.raises(NotFound):
        services.submit_bid(draft.pk, by=supplier, content=content())


def test_cancelled_tender_refuses_bids(tender, officer, supplier, clock):
    tender_services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn", now=clock["now"])
    with pytest.raises(DomainError) as refused:
        services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    assert refused.value.code == "not_accepting_bids"


def test_someone_elses_bid_cannot_be_replaced_or_withdrawn(tender, supplier, make_supplier, clock):
    receipt = services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    intruder = make_supplier()
    with pytest.raises(NotFound):
        services.replace_bid(tender.pk, receipt.bid, by=intruder, content=content("1.00"), now=clock["now"])
    with pytest.raises(NotFound):
        services.withdraw_bid(tender.pk, receipt.bid, by=intruder, now=clock["now"])


def test_amendment_requires_confirmation_and_unconfirmed_bids_are_not_opened(
        tender, officer, supplier, make_supplier, clock):
    confirmed_by = make_supplier()
    services.submit_bid(tender.pk, by=supplier, content=content("100.00"), now=clock["now"])
    kept = services.submit_bid(tender.pk, by=confirmed_by, content=content("200.00"), now=clock["now"])

    amendment = tender_services.amend_tender(tender.pk, by=officer, rationale="Scope grew",
                                             description="Now 3 km of road.", now=clock["now"])
    assert amendment.deadline_extended  # 10 minutes left < the 30-minute amendment period
    assert set(Bid.objects.values_list("needs_confirmation", flat=True)) == {True}

    services.confirm_bid(tender.pk, kept.bid, by=confirmed_by, now=clock["now"])
    new_deadline = Tender.objects.get(pk=tender.pk).submission_deadline
    services.open_tender(tender.pk, now=new_deadline)

    record = services.opening_record(Tender.objects.get(pk=tender.pk))
    assert [row["bid"] for row in record] == [kept.bid]


def test_deadline_only_extension_needs_no_confirmation(tender, officer, supplier, clock):
    services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    tender_services.amend_tender(tender.pk, by=officer, rationale="More time",
                                 submission_deadline=clock["deadline"] + timedelta(days=1), now=clock["now"])
    assert not Bid.objects.get().needs_confirmation


def test_opening_decrypts_and_moves_to_evaluation(tender, supplier, make_supplier, clock):
    services.submit_bid(tender.pk, by=supplier, content=content("300.00", answers={}), now=clock["now"])
    services.submit_bid(tender.pk, by=make_supplier(), content=content("250.00"), now=clock["now"])

    assert services.open_tender(tender.pk, now=clock["deadline"])

    tender.refresh_from_db()
    assert tender.status == Status.EVALUATION and tender.opened_at == clock["deadline"]
    assert sorted(Bid.objects.values_list("amount", flat=True)) == [Decimal("250.00"), Decimal("300.00")]


def test_opening_is_not_repeated(tender, supplier, clock):
    services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    assert services.open_tender(tender.pk, now=clock["deadline"])
    assert not services.open_tender(tender.pk, now=clock["deadline"])


def test_opening_waits_for_the_deadline(tender, clock):
    assert not services.open_tender(tender.pk, now=clock["now"])
    assert Tender.objects.get(pk=tender.pk).status == Status.ACTIVE


def test_too_few_bids_make_the_tender_unsuccessful(make_tender, supplier, clock):
    tender = make_tender(now=clock["published"], submission_deadline=clock["deadline"],
                         clarification_deadline=clock["now"], min_bids=2)
    services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"])
    services.open_tender(tender.pk, now=clock["deadline"])
    assert Tender.objects.get(pk=tender.pk).status == Status.UNSUCCESSFUL


def test_scheduler_pass_opens_every_overdue_tender(make_tender, supplier, clock):
    overdue = [make_tender(now=clock["published"], submission_deadline=clock["now"] - timedelta(minutes=m),
                           clarification_deadline=clock["now"] - timedelta(minutes=m + 1)) for m in (1, 2, 3)]
    future = make_tender(now=clock["published"], submission_deadline=clock["deadline"],
                         clarification_deadline=clock["now"])

    assert services.open_due(clock["now"]) == 3

    assert {t.status for t in Tender.objects.filter(pk__in=[t.pk for t in overdue])} == {Status.UNSUCCESSFUL}
    assert Tender.objects.get(pk=future.pk).status == Status.ACTIVE


def test_bid_events_are_audited_without_content_or_bidder(tender, supplier, clock):
    services.submit_bid(tender.pk, by=supplier, content=content("4242.42"), now=clock["now"])
    entry = tender.audit_entries.get(event="bid_submitted")
    assert entry.actor == "" and entry.role == "supplier"
    assert "4242" not in str(entry.data) and supplier.organisation.name not in str(entry.data)


def test_a_receipt_made_with_a_non_utc_time_still_verifies_when_read_back(tender, supplier, clock):
    from datetime import timezone as tz

    from bids import receipts

    almaty = tz(timedelta(hours=5))
    issued = services.submit_bid(tender.pk, by=supplier, content=content(), now=clock["now"].astimezone(almaty))
    stored = services.Receipt.of(BidVersion.objects.get(pk=Bid.objects.get().current_id))

    assert stored.received_at == issued.received_at and issued.received_at.endswith("Z")
    assert receipts.verify(tender_id=tender.pk, bid_id=stored.bid, sha256=stored.sha256,
                           received_at=stored.received_at, signature=stored.signature)
