from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden, Invalid

from ..models import AwardMethod, Ground, LotStatus, Status
from .base import ANY_SUPPLIER, LOWEST_IN_TURN, ProcurementMethod


class SingleSource(ProcurementMethod):
    """A direct award: the draft names the supplier (by BIN), the lawful
    ground and a public justification; only that supplier bids (sealed and
    receipted like any bid); no questions; the officer checks and awards its
    offer; any registered supplier may complain during the standstill that
    the ground is unlawful."""

    name = "single_source"
    label = _("Single source")
    summary = _("No competition: only the supplier the buyer names may submit an offer, on the ground and "
                "with the justification published here. Any registered supplier may complain during the "
                "standstill that the ground is unlawful.")
    ocds_method = "direct"
    ocds_details = "Single source (direct award)"
    award_methods = frozenset({AwardMethod.LOWEST_PRICE})
    committee = False
    questions = False
    competitive = False  # one named supplier: a single bid is the method, not a signal
    period_chosen_by_buyer = False
    proposal = LOWEST_IN_TURN  # its one offer is the proposal: checked, then awarded
    complaints_by = ANY_SUPPLIER
    min_period_setting = "PROCUREMENT_MIN_QUOTATION_PERIOD"
    takes = frozenset({"named_supplier", "ground", "justification", "failed_tender", "failed_lot"})

    def check_terms(self, values, criteria, *, buyer_id):
        super().check_terms(values, criteria, buyer_id=buyer_id)
        supplier = values.get("named_supplier")
        if supplier is None:
            raise Invalid("A single-source tender names its supplier by BIN.", code="supplier_required",
                          field="supplier")
        if not supplier.is_supplier:
            raise Invalid(f"{supplier.name} is not a supplier organisation.", code="supplier_not_a_supplier",
                          field="supplier")
        if not values.get("ground"):
            raise Invalid("A single-source tender states its ground.", code="ground_required", field="ground")
        if not (values.get("justification") or "").strip():
            raise Invalid("A single-source tender states its public justification.",
                          code="ground_justification_required", field="justification")
        if values.get("min_bids", 1) != 1:
            raise Invalid("A single-source tender has one bidder.", code="field_not_allowed", field="min_bids")
        self._check_failed(values, buyer_id)

    @staticmethod
    def _check_failed(values, buyer_id):
        failed, lot = values.get("failed_tender"), values.get("failed_lot")
        if values["ground"] != Ground.FAILED_PROCUREMENT:
            if failed is not None or lot is not None:
                raise Invalid("Only the ground failed_procurement names a failed tender.",
                              code="field_not_allowed", field="failed")
            return
        if failed is None:
            raise Invalid("The ground failed_procurement names the buyer's unsuccessful tender or lot.",
                          code="failed_required", field="failed")
        if failed.buyer_id != buyer_id:
            raise Invalid("The failed procurement must be one of your own tenders.", code="failed_invalid",
                          field="failed")
        if lot is not None:
            if lot.tender_id != failed.pk or lot.status != LotStatus.UNSUCCESSFUL:
                raise Invalid("The failed lot must be an unsuccessful lot of the tender named.",
                              code="failed_invalid", field="failed")
        elif failed.status != Status.UNSUCCESSFUL:
            raise Invalid("The failed tender must be unsuccessful (or name its unsuccessful lot).",
                          code="failed_invalid", field="failed")

    def check_bidder(self, tender, organisation_id):
        if organisation_id != tender.named_supplier_id:
            raise Forbidden("Only the supplier this single-source tender names may bid.",
                            code="not_named_supplier")

    def audit_terms(self, tender):
        return {"method": self.name, "ground": tender.ground, "justification": tender.justification,
                "supplier": tender.named_supplier_id, "failed_tender": tender.failed_tender_id,
                "failed_lot": tender.failed_lot_id}

    def ocds(self, tender):
        rationale = f"{tender.ground}: {tender.justification}"
        if tender.failed_tender_id is not None:
            rationale += f" (after the unsuccessful tender {tender.failed_tender_id}" + (
                f", lot {tender.failed_lot_id})" if tender.failed_lot_id else ")")
        return {**super().ocds(tender), "procurementMethodRationale": rationale}
