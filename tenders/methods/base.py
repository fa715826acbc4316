"""What every procurement method declares (DESIGN.md "Procurement methods").

A method is data and policies, not behaviour spread through the apps: the
tender services ask it which terms a draft may have and how long its
submission period must be; the bid services ask it who may bid; the
clarifications ask whether questions are allowed; the evaluation (an app
above this one) reads its declared policies — whether a committee scores,
how the award proposal is found, who may complain — and implements each
policy once (``evaluation.services``), whatever method declares it. The
open data read its OCDS fields here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings

from core.errors import Invalid

from ..models import AwardMethod

# How the award proposal of a lot is found after the opening (evaluation.services):
# RANKING: every opened offer gets a qualification decision, qualified ones are
# ranked (lowest price, or committee scores for best value), the officer awards.
RANKING = "ranking"
# LOWEST_IN_TURN: the lowest offer not disqualified is the award proposal; the
# officer checks its qualification alone; disqualifying it moves the next
# lowest up by itself (audited, live).
LOWEST_IN_TURN = "lowest_in_turn"

# Who may complain about an award during its standstill.
BIDDERS = "bidders"  # a supplier whose bid on the lot was opened and lost
ANY_SUPPLIER = "any_supplier"  # any supplier registered on the platform (the ground itself may be unlawful)

# The draft fields only some methods take (their owner names them in ``takes``).
OPTIONAL_FIELDS = ("named_supplier", "ground", "justification", "failed_tender", "failed_lot")


class ProcurementMethod:
    name: ClassVar[str]
    label: ClassVar[Any]  # its name, translated
    summary: ClassVar[Any]  # what it means for a bidder, translated
    ocds_method: ClassVar[str] = "open"  # OCDS tender.procurementMethod
    ocds_details: ClassVar[str]  # OCDS tender.procurementMethodDetails
    award_methods: ClassVar[frozenset[str]] = frozenset(AwardMethod.values)
    committee: ClassVar[bool] = True  # an evaluation committee declares and scores
    questions: ClassVar[bool] = True  # suppliers may ask clarification questions
    proposal: ClassVar[str] = RANKING
    complaints_by: ClassVar[str] = BIDDERS
    min_period_setting: ClassVar[str] = "PROCUREMENT_MIN_SUBMISSION_PERIOD"
    limit_setting: ClassVar[str | None] = None  # the largest estimated amount it may be used for
    limit_code: ClassVar[str] = ""  # the code of the 400 above it
    takes: ClassVar[frozenset[str]] = frozenset()  # which OPTIONAL_FIELDS a draft of it has
    # The integrity indicators (integrity/rules.py): suppliers compete for it (a
    # single bid, shared prices, disqualifications are signals), and its
    # submission period is the buyer's choice above a minimum (a short one is).
    competitive: ClassVar[bool] = True
    period_chosen_by_buyer: ClassVar[bool] = True
    lot_step: ClassVar[bool] = False  # its lots state a minimal_step (the auction)
    # After every offer of a lot is admitted or rejected, the admitted ones
    # meet in a live auction (``auctions``) whose final prices rank them.
    auction: ClassVar[bool] = False

    def min_period(self) -> int:
        """Seconds from publication to the earliest submission deadline."""
        return getattr(settings, self.min_period_setting)

    def limit(self) -> Decimal | None:
        return None if self.limit_setting is None else Decimal(getattr(settings, self.limit_setting))

    def check_terms(self, values: dict[str, Any], criteria: list[dict], *, buyer_id: int) -> None:
        """The method's own rules on a draft's terms (on create, edit and
        publish); the shared rules are ``tenders.services._validate_terms``."""
        if values["award_method"] not in self.award_methods:
            raise Invalid(f"A {self.name} tender is awarded on {' or '.join(sorted(self.award_methods))}.",
                          code="award_method_not_allowed", field="award_method")
        for field in OPTIONAL_FIELDS:
            if field not in self.takes and values.get(field) not in (None, ""):
                raise Invalid(f"A {self.name} tender has no {input_name(field)}.", code="field_not_allowed",
                              field=input_name(field))
        limit = self.limit()
        if limit is not None and values["estimated_amount"] > limit:
            raise Invalid(f"A {self.name} tender is for an estimated amount of at most {limit:.2f} KZT.",
                          code=self.limit_code, field="estimated_amount", limit=f"{limit:.2f}")

    def check_lots(self, steps: list[tuple[Decimal, Decimal | None]]) -> None:
        """The method's rules on its lots: each lot's (estimated amount,
        ``minimal_step``). Only the auction takes a step."""
        for i, (_, step) in enumerate(steps):
            if step is not None:
                raise Invalid(f"A {self.name} tender's lots have no minimal_step.", code="field_not_allowed",
                              field=step_field(i, len(steps)))

    def check_bidder(self, tender, organisation_id: int) -> None:
        """Refuse (403) a supplier that may not bid on this tender."""

    def audit_terms(self, tender) -> dict[str, Any]:
        """What the publication's audit entry and live event say about the method."""
        return {"method": self.name}

    def ocds(self, tender) -> dict[str, str]:
        """The OCDS tender fields that describe the method."""
        return {"procurementMethod": self.ocds_method, "procurementMethodDetails": self.ocds_details}


def step_field(position: int, lot_count: int) -> str:
    """The API's name of a lot's ``minimal_step`` (the flat field for a single lot)."""
    return "minimal_step" if lot_count == 1 else f"lots.{position}.minimal_step"


def input_name(field: str) -> str:
    """The API's name of a stored field (``named_supplier`` is sent as ``supplier``)."""
    return {"named_supplier": "supplier", "failed_tender": "failed", "failed_lot": "failed"}.get(field, field)
