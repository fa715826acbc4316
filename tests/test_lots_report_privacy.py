"""A lot's report turns public at its award while another lot of the same
tender is still being evaluated (#23 item 5): the tender's criteria are
scored once per bid and count in both lots, so nothing of those points may
show — in the public report, the audit log, the OCDS releases or the tender
socket — until the other lot's award too."""

import hashlib
import json
from decimal import Decimal

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from evaluation import services as evaluation
from tests.evaluation_support import BEST_VALUE, committee, make_lots_opened  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

# Distinctive points: none of them may appear anywhere public while lot 2 is open.
POINTS = {"Quality": Decimal("17.35"), "Delivery": Decimal("11.65")}


@pytest.fixture
def two_lots(make_lots_opened, committee, officer):
    """Alpha bids on both lots, Beta on lot 1, Gamma on lot 2; all qualified
    and scored by a declared two-member committee on the tender's criteria."""
    opened = make_lots_opened({"Roads": "1000", "Signs": "500"},
                              {"Alpha": {"Roads": "900", "Signs": "450"}, "Beta": {"Roads": "950"},
                               "Gamma": {"Signs": "480"}}, **BEST_VALUE)
    tender = opened.tender
    roads, signs = tender.lots.order_by("position")
    criteria = {c.name: c for c in tender.criteria.all()}
    members = committee(tender)
    for label, lots in {"Alpha": (roads, signs), "Beta": (roads,), "Gamma": (signs,)}.items():
        for lot in lots:
            evaluation.qualify_bid(tender.pk, opened.bids[label].pk, by=officer, qualified=True,
                                   reason="Documents complete.", lot_id=lot.pk)
    for member in members:
        for bid in opened.bids.values():
            evaluation.score_bid(tender.pk, bid.pk, by=member,
                                 points={criteria[name].pk: value for name, value in POINTS.items()})
    evaluation.award_bid(tender.pk, by=officer, bid_id=opened.bids["Alpha"].pk, lot_id=roads.pk)
    return opened, roads, signs, criteria


def public_texts(api, tender, roads) -> dict[str, str]:
    """Everything an anonymous reader can fetch about the tender, as text."""
    base = f"/api/tenders/{tender.pk}"
    return {"report": api.get(f"{base}/evaluation/?lot={roads.pk}").content.decode(),
            "audit": api.get(f"{base}/audit/").content.decode(),
            "ocds": api.get(f"{base}/ocds/").content.decode(),
            "record": api.get(f"{base}/ocds/record/").content.decode(),
            "tender": api.get(f"{base}/").content.decode()}


def test_the_awarded_lots_report_withholds_the_shared_points_of_a_bid_still_evaluated_in_another_lot(
        two_lots, api):
    opened, roads, signs, criteria = two_lots
    # when anyone reads lot 1's public report
    response = api.get(f"/api/tenders/{opened.tender.pk}/evaluation/?lot={roads.pk}")
    assert response.status_code == 200
    report = response.json()
    rows = {row["bid"]: row for row in report["bids"]}
    alpha, beta = rows[opened.bids["Alpha"].pk], rows[opened.bids["Beta"].pk]
    # then Alpha, also in lot 2, shows none of its points on the tender's criteria, nor a total
    assert alpha["scores"] == {} and alpha["quality"] == {} and alpha["total"] is None
    # its price score and rank in lot 1 are lot 1's own outcome
    assert alpha["rank"] == 1 and alpha["price_score"] is not None
    # Beta bid on lot 1 alone: its evaluation is over, it is all public
    assert set(beta["scores"]) == {str(c.pk) for c in criteria.values()} and beta["total"] is not None
    # the salt would open lot 2's commitments in the audit log: not yet
    assert report["commitment_salt"] is None
    # and lot 2's own report is not public
    assert api.get(f"/api/tenders/{opened.tender.pk}/evaluation/?lot={signs.pk}").status_code == 403


def test_nothing_public_carries_the_shared_points_before_the_other_lots_award(two_lots, api):
    opened, roads, signs, criteria = two_lots
    alpha = opened.bids["Alpha"].pk
    texts = public_texts(api, opened.tender, roads)
    # Alpha's points show nowhere (Beta's, the same values, are in the report: look past the report)
    for name, text in texts.items():
        if name != "report":
            assert "17.35" not in text and "11.65" not in text, name
    # the award's audit entry ranks lot 1 without Alpha's total
    entry = next(e for e in api.get(f"/api/tenders/{opened.tender.pk}/audit/").json()["entries"]
                 if e["event"] == "lot_awarded")
    ranking = {row["bid"]: row["total"] for row in entry["data"]["ranking"]}
    assert ranking[alpha] is None and ranking[opened.bids["Beta"].pk] is not None


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
@pytest.mark.django_db(transaction=True)
def test_the_tender_socket_snapshot_carries_no_score(make_lots_opened, committee, officer):
    from asgiref.sync import async_to_sync

    from procurement.asgi import application

    opened = make_lots_opened({"Roads": "1000", "Signs": "500"},
                              {"Alpha": {"Roads": "900", "Signs": "450"}, "Beta": {"Roads": "950"}}, **BEST_VALUE)
    tender = opened.tender
    roads, signs = tender.lots.order_by("position")
    criteria = list(tender.criteria.all())
    for label, lots in {"Alpha": (roads, signs), "Beta": (roads,)}.items():
        for lot in lots:
            evaluation.qualify_bid(tender.pk, opened.bids[label].pk, by=officer, qualified=True,
                                   reason="Documents complete.", lot_id=lot.pk)
    for member in committee(tender):
        for bid in opened.bids.values():
            evaluation.score_bid(tender.pk, bid.pk, by=member, points={c.pk: Decimal("13.57") for c in criteria})
    evaluation.award_bid(tender.pk, by=officer, bid_id=opened.bids["Alpha"].pk, lot_id=roads.pk)

    async def snapshot():
        socket = WebsocketCommunicator(application, f"/ws/tenders/{tender.pk}/",
                                       headers=[(b"origin", b"http://127.0.0.1")])
        connected, _ = await socket.connect()
        assert connected
        first = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return first

    assert "13.57" not in json.dumps(async_to_sync(snapshot)())


def test_once_the_other_lot_is_awarded_everything_is_public_and_each_commitment_checks(two_lots, api, officer):
    opened, roads, signs, criteria = two_lots
    # when lot 2 is awarded too
    evaluation.award_bid(opened.tender.pk, by=officer, bid_id=opened.bids["Alpha"].pk, lot_id=signs.pk)
    # then lot 1's report shows Alpha's points and the salt, and every commitment recomputes from them
    report = api.get(f"/api/tenders/{opened.tender.pk}/evaluation/?lot={roads.pk}").json()
    alpha = next(row for row in report["bids"] if row["bid"] == opened.bids["Alpha"].pk)
    assert alpha["total"] is not None and report["commitment_salt"]
    entries = [e for e in api.get(f"/api/tenders/{opened.tender.pk}/audit/").json()["entries"]
               if e["event"] == "bid_scored" and e["data"]["bid"] == alpha["bid"]]
    assert len(entries) == 2
    for entry in entries:
        evaluator = str(entry["data"]["evaluator"]["id"])
        points = {str(cid): alpha["scores"][str(cid)][evaluator] for cid in entry["data"]["criteria"]}
        body = {"tender": report["tender"], "bid": alpha["bid"], "evaluator": int(evaluator), "points": points,
                "salt": report["commitment_salt"]}
        assert hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest() \
            == entry["data"]["commitment"]
