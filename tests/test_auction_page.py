"""The live auction page's shell (/tenders/{id}/auction/?lot=): the state
at the first paint from the public API (a participant's own number only
for it), the link from the tender page, and a 404 for a lot the tender does
not have."""

import json
import re

import pytest
from django.test import Client

from tests.auction_support import auction_tender

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 3600


def page_data(response) -> dict:
    match = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', response.content.decode(),
                      re.S)
    return json.loads(match.group(1))


def test_the_page_paints_the_auction_and_a_participant_its_own_number(officer, make_supplier):
    alma, baiterek = make_supplier("Alma LLP"), make_supplier("Baiterek LLP")
    tender, _ = auction_tender(officer, [(alma, "950000.00"), (baiterek, "900000.00")])
    lot = tender.lots.get().pk
    public = Client().get(f"/tenders/{tender.pk}/auction/?lot={lot}")
    assert public.status_code == 200
    data = page_data(public)
    assert data["auction"]["status"] == "scheduled" and "you" not in data["auction"]
    assert "Baiterek" not in public.content.decode()
    participant = Client()
    participant.force_login(baiterek)
    data = page_data(participant.get(f"/tenders/{tender.pk}/auction/"))
    assert (data["auction"]["you"], data["lot"]["id"]) == (2, lot)
    # the tender page links to it
    assert f"/tenders/{tender.pk}/auction/?lot={lot}" in Client().get(f"/tenders/{tender.pk}/").content.decode()


def test_a_lot_without_an_auction_yet_has_a_page_that_says_so(officer, make_supplier):
    tender, _ = auction_tender(officer, [(make_supplier(), "950000.00"), (make_supplier(), "900000.00")],
                               decide=False)
    response = Client().get(f"/tenders/{tender.pk}/auction/")
    assert response.status_code == 200
    assert page_data(response)["auction"] is None


def test_an_unknown_lot_is_not_found(officer, make_supplier):
    tender, _ = auction_tender(officer, [(make_supplier(), "950000.00")], decide=False)
    assert Client().get(f"/tenders/{tender.pk}/auction/?lot=999999").status_code == 404
    assert Client().get("/tenders/999999/auction/").status_code == 404


def test_a_finished_auctions_page_and_snapshot_hold_every_turn(officer, make_supplier):
    from django.utils import timezone

    from auctions import services as auctions
    from auctions.models import Auction
    from auctions.selectors import public_states
    from core.db import db_now
    from tests.auction_support import move_to

    tender, _ = auction_tender(officer, [(make_supplier(), "950000.00"), (make_supplier(), "900000.00"),
                                         (make_supplier(), "980000.00")])
    move_to(Auction.objects.get(tender=tender), "finished", 3)
    assert auctions.advance_due(timezone.now()) == 1
    state = page_data(Client().get(f"/tenders/{tender.pk}/auction/"))["auction"]
    assert (state["status"], len(state["protocol"])) == ("finished", 9)
    [snapshot] = public_states(tender.pk, now=db_now())
    assert len(snapshot["protocol"]) == 9
