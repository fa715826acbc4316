"""The indicators computed here, from the Open Contracting Partnership's
"Red Flags in Public Procurement" (2024) as its tool Cardinal defines them
(https://cardinal.readthedocs.io/, docs/cli/indicators/R/*.md), with their
thresholds. Each names its scope (the tender, one lot, or the buyer) and
whether it reads opened bid prices (then it is computed only once the
opening record exists)."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# R003: a submission period (publication to deadline) shorter than this many whole days.
R003_MIN_DAYS = 15
# R035: at least this many other tenderers disqualified.
R035_MIN_DISQUALIFIED = 1
# R038: buyers with fewer tenders that received bids are left out of the fence and not flagged.
R038_MIN_TENDERS = 2
# R025: "top tenderers" have at least the 75th percentile of valid bids.
R025_PERCENTILE = 75
# R048: CPV divisions (two digits) counted per supplier.
R048_DIGITS = 2
# The Tukey fences of R024, R058 and R038: Q1 - 1.5 IQR and Q3 + 1.5 IQR.
IQR_FACTOR = 1.5


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Promise
    rule: Promise
    scope: str  # "tender", "lot", "buyer" or "supplier"
    after_opening: bool
    params: tuple = ()  # the thresholds the rule's text names

    def rule_text(self) -> str:
        """The rule in the active language, its thresholds filled in (a
        threshold named by a string is the setting of that name)."""
        if not self.params:
            return str(self.rule)
        from django.conf import settings
        values = {k: getattr(settings, f"PROCUREMENT_FLAGS_{v}") if isinstance(v, str) else v for k, v in self.params}
        return str(self.rule) % values


INDICATORS = [
    Indicator("R003", _("Short submission period"),
              _("The time from publication to the submission deadline is under %(days)s whole days."),
              "tender", False, (("days", R003_MIN_DAYS),)),
    Indicator("R018", _("Single bid received"),
              _("Only one tenderer bid on this open, competitive lot."), "lot", True),
    Indicator("R024", _("Price close to the winning bid"),
              _("The second-lowest valid bid is above the winning bid by a relative difference at or "
                "below the market's lower fence (Q1 − 1.5 × IQR of the differences on the platform's "
                "finished lots, lowest-price awards)."), "lot", True),
    Indicator("R025", _("Excessive unsuccessful bids"),
              _("A supplier among the top quarter by valid bids wins a share of them at or below the lower "
                "fence (Q1 − 1.5 × IQR of all suppliers' win shares), on lots with an award."),
              "supplier", True),
    Indicator("R028", _("Identical bid prices"),
              _("Different tenderers offered exactly the same price on this lot."), "lot", True),
    Indicator("R035", _("All except the winning bid disqualified"),
              _("Only the winner's bid is valid and at least %(n)s other tenderer was disqualified."),
              "lot", True, (("n", R035_MIN_DISQUALIFIED),)),
    Indicator("R036", _("Lowest bid disqualified"),
              _("On a lowest-price award, the lowest bid was disqualified and another bid awarded."),
              "lot", True),
    Indicator("R038", _("High disqualification ratio"),
              _("The share of bids the buyer disqualified is at or above the upper fence (Q3 + 1.5 × IQR "
                "of all buyers' shares; buyers with at least %(n)s tenders that received bids)."),
              "buyer", True, (("n", R038_MIN_TENDERS),)),
    Indicator("R048", _("Heterogeneous supplier"),
              _("A supplier's awards span a number of CPV divisions at or above the upper fence (Q3 + 1.5 × IQR "
                "of the numbers of suppliers awarded on at least %(n)s tenders)."),
              "supplier", True, (("n", "R048_MIN_PROCESSES"),)),
    Indicator("R058", _("Heavily discounted bid"),
              _("The winning bid is below the second-lowest valid bid by a relative difference at or "
                "above the market's upper fence (Q3 + 1.5 × IQR of the differences on the platform's "
                "finished lots, lowest-price awards)."), "lot", True),
]

BY_CODE = {indicator.code: indicator for indicator in INDICATORS}
CODES = list(BY_CODE)
# Raised on a tender or a lot, stored as Flag rows (R038 is the buyer's, R025 and R048 a supplier's).
TENDER_CODES = [i.code for i in INDICATORS if i.scope in ("tender", "lot")]
