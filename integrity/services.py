"""Red flags kept live: ``record`` runs in the transaction of each audit
event that can change a tender's flags (``PROCUREMENT_AUDIT_RECORDERS``),
recomputes that tender's rows from the facts public at that moment, and,
when a lot's price gap changed, the market's R024/R058 fences and the flags
that depend on them. ``recompute_all`` (the ``recompute_flags`` command) runs
the same functions over every tender."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from auctions.models import AuctionStatus, Participant
from bids.models import Bid, Offer
from evaluation.models import Award, Qualification
from tenders import methods
from tenders.models import AwardMethod, Lot, Tender

from . import rules
from .models import Flag, MarketFence, PriceGap, TenderFigures

# The audit events after which a tender's flags may differ. A bid's
# submission is not one: before the opening only the count is public, and
# no indicator is computed from it.
EVENTS = frozenset({
    "tender_published", "tender_amended", "tender_cancelled", "bids_opened", "bid_qualified",
    "bid_disqualified", "lot_unsuccessful", "tender_unsuccessful", "lot_awarded", "tender_awarded",
    "award_annulled", "lot_completed", "tender_completed", "lot_cancelled", "auction_finished",
})


def record(tender: Tender, entry) -> None:
    """The audit recorder: recompute ``tender``'s flags after ``entry``'s event."""
    if entry.event in EVENTS and tender.published_at is not None:
        recompute(tender.pk)


def min_market_lots() -> int:
    return settings.PROCUREMENT_FLAGS_MIN_MARKET_LOTS


def load_facts(tender_ids: Iterable[int]) -> dict[int, rules.TenderFacts]:
    """The public facts of these tenders, in five queries whatever their
    number. Offers and decisions are read only for opened tenders (an
    offer row exists only from the opening on)."""
    ids = list(tender_ids)
    facts: dict[int, rules.TenderFacts] = {}
    for row in Tender.objects.filter(pk__in=ids).values(
            "pk", "buyer_id", "published_at", "submission_deadline", "award_method", "opened_at", "lot_count",
            "method"):
        method = methods.get(row["method"])
        facts[row["pk"]] = rules.TenderFacts(
            tender=row["pk"], buyer=row["buyer_id"], published_at=row["published_at"],
            submission_deadline=row["submission_deadline"], lowest_price=row["award_method"] == AwardMethod.LOWEST_PRICE,
            opened=row["opened_at"] is not None, competitive=method.competitive,
            period_chosen_by_buyer=method.period_chosen_by_buyer)
    opened = [pk for pk, f in facts.items() if f.opened]
    if not opened:
        return facts
    lots: dict[int, rules.LotFacts] = {}
    first_lot: dict[int, rules.LotFacts] = {}
    for lot_id, tender_id in Lot.objects.filter(tender_id__in=opened).order_by("tender_id", "position", "pk") \
            .values_list("pk", "tender_id"):
        lots[lot_id] = rules.LotFacts(lot=lot_id)
        facts[tender_id].lots.append(lots[lot_id])
        first_lot.setdefault(tender_id, lots[lot_id])
    decisions = dict(((bid, lot), qualified) for bid, lot, qualified in Qualification.objects.filter(
        bid__tender_id__in=opened).values_list("bid_id", "lot_id", "qualified"))
    # A lot's finished auction: its final prices are the offers' prices (what ranks them).
    final = dict(((bid, lot), amount) for bid, lot, amount in Participant.objects.filter(
        auction__tender_id__in=opened, auction__status=AuctionStatus.FINISHED).values_list(
        "bid_id", "auction__lot_id", "final_amount"))
    for bid, lot, supplier, amount in Offer.objects.filter(tender_id__in=opened).order_by("lot_id", "bid_id") \
            .values_list("bid_id", "lot_id", "bid__supplier_id", "amount"):
        amount = final.get((bid, lot), amount)
        lots[lot].offers.append(rules.Offer(bid=bid, supplier=supplier, amount=amount,
                                            qualified=decisions.get((bid, lot))))
    for tender_id in (Bid.objects.filter(tender_id__in=opened, opened_at__isnull=True, status=Bid.Status.SUBMITTED)
                      .exclude(set_aside="").values_list("tender_id", flat=True)):
        if len(facts[tender_id].lots) == 1:  # a set-aside bid's lots are unknown on a multi-lot tender
            first_lot[tender_id].set_aside += 1
    for lot, bid in Award.objects.filter(tender_id__in=opened, status=Award.Status.ACTIVE).values_list(
            "lot_id", "bid_id"):
        lots[lot].awarded_bid = bid
    return facts


def _write(facts: dict[int, rules.TenderFacts], outcomes: dict[int, rules.Outcome]) -> bool:
    """Replace these tenders' flags (but R024/R058), figures and price
    gaps with ``outcomes``. True when a price gap changed."""
    ids = list(facts)
    Flag.objects.filter(tender_id__in=ids).exclude(code__in=MARKET_CODES).delete()
    Flag.objects.bulk_create([Flag(tender_id=t, lot_id=f.lot, buyer_id=facts[t].buyer, code=f.code, figures=f.figures)
                              for t, o in outcomes.items() for f in o.flags], batch_size=2000)
    published = [t for t in ids if facts[t].published_at is not None]
    TenderFigures.objects.bulk_create(
        [TenderFigures(tender_id=t, buyer_id=facts[t].buyer, published_at=facts[t].published_at,
                       offers=outcomes[t].offers, disqualified=outcomes[t].disqualified) for t in published],
        update_conflicts=True, unique_fields=["tender"], update_fields=["buyer", "published_at", "offers",
                                                                          "disqualified"], batch_size=2000)
    before = {(g.lot_id, g.winning, g.second, g.gap) for g in PriceGap.objects.filter(tender_id__in=ids)}
    after = {(g.lot, g.winning, g.second, g.gap) for t, o in outcomes.items() for g in o.gaps}
    if before == after:
        return False
    _lock_fence()  # before touching any R024/R058 row: sync_market, holding it, touches them all
    PriceGap.objects.filter(tender_id__in=ids).delete()
    Flag.objects.filter(tender_id__in=ids, code__in=MARKET_CODES).delete()  # sync_market raises them anew
    lot_tender = {g.lot: t for t, o in outcomes.items() for g in o.gaps}
    PriceGap.objects.bulk_create([PriceGap(lot_id=lot, tender_id=lot_tender[lot], buyer_id=facts[lot_tender[lot]].buyer,
                                           winning=w, second=s, gap=g) for lot, w, s, g in after], batch_size=2000)
    return True


MARKET_CODES = ("R024", "R058")


@transaction.atomic
def recompute(tender_id: int) -> None:
    """One tender's flags from its facts now (its row locked by the caller's event)."""
    facts = load_facts([tender_id])
    if _write(facts, {t: rules.evaluate(f) for t, f in facts.items()}):
        sync_market()


def _lock_fence() -> None:
    """The fence row, locked until the transaction ends (made on first use).
    Whoever changes price gaps or R024/R058 rows takes it first, so two
    transactions never wait for each other's rows in opposite orders."""
    MarketFence.objects.get_or_create(pk=1)
    MarketFence.objects.select_for_update().get(pk=1)


def sync_market() -> rules.Fences:
    """Recompute the R024/R058 fences from every price gap, under the fence
    row's lock, and make the two indicators' flags match them: a lot's flag
    is raised, or lowered, by another lot's award when the fence moves."""
    _lock_fence()
    f = rules.fences(list(PriceGap.objects.values_list("gap", flat=True)), minimum=min_market_lots())
    MarketFence.objects.filter(pk=1).update(lots=f.count, q1=f.q1, q3=f.q3, lower=f.lower, upper=f.upper)
    # Each fence is used only when usable (rules.r024_applies, rules.r058_applies): then a gap at the
    # fence or beyond raises the flag, the same comparison in SQL.
    for code, bound, lookup in (("R024", f.lower, "lte"), ("R058", f.upper, "gte")):
        usable = bound is not None and (rules.r024_applies if code == "R024" else rules.r058_applies)(bound, f)
        raised = PriceGap.objects.filter(**{f"gap__{lookup}": bound}) if usable else PriceGap.objects.none()
        Flag.objects.filter(code=code).exclude(lot_id__in=raised.values("lot_id")).delete()
        new = raised.exclude(lot_id__in=Flag.objects.filter(code=code).values("lot_id"))
        Flag.objects.bulk_create([Flag(tender_id=g.tender_id, lot_id=g.lot_id, buyer_id=g.buyer_id, code=code,
                                       figures=_gap_figures(g)) for g in new], batch_size=2000)
    return f


def _gap_figures(gap: PriceGap) -> dict:
    return {"winning": rules.money(gap.winning), "second": rules.money(gap.second), "difference": str(gap.gap)}


def current_fences() -> rules.Fences:
    row = MarketFence.objects.filter(pk=1).first()
    if row is None:
        return rules.Fences(count=0)
    return rules.Fences(count=row.lots, q1=row.q1, q3=row.q3, lower=row.lower, upper=row.upper)


def recompute_all(*, chunk: int = 1000) -> int:
    """Every published tender's flags, figures and gaps from scratch, then
    the market's fences: the same rows the live events left (for a changed
    rule, or a check). Returns the number of tenders."""
    ids = list(Tender.objects.exclude(published_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        Flag.objects.all().delete()
        PriceGap.objects.all().delete()
        TenderFigures.objects.all().delete()
        for start in range(0, len(ids), chunk):
            facts = load_facts(ids[start:start + chunk])
            _write(facts, {t: rules.evaluate(f) for t, f in facts.items()})
        sync_market()
    return len(ids)
