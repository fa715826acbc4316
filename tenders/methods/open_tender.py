from django.utils.translation import gettext_lazy as _

from .base import BIDDERS, RANKING, ProcurementMethod


class OpenTender(ProcurementMethod):
    """Any supplier bids; every opened offer is qualified, then ranked on
    lowest price or best value (committee scores); the officer awards."""

    name = "open_tender"
    label = _("Open tender")
    summary = _("Any supplier may bid. After the opening every offer's qualification is checked and the "
                "qualified offers are ranked on price, or on price and quality scored by a committee.")
    ocds_method = "open"
    ocds_details = "Open tender with sealed electronic bids"
    committee = True
    questions = True
    proposal = RANKING
    complaints_by = BIDDERS
    min_period_setting = "PROCUREMENT_MIN_SUBMISSION_PERIOD"
