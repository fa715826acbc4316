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
    "flag_invalid": _("Give an indicator id such as R018."),
    "format_invalid": _("Give format=json or format=csv."),
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
    "already_declared": _("You have already filed your declaration for this tender."),
    "already_published": _("This tender is already published."),
    "amendment_empty": _("The amendment changes nothing."),
    "answer_closed": _("Answers are given while the tender accepts bids."),
    "answer_empty": _("An answer needs some text."),
    "bid_exists": _("Your organisation already has a bid on this tender: replace it instead."),
    "bid_not_qualified": _("This bid is not qualified."),
    "bulk_not_ready": _("The daily bulk file has not been written yet."),
    "buyer_unknown": _("No such buyer."),
    "clarification_after_submission": _("The clarification deadline must come before the submission deadline."),
    "clarification_deadline_past": _("The clarification deadline is in the past."),
    "complaint_not_open": _("This complaint is already resolved."),
    "criteria_duplicate": _("Two criteria have the same name."),
    "criteria_not_allowed": _("A lowest-price tender has no quality criteria."),
    "criteria_required": _("A best-value tender needs at least one quality criterion."),
    "currency_unknown": _("This is not a known currency code (ISO 4217)."),
    "deadline_earlier": _("An amendment cannot bring the submission deadline forward."),
    "document_type_unknown": _("This document type is not known."),
    "evaluator_not_of_buyer": _("Evaluators are officers of the tender's buyer."),
    "idempotency_conflict": _("A request with this Idempotency-Key is still being handled; try again."),
    "invalid_cursor": _("This is not a cursor from the feed's links."),
    "invalid_page_size": _("The page size is a whole number of at least 1."),
    "invalid_state": _("This is not possible at the tender's current stage."),
    "invalid_transition": _("The tender cannot move to that stage from its current one."),
    "justification_required": _("Awarding a bid that is not ranked first needs a written justification."),
    "language_unknown": _("A tender's language is kk, ru or en."),
    "lot_invalid": _("A lot is named by its id."),
    "no_releases": _("No releases after this point yet."),
    "not_active": _("This is possible only while the tender is active."),
    "not_awarded": _("This is possible only after an award, during the standstill."),
    "not_draft": _("Only a draft can be edited; amend an active tender instead."),
    "not_evaluator": _("You are not on this tender's evaluation committee."),
    "not_in_evaluation": _("This is possible only during the evaluation."),
    "not_your_tender": _("This tender belongs to another buyer."),
    "nothing_to_score": _("A lowest-price tender is ranked by price alone; there is nothing to score."),
    "points_out_of_range": _("Points run from 0 to the criterion's weight."),
    "points_precision": _("Points have at most two decimals."),
    "points_required": _("Give points for every criterion."),
    "price_weight_required": _("A best-value tender states its price weight."),
    "qualification_incomplete": _("Every opened bid needs a qualification decision before the award."),
    "reason_required": _("Give a reason: it will be public."),
    "resolution_required": _("A decision needs its text."),
    "scores_invalid": _("Scores are an object of criterion ids and points."),
    "scoring_incomplete": _("No evaluator has declared and scored yet."),
    "sealed": _("Bid documents are sealed until the opening."),
    "standstill_over": _("The standstill period is over."),
    "submission_period_too_short": _("The submission deadline is too soon: the platform's minimum period applies."),
    "unknown_criterion": _("No such criterion on this tender."),
    "award_method_not_allowed": _("This procurement method does not allow this award method."),
    "committee_not_used": _("This procurement method has no evaluation committee: the officer decides."),
    "failed_invalid": _("The failed procurement must be your own unsuccessful tender or lot."),
    "failed_required": _("The ground failed_procurement names your unsuccessful tender or lot."),
    "field_not_allowed": _("This procurement method does not take this field."),
    "ground_required": _("A single-source purchase states its ground."),
    "ground_justification_required": _("A single-source purchase states its public justification."),
    "method_fixed": _("The procurement method is fixed at publication."),
    "method_unavailable": _("This procurement method is not available on the platform yet."),
    "method_unknown": _("This is not a procurement method."),
    "not_award_proposal": _("Only the award proposal (the lowest offer not disqualified) is checked now."),
    # the live auction (issue 20)
    "minimal_step_required": _("Each lot of an auction states its minimal step."),
    "minimal_step_invalid": _("The minimal step is 0.5–3 % of the lot's estimated amount."),
    "no_auction": _("This lot has no auction yet: it is scheduled once every offer is admitted or rejected."),
    "not_a_participant": _("Only an admitted bidder on this lot takes part in its auction."),
    "not_your_turn": _("It is not your turn: wait for your turn to lower your price."),
    "auction_finished": _("The auction has finished: prices are no longer accepted."),
    "step_too_small": _("Lower your price by at least the minimal step."),
    "price_raised": _("A price may only go down."),
    "auction_scheduled": _("The lot's auction is scheduled: admissions are fixed until it ends."),
    "auction_not_finished": _("The lot is awarded after its auction has finished."),
    "not_named_supplier": _("Only the supplier named by the buyer may bid on this single-source purchase."),
    "questions_not_allowed": _("This procurement method takes no questions."),
    "quotation_over_limit": _("A request for price quotations is only for purchases up to the platform's limit."),
    "supplier_not_a_supplier": _("The organisation named is not a supplier."),
    "supplier_required": _("A single-source purchase names its supplier by BIN."),
    "supplier_unknown": _("No organisation with this BIN is registered on the platform."),
    "server_error": _("The server failed to handle this request; it has been logged."),
    # account recovery (issue 23)
    "reset_link_invalid": _("This password reset link is not valid: it was used, it expired or it is incomplete. "
                            "Ask for a new one."),
    "wrong_password": _("Your current password is wrong."),
    "confirmation_link_invalid": _("This confirmation link is not valid: it was used, it expired, or the address "
                                   "changed since. Ask for a new one from your account page."),
    "no_email": _("Your account has no e-mail address."),
    "email_already_confirmed": _("Your e-mail address is already confirmed."),
}


# Codes whose detail is written in the request's language where it is raised:
# password_too_weak carries Django's password validators' own messages
# (Django's catalogues; ours for Kazakh, which Django leaves untranslated).
LOCALISED_AT_SOURCE = frozenset({"password_too_weak"})


def localise(code: str, detail: str) -> str:
    """``detail`` in the active language: the specific English text for
    English, the code's translated text otherwise (English when none)."""
    if (get_language() or "en").startswith("en") or code not in TEXTS:
        return detail
    return str(TEXTS[code])
