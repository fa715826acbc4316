"""The tender's committee socket (ws/tenders/<id>/committee/): the owner's
officers and the committee members join it and see the evaluation as it
happens (members named, declarations, who scored what); anyone else is
closed with 4403 (4404 for an unknown tender or another buyer's draft), and
nothing sealed goes on it before the opening."""

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from evaluation import services as evaluation_services
from live.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND
from tests.evaluation_support import make_opened  # noqa: F401 (fixture)
from tests.test_live import PRICE, sockets, submit  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


async def test_the_owner_and_members_follow_declarations_and_scores_live(officer, make_officer, make_opened, sockets):
    opened = await sync_to_async(make_opened)({"Alpha": "900", "Beta": "1000"}, best_value=True)
    tender = opened.tender
    member = await sync_to_async(make_officer)(buyer=officer.organisation.name)
    path = f"/ws/tenders/{tender.pk}/committee/"
    boss = await sockets.open(path, user=officer, snapshot=False)
    assert boss.connected

    await sync_to_async(evaluation_services.add_evaluators)(tender.pk, by=officer, user_ids=[member.pk])
    named = await boss.receive_json_from(timeout=3)
    mine = await sockets.open(path, user=member, snapshot=False)
    await sync_to_async(evaluation_services.declare_no_conflict)(tender.pk, by=member)
    for bid in opened.bids.values():
        await sync_to_async(evaluation_services.qualify_bid)(tender.pk, bid.pk, by=officer, qualified=True,
                                                             reason="Complete.")
    quality = opened.criteria[0]
    await sync_to_async(evaluation_services.score_bid)(tender.pk, opened.bids["Alpha"].pk, by=member,
                                                       points={quality.pk: Decimal("20")})

    assert named["type"] == "evaluators_named" and named["evaluators"] == [member.pk]
    for socket in (boss, mine):
        declared = await socket.receive_json_from(timeout=3)
        scored = await socket.receive_json_from(timeout=3)
        assert declared == {**declared, "type": "conflict_declared", "evaluator": member.pk}
        assert scored["type"] == "bid_scored" and scored["bid"] == opened.bids["Alpha"].pk
        assert scored["criteria"] == [quality.pk] and "20" not in str(scored.get("points", ""))


@pytest.mark.parametrize("who", ["anonymous", "supplier", "another buyer's officer"])
async def test_anyone_else_is_closed_with_4403(who, other_officer, supplier, make_tender, sockets):
    tender = await sync_to_async(make_tender)()
    user = {"anonymous": None, "supplier": supplier, "another buyer's officer": other_officer}[who]
    socket = await sockets.open(f"/ws/tenders/{tender.pk}/committee/", user=user, snapshot=False)
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_an_unknown_tender_or_another_buyers_draft_is_closed_with_4404(make_tender, other_officer, officer,
                                                                            sockets):
    draft = await sync_to_async(make_tender)(publish=False)
    for path, user in ((f"/ws/tenders/{draft.pk}/committee/", other_officer), ("/ws/tenders/987654/committee/", officer)):
        socket = await sockets.open(path, user=user, snapshot=False)
        assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


async def test_nothing_sealed_goes_on_the_committee_socket_before_the_opening(officer, make_officer, make_tender,
                                                                              make_supplier, sockets):
    now = timezone.now()
    tender = await sync_to_async(make_tender)(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=10),
                                              clarification_deadline=now + timedelta(minutes=5))
    member = await sync_to_async(make_officer)(buyer=officer.organisation.name)
    await sync_to_async(evaluation_services.add_evaluators)(tender.pk, by=officer, user_ids=[member.pk])
    listeners = [await sockets.open(f"/ws/tenders/{tender.pk}/committee/", user=u, snapshot=False)
                 for u in (officer, member)]
    bidder = await sync_to_async(make_supplier)()
    await submit(tender, bidder)
    await sync_to_async(evaluation_services.declare_no_conflict)(tender.pk, by=member)
    received = []
    for socket in listeners:
        received.append(await socket.receive_from(timeout=3))  # the declaration
        assert await socket.receive_nothing(timeout=0.3)  # and nothing about the bid
    for text in received:
        assert "conflict_declared" in text
        assert str(PRICE) not in text and "98765" not in text
        assert bidder.organisation.name not in text and bidder.organisation.tax_id not in text
