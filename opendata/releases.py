"""OCDS releases, fixed at the event they record.

A release is the state of the contracting process at one moment. It is built
once, inside the transaction of the change it records (``record``, called
from ``audit.append`` for every audited change, which keeps only the events
below), and stored as text that is never rewritten: a later annulment,
qualification or amendment makes a new release and leaves the earlier ones as
they were, byte for byte.

Events that make a release, and their tags (releaseTag codelist):

=====================  =====================  ===================================
audit event            tag                    what changes
=====================  =====================  ===================================
tender_published       tender                 the notice
tender_amended         tenderAmendment        terms, documents, ``amendments``
bids_opened            tenderUpdate           ``bids``, tenderers (sealed until now)
bid_qualified          tenderUpdate           a bid becomes ``valid``
bid_disqualified       tenderUpdate           a bid becomes ``disqualified``
tender_unsuccessful    tenderUpdate           tender status ``unsuccessful``
tender_awarded         award                  an ``active`` award
award_annulled         awardCancellation      the award ``cancelled``
tender_completed       contract               a ``contracts`` entry, status complete
tender_cancelled       tenderCancellation     tender status ``cancelled``
lot_unsuccessful       tenderUpdate           a lot ``unsuccessful``
lot_cancelled          tenderUpdate           a lot ``cancelled`` (and its award)
lot_awarded            award                  an ``active`` award of a lot
lot_completed          contract               a lot's ``contracts`` entry
auction_finished       tenderUpdate           the lot's bids at their final auction prices
=====================  =====================  ===================================

An auction tender (method ``auction``) has the techniques extension's
``techniques`` on the tender and on each lot (``hasElectronicAuction``, and
the lot's auction page as ``electronicAuction.url``); once a lot's auction
has finished its bids' ``value`` is the final auction price (what ranks
them), and ``awards``/``contracts`` use it too.

Lots (the lots extension): every tender has ``tender.lots`` and one item
per lot (``items.relatedLot``); awards name their lot (``relatedLots``).
A single-lot tender's bids are one detail each, as before, with
``relatedLots``; a multi-lot tender's bids are one detail per offer
(``<bid>-<lot>``, the offer's price, its lot's qualification), since a bid
detail has one value.

Every release holds the whole state at its moment, except a qualification
decision's: it holds only that bid's new status (and the count of valid
bids), as OCDS allows (the compiled release merges it). A tender with
thousands of bids would otherwise store every bid again for every decision.

A draft cancelled before publication never was public and makes no release.
Only models are imported here (no services), so the audit layer can call in
without an import cycle.
"""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import connection

from auctions.models import AuctionStatus, Participant
from bids.models import Bid, Offer
from clarifications.models import Question
from evaluation.models import Award, Qualification
from core.isotime import iso
from tenders import cpv, methods
from tenders.models import AwardMethod, Lot, LotStatus, Status, Tender

from .models import Release

TAGS = {
    "tender_published": "tender",
    "tender_amended": "tenderAmendment",
    "bids_opened": "tenderUpdate",
    "bid_qualified": "tenderUpdate",
    "bid_disqualified": "tenderUpdate",
    "tender_unsuccessful": "tenderUpdate",
    "tender_awarded": "award",
    "award_annulled": "awardCancellation",
    "tender_completed": "contract",
    "tender_cancelled": "tenderCancellation",
    "lot_unsuccessful": "tenderUpdate",
    "lot_cancelled": "tenderUpdate",
    "lot_awarded": "award",
    "lot_completed": "contract",
    "auction_finished": "tenderUpdate",
}

PARTIAL_EVENTS = {"bid_qualified", "bid_disqualified"}

TENDER_STATUS = {
    Status.ACTIVE: "active",
    Status.EVALUATION: "active",
    Status.AWARDED: "complete",
    Status.COMPLETE: "complete",
    Status.UNSUCCESSFUL: "unsuccessful",
    Status.CANCELLED: "cancelled",
}
LOT_STATUS = {
    LotStatus.ACTIVE: "active",
    LotStatus.EVALUATION: "active",
    LotStatus.AWARDED: "complete",
    LotStatus.COMPLETE: "complete",
    LotStatus.UNSUCCESSFUL: "unsuccessful",
    LotStatus.CANCELLED: "cancelled",
}
AWARD_CRITERIA = {AwardMethod.LOWEST_PRICE: "priceOnly", AwardMethod.BEST_VALUE: "ratedCriteria"}
IDENTIFIER_SCHEME = "KZ-BIN"  # org-id.guide: Kazakhstan Business Identification Number


def ocid(tender_id: int) -> str:
    return f"{settings.PROCUREMENT_OCID_PREFIX}-{tender_id}"


def release_id(tender_id: int, seq: int) -> str:
    """Stable across versions of the platform: the ocid and the audit entry's number."""
    return f"{ocid(tender_id)}-{seq}"


def dumps(value: Any) -> str:
    """The one serialisation of stored releases (compact, UTF-8 text kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def record(tender: Tender, entry) -> Release | None:
    """Store the release for audit ``entry`` of the locked ``tender``, if the
    event makes one. Runs in the event's transaction, after the change was
    written, so the release is the state at that moment."""
    tag = TAGS.get(entry.event)
    if tag is None or tender.published_at is None:
        return None
    partial = entry.event in PARTIAL_EVENTS
    if partial:
        release = _Builder(tender, entry, tag, None).qualification()
    else:
        previous = (Release.objects.filter(tender_id=tender.pk, partial=False).order_by("-seq")
                    .values_list("release_id", "text").first())
        release = _Builder(tender, entry, tag, previous).release()
    _announce_insert()
    return Release.objects.create(tender_id=tender.pk, seq=entry.seq, release_id=release["id"], date=entry.at,
                                  tag=tag, text=dumps(release), partial=partial)


# PostgreSQL advisory lock key of the feed horizon ("OCDS").
FEED_LOCK = 0x4F434453


def _announce_insert() -> None:
    """On PostgreSQL, hold the feed lock in shared mode until this transaction
    ends, before the release takes its id: the feed (``opendata.ocds.horizon``)
    takes it exclusively, which waits for every transaction that has numbered
    a release to finish. Writers never wait for each other."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [FEED_LOCK])


BACKFILL_EVENTS = {
    Status.ACTIVE: "tender_published",
    Status.EVALUATION: "bids_opened",
    Status.AWARDED: "tender_awarded",
    Status.COMPLETE: "tender_completed",
    Status.UNSUCCESSFUL: "tender_unsuccessful",
    Status.CANCELLED: "tender_cancelled",
}


def backfill(tender: Tender) -> Release | None:
    """For a tender published before releases were stored (it has none): one
    release of its state now, at its newest audit entry, with its tag. The
    stages before it cannot be rebuilt truthfully, so they are not invented."""
    from audit.models import AuditEntry

    if tender.published_at is None or Release.objects.filter(tender_id=tender.pk).exists():
        return None
    last = AuditEntry.objects.filter(tender_id=tender.pk).order_by("-seq").first()
    if last is None:
        return None
    entry = SimpleNamespace(seq=last.seq, at=last.at, event=BACKFILL_EVENTS[tender.status], data={})
    release = _Builder(tender, entry, TAGS[entry.event], None, every_amendment=True).release()
    _announce_insert()
    return Release.objects.create(tender_id=tender.pk, seq=entry.seq, release_id=release["id"], date=entry.at,
                                  tag=release["tag"][0], text=dumps(release))


# --- building -----------------------------------------------------------------

def _amount(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def main_category(code: str) -> str:
    """CPV divisions: 45 is works; up to 44, and 48 (software packages), goods; the rest services."""
    division = int(code[:2])
    if division == 45:
        return "works"
    if division <= 44 or division == 48:
        return "goods"
    return "services"


def party_id(org) -> str:
    return f"{IDENTIFIER_SCHEME}-{org.tax_id}" if org.tax_id else f"{settings.PROCUREMENT_OCID_PREFIX}-org-{org.pk}"


def _identifier(org) -> dict:
    """The registered identifier (BIN); a buyer registered without one is
    identified by its legal name, under the platform's own party id."""
    if org.tax_id:
        return {"scheme": IDENTIFIER_SCHEME, "id": org.tax_id, "legalName": org.name}
    return {"legalName": org.name}


def _party(org, roles: list[str]) -> dict:
    return {"id": party_id(org), "name": org.name, "identifier": _identifier(org), "roles": roles}


def _reference(org) -> dict:
    return {"id": party_id(org), "name": org.name}


class _Builder:
    def __init__(self, tender: Tender, entry, tag: str, previous: tuple[str, str] | None, *,
                 every_amendment: bool = False):
        self.every_amendment = every_amendment
        self.tender = tender
        self.entry = entry
        self.tag = tag
        self.previous_id, previous_text = previous or (None, None)
        self.previous = json.loads(previous_text) if previous_text else None
        self.ocid = ocid(tender.pk)
        self.id = release_id(tender.pk, entry.seq)
        self.language = tender.language

    def release(self) -> dict:
        tender = self.tender
        opened = tender.opened_at is not None
        self.lots = list(Lot.objects.filter(tender_id=tender.pk).order_by("position", "pk"))
        self.single = len(self.lots) == 1
        # (bid, lot) -> offer amount
        self.offers = ({(bid, lot): amount for bid, lot, amount in Offer.objects.filter(tender_id=tender.pk)
                        .values_list("bid_id", "lot_id", "amount")} if opened else {})
        self.auction = methods.of(tender).auction
        if self.auction and opened:  # a finished auction's final prices replace the initial ones
            self.offers.update({(bid, lot): amount for bid, lot, amount in Participant.objects.filter(
                auction__tender_id=tender.pk, auction__status=AuctionStatus.FINISHED)
                .values_list("bid_id", "auction__lot_id", "final_amount")})
        bids = self._opened_bids() if opened else []
        self.set_aside = self._set_aside_bids() if opened else []
        awards = list(Award.objects.filter(tender_id=tender.pk).select_related("bid__supplier")
                      .order_by("awarded_at", "pk")) if opened else []
        award_status = {a.pk: self._award_status(a) for a in awards}
        suppliers = {a.bid.supplier_id for a in awards if award_status[a.pk] == "active"}

        parties = [_party(tender.buyer, ["buyer", "procuringEntity"])]
        for bid in sorted(bids + self.set_aside, key=lambda b: (b.current.received_at, b.pk)):
            parties.append(_party(bid.supplier, ["tenderer"] + (["supplier"] if bid.supplier_id in suppliers else [])))
        release: dict[str, Any] = {
            "ocid": self.ocid,
            "id": self.id,
            "date": iso(self.entry.at),
            "tag": [self.tag],
            "initiationType": "tender",
            "language": self.language,
            "parties": parties,
            "buyer": _reference(tender.buyer),
            "tender": self._tender(bids),
        }
        if opened:
            release["bids"] = self._bids(bids)
        if tender.failed_tender_id is not None:  # a direct award after a failed procurement
            release["relatedProcesses"] = [{
                "id": "1", "relationship": ["unsuccessfulProcess"], "title": "The unsuccessful procurement",
                "scheme": "ocid", "identifier": ocid(tender.failed_tender_id)}]
        if awards:
            release["awards"] = [self._award(a, award_status[a.pk]) for a in awards]
        complete = {lot.pk for lot in self.lots if lot.status == LotStatus.COMPLETE}
        active = [a for a in awards if award_status[a.pk] == "active" and a.lot_id in complete]
        if active:
            release["contracts"] = [self._contract(a) for a in active]
        return release

    def qualification(self) -> dict:
        """A qualification decision's partial release: the bid's status and the valid-bid count."""
        bid_id = self.entry.data["bid"]
        lot_id = self.entry.data.get("lot")
        single = self.tender.lot_count == 1
        valid = (Qualification.objects.filter(bid__tender_id=self.tender.pk, qualified=True,
                                              bid__opened_at__isnull=False)
                 .values("bid_id" if single else "pk").distinct().count())
        return {
            "ocid": self.ocid,
            "id": self.id,
            "date": iso(self.entry.at),
            "tag": [self.tag],
            "initiationType": "tender",
            "language": self.language,
            "bids": {"statistics": [{"id": "validBids", "measure": "validBids", "value": valid}],
                     "details": [{"id": str(bid_id) if single or lot_id is None else f"{bid_id}-{lot_id}",
                                  "status": "valid" if self.entry.data["qualified"] else "disqualified"}]},
        }

    # tender -----------------------------------------------------------------

    def _tender(self, bids: list[Bid]) -> dict:
        tender = self.tender
        section: dict[str, Any] = {
            "id": str(tender.pk),
            "title": tender.title,
            "status": TENDER_STATUS[tender.status],
            "procuringEntity": _reference(tender.buyer),
            "items": self._items(),
            "lots": [self._lot(lot) for lot in self.lots],
            "value": {"amount": _amount(tender.estimated_amount), "currency": tender.currency},
            **methods.of(tender).ocds(tender),  # procurementMethod, its details and (direct) rationale
            **({"techniques": {"hasElectronicAuction": True}} if methods.of(tender).auction else {}),
            "mainProcurementCategory": main_category(tender.cpv),
            "awardCriteria": AWARD_CRITERIA[tender.award_method],
            "awardCriteriaDetails": self._criteria_details(),
            "submissionMethod": ["electronicSubmission"],
            "tenderPeriod": {"startDate": iso(tender.published_at), "endDate": iso(tender.submission_deadline)},
            "enquiryPeriod": {"startDate": iso(tender.published_at), "endDate": iso(tender.clarification_deadline)},
            "hasEnquiries": Question.objects.filter(tender_id=tender.pk).exists(),
        }
        if tender.description:
            section["description"] = tender.description
        documents = [self._document(d) for d in tender.documents.order_by("uploaded_at", "id")]
        if documents:
            section["documents"] = documents
        amendments = self._amendments()
        if amendments:
            section["amendments"] = amendments
        if tender.opened_at is not None:
            submitted = sorted(bids + self.set_aside, key=lambda b: (b.current.received_at, b.pk))
            section["numberOfTenderers"] = len(submitted)
            if submitted:
                section["tenderers"] = [_reference(b.supplier) for b in submitted]
        return section

    def _items(self) -> list[dict]:
        """One item per lot (a single-lot tender's is described by the tender's title, as before lots)."""
        items = []
        for i, lot in enumerate(self.lots):
            item = {"id": str(i + 1), "description": self.tender.title if self.single else lot.title,
                    "classification": {"scheme": "CPV", "id": lot.cpv, "description": cpv.name(lot.cpv)},
                    "relatedLot": str(lot.pk)}
            if lot.quantity is not None:
                item["quantity"] = float(lot.quantity)
            if lot.unit:
                item["unit"] = {"name": lot.unit}
            items.append(item)
        return items

    def _auction_url(self, lot: Lot) -> str:
        return f"{settings.PROCUREMENT_PUBLIC_URL.rstrip('/')}/tenders/{self.tender.pk}/auction/?lot={lot.pk}"

    def _lot(self, lot: Lot) -> dict:
        data = {"id": str(lot.pk), "title": lot.title, "status": LOT_STATUS[lot.status],
                "value": {"amount": _amount(lot.estimated_amount), "currency": self.tender.currency}}
        if lot.description:
            data["description"] = lot.description
        if self.auction:
            data["techniques"] = {"hasElectronicAuction": True,
                                  "electronicAuction": {"url": self._auction_url(lot)}}
        return data

    def _criteria_details(self) -> str:
        tender = self.tender
        if tender.award_method == AwardMethod.LOWEST_PRICE:
            return "Lowest price."
        parts = [f"price {tender.price_weight}"] + [f"{c.name} {c.weight}" + (f" (lot {c.lot_id})" if c.lot_id else "")
                                                    for c in tender.criteria.all()]
        return "Weighted score out of 100: " + ", ".join(parts) + "."

    def _document(self, document) -> dict:
        published = max(document.uploaded_at, self.tender.published_at)
        return {"id": str(document.pk), "documentType": document.document_type, "title": document.title,
                "url": f"{settings.PROCUREMENT_PUBLIC_URL.rstrip('/')}/api/tenders/{self.tender.pk}/documents/"
                       f"{document.pk}/download/",
                "datePublished": iso(published), "format": document.content_type, "language": self.language}

    def _amendments(self) -> list[dict]:
        """The earlier releases' amendments as they were published, plus this one."""
        amendments = list((self.previous or {}).get("tender", {}).get("amendments", []))
        if self.every_amendment:  # a backfill: the amendments, without the releases they made
            amendments = [self._amendment(a) for a in self.tender.amendments.order_by("at", "pk")]
        if self.entry.event == "tender_amended":
            data = self._amendment(self.tender.amendments.get(pk=self.entry.data["amendment"]))
            data["releaseID"] = self.id
            if self.previous_id:
                data["amendsReleaseID"] = self.previous_id
            amendments.append(data)
        return amendments

    @staticmethod
    def _amendment(amendment) -> dict:
        return {"id": str(amendment.pk), "date": iso(amendment.at), "rationale": amendment.rationale,
                "description": "Changed: " + ", ".join(sorted(amendment.changes)) + "."
                               + (" The submission deadline was extended." if amendment.deadline_extended else "")}

    # bids and awards --------------------------------------------------------

    def _opened_bids(self) -> list[Bid]:
        return list(Bid.objects.filter(tender_id=self.tender.pk, opened_at__isnull=False)
                    .select_related("supplier", "current").order_by("current__received_at", "pk"))

    def _set_aside_bids(self) -> list[Bid]:
        return list(Bid.objects.filter(tender_id=self.tender.pk, opened_at__isnull=True).exclude(set_aside="")
                    .select_related("supplier", "current").order_by("current__received_at", "pk"))

    def _bids(self, bids: list[Bid]) -> dict:
        # (bid, lot) -> the qualification decision on that offer
        decisions = {(b, lot): q for b, lot, q in Qualification.objects.filter(bid__tender_id=self.tender.pk)
                     .values_list("bid_id", "lot_id", "qualified")}
        withdrawn = list(Bid.objects.filter(tender_id=self.tender.pk, status=Bid.Status.WITHDRAWN)
                         .order_by("pk").values_list("pk", flat=True))
        opened_at = iso(self.tender.opened_at)
        statistics = [{"id": "bids", "measure": "bids", "value": len(bids) + len(self.set_aside), "date": opened_at}]
        status = {None: "pending", True: "valid", False: "disqualified"}
        offers = sorted(((b, lot) for b, lot in self.offers), key=lambda key: key[1])
        by_bid: dict[int, list[int]] = {}
        for b, lot in offers:
            by_bid.setdefault(b, []).append(lot)
        if decisions:
            valid = sum(1 for q in decisions.values() if q is True) if not self.single else \
                sum(1 for b in bids if decisions.get((b.pk, self.lots[0].pk)) is True)
            statistics.append({"id": "validBids", "measure": "validBids", "value": valid})
        if self.single:
            details = [{"id": str(bid.pk), "date": iso(bid.current.received_at),
                        "status": status[decisions.get((bid.pk, self.lots[0].pk))],
                        "tenderers": [_reference(bid.supplier)],
                        "value": {"amount": _amount(self.offers.get((bid.pk, self.lots[0].pk), bid.amount)),
                                  "currency": bid.currency},
                        "relatedLots": [str(self.lots[0].pk)]}
                       for bid in bids]
        else:  # one detail per offer: a bid detail has one value
            details = [{"id": f"{bid.pk}-{lot}", "date": iso(bid.current.received_at),
                        "status": status[decisions.get((bid.pk, lot))], "tenderers": [_reference(bid.supplier)],
                        "value": {"amount": _amount(self.offers[(bid.pk, lot)]), "currency": bid.currency},
                        "relatedLots": [str(lot)]}
                       for bid in bids for lot in by_bid.get(bid.pk, [])]
        # A bid withdrawn before the deadline was never opened: only that it was withdrawn is public.
        # A bid set aside at the opening (its sealed content unreadable or invalid) was never
        # opened: it was received, from a public bidder, and could not be evaluated.
        details += [{"id": str(bid.pk), "date": iso(bid.current.received_at), "status": "disqualified",
                     "tenderers": [_reference(bid.supplier)]} for bid in self.set_aside]
        details += [{"id": str(pk), "status": "withdrawn"} for pk in withdrawn]
        section: dict[str, Any] = {"statistics": statistics}
        if details:
            section["details"] = details
        return section

    def _award_status(self, award: Award) -> str:
        if award.status == Award.Status.CANCELLED or self.tender.status == Status.CANCELLED:
            return "cancelled"
        return "active"

    def _offer_amount(self, award: Award) -> Decimal:
        return self.offers.get((award.bid_id, award.lot_id), award.bid.amount)

    def _award(self, award: Award, status: str) -> dict:
        bid = award.bid
        data = {"id": str(award.pk), "status": status, "date": iso(award.awarded_at),
                "value": {"amount": _amount(self._offer_amount(award)), "currency": bid.currency},
                "suppliers": [_reference(bid.supplier)],
                "relatedBid": str(bid.pk) if self.single else f"{bid.pk}-{award.lot_id}",
                "relatedLots": [str(award.lot_id)]}
        if award.justification:
            data["description"] = award.justification
        return data

    def _contract(self, award: Award) -> dict:
        bid = award.bid
        return {"id": str(award.pk), "awardID": str(award.pk), "title": self.tender.title, "status": "active",
                "value": {"amount": _amount(self._offer_amount(award)), "currency": bid.currency},
                "dateSigned": iso(self.entry.at)}
