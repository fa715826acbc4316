"""Interface words shared by the templates (the scripts have the same msgids
in their own catalogue, djangojs)."""


from django.utils.translation import gettext_lazy as _, pgettext_lazy

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
