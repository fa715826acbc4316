from django.utils.translation import gettext_lazy as _

from ..models import AwardMethod
from .base import BIDDERS, LOWEST_IN_TURN, ProcurementMethod


class PriceQuotation(ProcurementMethod):
    """A request for price quotations: price alone, no criteria, no
    committee, for purchases up to PROCUREMENT_QUOTATION_LIMIT, with its own
    shorter minimum period. After the opening the lowest offer per lot is
    the award proposal; only its qualification is checked."""

    name = "price_quotation"
    label = _("Request for price quotations")
    summary = _("Any supplier may bid; price alone decides. After the opening the lowest offer is the award "
                "proposal: only its qualification is checked, and if it is disqualified the next lowest "
                "takes its place.")
    ocds_method = "open"
    ocds_details = "Request for price quotations (lowest price, sealed electronic bids)"
    award_methods = frozenset({AwardMethod.LOWEST_PRICE})
    committee = False
    questions = True
    period_chosen_by_buyer = False  # short by law: R003's 15 days would flag every quotation
    proposal = LOWEST_IN_TURN
    complaints_by = BIDDERS
    min_period_setting = "PROCUREMENT_MIN_QUOTATION_PERIOD"
    limit_setting = "PROCUREMENT_QUOTATION_LIMIT"
    limit_code = "quotation_over_limit"
