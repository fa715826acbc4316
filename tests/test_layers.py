"""The layering's seams: what one app knows of another without importing it."""

from bids.models import Bid
from tenders import services as tender_services


def test_the_tenders_app_names_a_live_bid_as_the_bids_app_does():
    # tenders.services flags live bids for confirmation through the relation
    # (it may not import the bids app, which depends on it)
    assert tender_services.LIVE_BID_STATUS == Bid.Status.SUBMITTED
