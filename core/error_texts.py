"""The human ``detail`` of API errors in the request's language.

A domain error's English ``detail`` is written where it is raised and may
name values (a date, a code); its translation is looked up here by the
error's stable ``code``, so that raising code stays as it is. English
requests keep the specific English text; a code without an entry here keeps
English in every language."""

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

TEXTS = {
    "already_answered": _("This question is already answered."),
    "already_registered": _("This organisation or username is already registered."),
    "already_subscribed": _("Your organisation already has this subscription."),
    "already_withdrawn": _("This bid is already withdrawn."),
    "amount_invalid": _("The price must be positive."),
    "answers_invalid": _("Answers are an object keyed by criterion id."),
    "answers_too_long": _("Answers are too long."),
    "bid_withdrawn": _("A withdrawn bid cannot be confirmed; submit it again."),
    "clarification_closed": _("The clarification deadline has passed: questions are closed."),
    "complaint_open": _("Your organisation already has an open complaint on this tender."),
    "confirmation_not_needed": _("This bid needs no confirmation."),
    "conflict_declaration_required": _("File your conflict-of-interest declaration first."),
    "cpv_prefix_invalid": _("Give 2 to 8 digits of a CPV code."),
    "cpv_unknown": _("This is not a CPV 2008 code."),
    "csrf_failed": _("The page's security token is missing or old: reload the page and try again."),
    "currency_mismatch": _("Bids on this tender are in another currency."),
    "deadline_passed": _("The submission deadline has passed: bids are no longer accepted."),
    "document_empty": _("The document is empty."),
    "document_too_large": _("The document is too large."),
    "document_type_not_allowed": _("This type of document is not accepted."),
    "evaluation_not_public": _("The evaluation is public once the tender is awarded."),
    "idempotency_key_reused": _("This request was already sent with different content."),
    "invalid_credentials": _("Unknown username or wrong password."),
    "not_a_bidder": _("Only a bidder whose bid was opened on this tender can complain."),
    "not_accepting_bids": _("This tender does not accept bids."),
    "not_authenticated": _("Please log in first."),
    "not_opened": _("The bids have not been opened yet."),
    "not_found": _("Not found."),
    "permission_denied": _("You do not have permission to do this."),
    "question_empty": _("A question needs some text."),
    "suppliers_only": _("Only a supplier asks questions."),
    "tax_id_checksum": _("This BIN's check digit is wrong: please check the number."),
    "tax_id_format": _("A tax id (BIN) is exactly 12 digits."),
    "tax_id_invalid": _("This BIN is not valid."),
    "tax_id_taken": _("An organisation with this tax id is already registered."),
    "text_required": _("A complaint states its grounds."),
    "throttled": _("Too many attempts; try again later."),
    "username_taken": _("This username is taken."),
    "winner_cannot_complain": _("The winning bidder cannot complain about its own award."),
    # lots (issue 15)
    "estimated_amount_required": _("A tender without lots states its estimated amount."),
    "lots_required": _("This tender has several lots: give your offers by lot."),
    "unknown_lot": _("No such lot on this tender."),
    "lots_invalid": _("The offers by lot are not valid."),
    "amount_or_lots": _("Give either a price or offers by lot."),
    "lot_required": _("This tender has several lots: name the lot."),
    "lots_amount_mismatch": _("A tender's estimated amount is the sum of its lots."),
    "too_many_lots": _("A tender has at most 200 lots."),
    "criterion_lot_unknown": _("A criterion names a lot the tender does not have."),
    "quantity_invalid": _("The quantity must be positive."),
    "server_error": _("The server failed to handle this request; it has been logged."),
}


def localise(code: str, detail: str) -> str:
    """``detail`` in the active language: the specific English text for
    English, the code's translated text otherwise (English when none)."""
    if (get_language() or "en").startswith("en") or code not in TEXTS:
        return detail
    return str(TEXTS[code])
