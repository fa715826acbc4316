"""The public reads of the red flags: a tender's flags with their rules and
figures, and the figures per buyer (tenders, the share flagged per
indicator, the monthly trend, R038). All of it is public: flags are
computed from data public at the moment they are raised."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils.translation import gettext as _

from accounts.models import Organisation
from evaluation.models import Award, Qualification
from tenders.models import Tender

from . import rules, services
from .indicators import BY_CODE, INDICATORS, R038_MIN_TENDERS, R048_DIGITS, TENDER_CODES
from .models import Flag, TenderFigures

SHARE = Decimal("0.0001")


def share(part: int, whole: int) -> str | None:
    return str((Decimal(part) / Decimal(whole)).quantize(SHARE, rounding=ROUND_HALF_EVEN)) if whole else None


def fence_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def indicators() -> list[dict]:
    return [{"code": i.code, "name": str(i.name), "rule": i.rule_text(), "scope": i.scope,
             "after_opening": i.after_opening} for i in INDICATORS]


def market() -> dict:
    f = services.current_fences()
    return {"lots": f.count, "minimum": services.min_market_lots(), "q1": fence_text(f.q1),
            "q3": fence_text(f.q3), "lower_fence": fence_text(f.lower), "upper_fence": fence_text(f.upper)}


@dataclass
class BuyerRow:
    buyer: int
    name: str
    tenders: int = 0
    with_bids: int = 0
    offers: int = 0
    disqualified: int = 0
    flagged: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    trend: list[dict] = field(default_factory=list)

    @property
    def ratio(self) -> Decimal | None:
        if self.with_bids < R038_MIN_TENDERS or not self.offers:
            return None
        return (Decimal(self.disqualified) / Decimal(self.offers)).quantize(rules.PLACES, rounding=ROUND_HALF_EVEN)


def _buyer_rows() -> dict[int, BuyerRow]:
    figures = TenderFigures.objects.all()
    return {r["buyer_id"]: BuyerRow(buyer=r["buyer_id"], name=r["buyer__name"], tenders=r["tenders"],
                                    with_bids=r["with_bids"], offers=r["offers"] or 0,
                                    disqualified=r["disqualified"] or 0)
            for r in figures.values("buyer_id", "buyer__name").annotate(
                tenders=Count("pk"), with_bids=Count("pk", filter=Q(offers__gt=0)), offers=Sum("offers"),
                disqualified=Sum("disqualified")).order_by()}


def buyer_fence(rows: dict[int, BuyerRow]) -> rules.Fences:
    """R038's upper fence over every buyer's disqualified share (buyers with
    at least R038_MIN_TENDERS tenders that received bids)."""
    ratios = [row.ratio for row in rows.values() if row.ratio is not None]
    return rules.fences(ratios, minimum=settings.PROCUREMENT_FLAGS_MIN_BUYERS)


def buyers_fence_out(f: rules.Fences) -> dict:
    return {"buyers": f.count, "minimum": settings.PROCUREMENT_FLAGS_MIN_BUYERS, "q1": fence_text(f.q1),
            "q3": fence_text(f.q3), "upper_fence": fence_text(f.upper)}


def _r038(row: BuyerRow | None, f: rules.Fences) -> dict | None:
    if row is None or row.ratio is None or not rules.r038_applies(row.ratio, f):
        return None
    return {"ratio": str(row.ratio), "disqualified": row.disqualified, "offers": row.offers,
            "upper_fence": str(f.upper)}


def _flag_out(code: str, lot: int | None, lot_title: str | None, figures: dict) -> dict:
    indicator = BY_CODE[code]
    return {"code": code, "name": str(indicator.name), "rule": indicator.rule_text(), "scope": indicator.scope,
            "lot": lot, "lot_title": lot_title, "figures": figures}


def tender_flags(tender: Tender) -> dict:
    """A published tender's flags (with its buyer's R038, when raised), the
    indicators checked, and the market fences in force."""
    flags = [_flag_out(f.code, f.lot_id, f.lot.title if f.lot_id else None, f.figures)
             for f in Flag.objects.filter(tender=tender).select_related("lot").order_by("code", "lot__position")]
    rows = _buyer_rows()
    f = buyer_fence(rows)
    r038 = _r038(rows.get(tender.buyer_id), f)
    if r038 is not None:
        flags.append(_flag_out("R038", None, None, r038))
    return {"tender": tender.pk, "buyer": {"id": tender.buyer_id, "name": tender.buyer.name},
            "opened": tender.opened_at is not None, "flags": flags, "indicators": indicators(),
            "market": market(), "buyers_fence": buyers_fence_out(f),
            "note": _("A flag is a reason to look closer, not a finding of wrongdoing.")}


def by_buyer() -> dict:
    """Per buyer: published tenders, tenders flagged (any indicator) and
    per indicator (count and share), offers and disqualifications, R038,
    and the trend by month of publication."""
    rows = _buyer_rows()
    for r in Flag.objects.values("buyer_id", "code").annotate(n=Count("tender_id", distinct=True)).order_by():
        if r["buyer_id"] in rows:
            rows[r["buyer_id"]].by_code[r["code"]] = r["n"]
    flagged = Exists(Flag.objects.filter(tender_id=OuterRef("tender_id")))
    for r in (TenderFigures.objects.filter(flagged).values("buyer_id").annotate(n=Count("pk")).order_by()):
        rows[r["buyer_id"]].flagged = r["n"]
    for r in (TenderFigures.objects.annotate(month=TruncMonth("published_at"), flagged=flagged)
              .values("buyer_id", "month").annotate(n=Count("pk"), f=Count("pk", filter=Q(flagged=True)))
              .order_by("buyer_id", "month")):
        rows[r["buyer_id"]].trend.append({"month": r["month"].strftime("%Y-%m"), "tenders": r["n"],
                                          "flagged": r["f"], "share": share(r["f"], r["n"])})
    f = buyer_fence(rows)
    results = []
    for row in sorted(rows.values(), key=lambda r: (-r.tenders, r.name, r.buyer)):
        r038 = _r038(row, f)
        per_code = {code: {"tenders": row.by_code.get(code, 0), "share": share(row.by_code.get(code, 0), row.tenders)}
                    for code in TENDER_CODES}
        results.append({"buyer": row.buyer, "name": row.name, "tenders": row.tenders, "flagged": row.flagged,
                        "flagged_share": share(row.flagged, row.tenders), "indicators": per_code,
                        "offers": row.offers, "disqualified": row.disqualified,
                        "disqualification_ratio": None if row.ratio is None else str(row.ratio),
                        "r038": r038 is not None, "trend": row.trend})
    return {"indicators": indicators(), "market": market(), "buyers_fence": buyers_fence_out(f),
            "suppliers": suppliers(), "note": _("A flag is a reason to look closer, not a finding of wrongdoing."), "results": results}


CSV_HEADER = (["buyer", "name", "tenders", "flagged", "flagged_share"]
              + [f"{code}_{part}" for code in TENDER_CODES for part in ("tenders", "share")]
              + ["offers", "disqualified", "disqualification_ratio", "R038"])


def csv_rows(data: dict) -> list[list]:
    rows = []
    for r in data["results"]:
        rows.append([r["buyer"], r["name"], r["tenders"], r["flagged"], r["flagged_share"]]
                    + [r["indicators"][code][part] for code in TENDER_CODES for part in ("tenders", "share")]
                    + [r["offers"], r["disqualified"], r["disqualification_ratio"] or "", int(r["r038"])])
    return rows


def supplier_facts() -> dict[int, rules.SupplierFacts]:
    """Per supplier, over the lots with an active award: qualified offers,
    awards, the CPV divisions and tenders of its awards (three queries)."""
    active = Award.objects.filter(status=Award.Status.ACTIVE)
    valid = dict(Qualification.objects.filter(qualified=True, lot__awards__status=Award.Status.ACTIVE)
                 .values("bid__supplier_id").annotate(n=Count("pk")).values_list("bid__supplier_id", "n"))
    won = {r["bid__supplier_id"]: r for r in active.annotate(division=Substr("lot__cpv", 1, R048_DIGITS))
           .values("bid__supplier_id").annotate(wins=Count("pk"), divisions=Count("division", distinct=True),
                                                 tenders=Count("tender_id", distinct=True)).order_by()}
    return {s: rules.SupplierFacts(valid_bids=valid.get(s, 0), wins=won.get(s, {}).get("wins", 0),
                                   divisions=won.get(s, {}).get("divisions", 0),
                                   awarded_tenders=won.get(s, {}).get("tenders", 0))
            for s in set(valid) | set(won)}


def _fences_out(f: rules.Fences, fence: Decimal | None) -> dict:
    return {"count": f.count, "q1": fence_text(f.q1), "q3": fence_text(f.q3), "fence": fence_text(fence)}


def suppliers() -> dict:
    """R025 and R048: the fences and the suppliers they raise."""
    facts = supplier_facts()
    minimum = settings.PROCUREMENT_FLAGS_MIN_SUPPLIERS
    top, f025, raised025 = rules.r025(facts, minimum=minimum)
    f048, raised048 = rules.r048(facts, min_processes=settings.PROCUREMENT_FLAGS_R048_MIN_PROCESSES, minimum=minimum)
    names = dict(Organisation.objects.filter(pk__in=raised025 | raised048).values_list("pk", "name"))
    flagged = []
    for s in sorted(raised025 | raised048, key=lambda s: (names[s], s)):
        f = facts[s]
        flagged.append({"supplier": s, "name": names[s], "codes": [c for c, raised in (("R025", raised025),
                                                                                       ("R048", raised048)) if s in raised],
                        "valid_bids": f.valid_bids, "wins": f.wins, "win_share": share(f.wins, f.valid_bids),
                        "divisions": f.divisions, "awarded_tenders": f.awarded_tenders})
    return {"minimum": minimum, "r025_top": fence_text(top), "r025": _fences_out(f025, f025.lower),
            "r048": _fences_out(f048, f048.upper), "flagged": flagged}
