"""Interface words shared by the templates (the scripts have the same msgids
in their own catalogue, djangojs)."""


from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from integrity.indicators import INDICATORS

from .templatetags.frontend import money

STATUSES = {
    "draft": pgettext_lazy("tender status", "draft"),
    "active": pgettext_lazy("tender status", "accepting bids"),
    "evaluation": pgettext_lazy("tender status", "evaluation"),
    "awarded": pgettext_lazy("tender status", "awarded"),
    "complete": pgettext_lazy("tender status", "complete"),
    "unsuccessful": pgettext_lazy("tender status", "unsuccessful"),
    "cancelled": pgettext_lazy("tender status", "cancelled"),
}

# The terms an amendment can change (tenders.services.AMENDABLE_FIELDS), as
# the officer's form names them.
AMENDED_FIELDS = {
    "title": _("Title"),
    "description": _("Description"),
    "estimated_amount": _("Estimated value"),
    "clarification_deadline": _("Deadline for questions"),
    "submission_deadline": _("Submission deadline"),
}

ORDERINGS = [
    ("", _("Newest first")),
    ("submission_deadline", _("Deadline, soonest first")),
    ("-submission_deadline", _("Deadline, latest first")),
    ("-estimated_amount", _("Value, highest first")),
    ("estimated_amount", _("Value, lowest first")),
    ("-bid_count", _("Most bids first")),
    ("title", _("Title, A to Z")),
]



# The lawful grounds of a single-source purchase (tenders.models.Ground).
GROUNDS = {
    "emergency": _("Emergency"),
    "sole_supplier": _("Only one supplier can deliver"),
    "failed_procurement": _("A procurement that failed"),
    "continuation": _("Continuation of an earlier purchase"),
}

AWARD_METHODS = {
    "lowest_price": _("Lowest price"),
    "best_value": _("Best value: price and quality criteria"),
}


# The figures a red flag names (integrity.serializers.FlagOut.figures), as the
# tender page's "Risk indicators" section labels them.
FIGURES = {
    "days": _("Whole days from publication to the deadline"),
    "threshold": _("Threshold"),
    "tenderers": _("Tenderers"),
    "winning": _("Winning bid"),
    "second": _("Second-lowest valid bid"),
    "difference": _("Difference"),
    "prices": _("Prices offered by more than one tenderer"),
    "disqualified": _("Disqualified"),
    "lowest": _("Lowest bid"),
    "ratio": _("Share of bids disqualified by the buyer"),
    "offers": _("Bids received by the buyer"),
    "upper_fence": _("Upper fence"),
    "lower_fence": _("Lower fence"),
}
PERCENT_FIGURES = {"difference", "ratio", "upper_fence", "lower_fence"}
MONEY_FIGURES = {"winning", "second", "lowest"}


def flag_choices() -> list[tuple[str, str]]:
    """The register's "Red flag" filter: the indicators raised on tenders and lots."""
    return [(i.code, f"{i.code} {i.name}") for i in INDICATORS if i.scope in ("tender", "lot")]


def _figure_text(key: str, value, currency: str) -> str:

    if key in MONEY_FIGURES:
        return money(value, currency)
    if key == "prices":
        return ", ".join(money(v, currency) for v in value)
    if key in PERCENT_FIGURES:
        return f"{number_format(Decimal(value) * 100, 2)} %"
    return str(value)


def risk_section(body: dict | None, currency: str) -> dict | None:
    """The tender flags API's answer, each flag's figures as (label, text)
    pairs in the page's language, R024/R058 with the market fence in force."""
    if not body or "flags" not in body:
        return None
    market = body["market"]
    flags = []
    for flag in body["flags"]:
        figures = dict(flag["figures"])
        if flag["code"] == "R024":
            figures["lower_fence"] = market["lower_fence"]
        elif flag["code"] == "R058":
            figures["upper_fence"] = market["upper_fence"]
        flags.append({**flag, "figure_rows": [(str(FIGURES.get(k, k)), _figure_text(k, v, currency))
                                              for k, v in figures.items() if v is not None]})
    return {**body, "flags": flags}
