"""The procurement methods, one class each, looked up by name
(DESIGN.md "Procurement methods"; README "Procurement methods" says how to
add one). A name in ``tenders.models.Method`` without a class here would be a
method the platform does not run yet: a draft asking for it is refused
with 400 ``method_unavailable``."""

from core.errors import Invalid

from ..models import Method
from .auction import Auction
from .base import ANY_SUPPLIER, BIDDERS, LOWEST_IN_TURN, OPTIONAL_FIELDS, RANKING, ProcurementMethod, input_name
from .open_tender import OpenTender
from .price_quotation import PriceQuotation
from .single_source import SingleSource

REGISTRY: dict[str, ProcurementMethod] = {m.name: m for m in (OpenTender(), PriceQuotation(), Auction(), SingleSource())}

__all__ = ["ANY_SUPPLIER", "BIDDERS", "LOWEST_IN_TURN", "OPTIONAL_FIELDS", "RANKING", "REGISTRY",
           "ProcurementMethod", "available", "get", "input_name", "of"]


def get(name: str) -> ProcurementMethod:
    """The method called ``name``, or a 400 for one the platform does not run."""
    method = REGISTRY.get(name)
    if method is None:
        known = name in Method.values
        raise Invalid(f"The method {name} is not available on this platform yet." if known
                      else f"{name} is not a procurement method.",
                      code="method_unavailable" if known else "method_unknown", field="method")
    return method


def of(tender) -> ProcurementMethod:
    """The method of a stored tender (only an available one can be stored)."""
    return REGISTRY[tender.method]


def available() -> list[ProcurementMethod]:
    return list(REGISTRY.values())
