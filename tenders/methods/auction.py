from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.errors import Invalid

from .base import BIDDERS, RANKING, ProcurementMethod, step_field

# A lot's minimal_step, as a share of its estimated amount (DESIGN.md "Live e-auction").
MIN_STEP_SHARE = Decimal("0.005")
MAX_STEP_SHARE = Decimal("0.03")


class Auction(ProcurementMethod):
    """Any supplier bids (sealed, as for an open tender); after the opening
    the officer admits or rejects each offer; the admitted offers of each lot
    meet in a live reverse auction (``auctions``), whose final prices rank
    them (lowest price, or best value in the same formula); then the award
    rules of an open tender."""

    name = "auction"
    label = _("Electronic auction")
    summary = _("Any supplier may bid. After the opening the buyer admits or rejects each offer; the admitted "
                "bidders of each lot then lower their prices in a live auction of three rounds, in turns, "
                "watched by everyone. The final prices decide the ranking.")
    ocds_method = "open"
    ocds_details = "Electronic reverse auction (sealed initial bids, then a live auction per lot)"
    committee = True
    questions = True
    proposal = RANKING
    complaints_by = BIDDERS
    min_period_setting = "PROCUREMENT_MIN_SUBMISSION_PERIOD"
    lot_step = True
    auction = True

    def check_lots(self, steps):
        for i, (estimated, step) in enumerate(steps):
            field = step_field(i, len(steps))
            if step is None:
                raise Invalid("Each lot of an auction states its minimal_step.", code="minimal_step_required",
                              field=field)
            low = (estimated * MIN_STEP_SHARE).quantize(Decimal("0.01"))
            high = (estimated * MAX_STEP_SHARE).quantize(Decimal("0.01"))
            if not low <= step <= high or step <= 0:
                raise Invalid(f"The minimal step is 0.5-3 % of the lot's estimated amount: {low:.2f} to "
                              f"{high:.2f}.", code="minimal_step_invalid", field=field, low=f"{low:.2f}",
                              high=f"{high:.2f}")

    def ocds(self, tender):
        return {**super().ocds(tender), "submissionMethodDetails": "Sealed electronic bids, then a live "
                "electronic reverse auction per lot among the admitted offers"}
