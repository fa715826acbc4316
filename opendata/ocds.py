"""Tenders as Open Contracting Data Standard 1.1 releases.

One release per stage of the contracting process, read off the tender's audit
chain (the platform's record of every state change, with its time): the
tender notice at publication, a ``tenderAmendment`` per amendment, the bid
opening, and every later status change (unsuccessful, award, award
cancelled, complete, cancellation). Each release is a snapshot as of its
stage: terms changed by later amendments are rolled back from the
amendments' recorded ``from`` values, and bids — statistics, details and
tenderers — appear only in releases at or after the opening, and only when
the tender has been opened. Awards come from the ``evaluation`` app when it
is installed.

Codelists: tender status follows the closed tenderStatus codelist (draft is
never published; evaluation is still ``active``; awarded and complete are
``complete``), award status the awardStatus codelist, bids the bid
extension's bidStatus codelist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import AuditEntry
from bids.selectors import opened_bids
from clarifications.models import Question
from core.isotime import iso
from evaluation.models import Award
from tenders import cpv
from tenders.models import PUBLISHED_STATUSES, AwardMethod, Status, Tender

OCDS_VERSION = "1.1"
BID_EXTENSION = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
PAGINATION_EXTENSION = ("https://raw.githubusercontent.com/open-contracting-extensions/"
                        "ocds_pagination_extension/master/extension.json")
PUBLISHER = "Open tender platform"

TENDER_STATUS = {
    Status.ACTIVE: "active",
    Status.EVALUATION: "active",
    Status.AWARDED: "complete",
    Status.COMPLETE: "complete",
    Status.UNSUCCESSFUL: "unsuccessful",
    Status.CANCELLED: "cancelled",
}
AWARD_CRITERIA = {AwardMethod.LOWEST_PRICE: "priceOnly", AwardMethod.BEST_VALUE: "ratedCriteria"}
AWARD_STATUS = {"active": "active", "cancelled": "cancelled"}

# Audit entries that start a new stage, i.e. a new release.
_STAGE_EVENTS = ["tender_amended", "bids_opened"]
_STAGE_TARGETS = [Status.ACTIVE, Status.UNSUCCESSFUL, Status.AWARDED, Status.COMPLETE, Status.CANCELLED]


def stage_entries() -> QuerySet[AuditEntry]:
    """Every audit entry that is a release, on every published tender."""
    return AuditEntry.objects.filter(
        Q(event__in=_STAGE_EVENTS) | Q(data__to__in=_STAGE_TARGETS) | Q(data__from=Status.AWARDED),
        tender__status__in=PUBLISHED_STATUSES,
    )


def ocid(tender_id: int) -> str:
    return f"{settings.PROCUREMENT_OCID_PREFIX}-{tender_id}"


def _tag(entry: AuditEntry) -> str:
    if entry.event == "tender_amended":
        return "tenderAmendment"
    if entry.event == "bids_opened":
        return "tenderUpdate"
    target, source = entry.data.get("to"), entry.data.get("from")
    return {
        Status.ACTIVE: "tender",
        Status.AWARDED: "award",
        Status.CANCELLED: "tenderCancellation",
        Status.EVALUATION: "awardUpdate",  # an award withdrawn, back to evaluation
    }.get(target, "awardUpdate" if source == Status.AWARDED and target != Status.COMPLETE else "tenderUpdate")


def _status_at(entry: AuditEntry) -> str:
    target = entry.data.get("to")
    return TENDER_STATUS.get(target, "active") if target else "active"


def main_category(code: str) -> str:
    """CPV divisions: 45 is works; up to 44, and 48 (software packages), goods; the rest services."""
    division = int(code[:2])
    if division == 45:
        return "works"
    if division <= 44 or division == 48:
        return "goods"
    return "services"


def _number(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _organisation(org) -> dict:
    party = {"id": party_id(org), "name": org.name}
    if org.tax_id:
        party["identifier"] = {"scheme": "KZ-BIN", "id": org.tax_id, "legalName": org.name}
    return party


def party_id(org) -> str:
    return f"KZ-BIN-{org.tax_id}" if org.tax_id else f"{settings.PROCUREMENT_OCID_PREFIX}-org-{org.pk}"


@dataclass
class _Terms:
    title: str
    description: str
    estimated_amount: Decimal
    clarification_deadline: datetime
    submission_deadline: datetime

    def changed(self, changes: dict, side: str) -> "_Terms":
        values = dict(self.__dict__)
        for field, change in changes.items():
            if field not in values:
                continue
            value = change[side]
            if field == "estimated_amount":
                value = Decimal(str(value))
            elif field.endswith("_deadline"):
                value = parse_datetime(value)
            values[field] = value
        return _Terms(**values)


class TenderReleases:
    """Everything one tender's releases need, read in a fixed number of queries."""

    def __init__(self, tender: Tender, base_url: str):
        self.tender = tender
        self.base_url = base_url.rstrip("/")
        self.ocid = ocid(tender.pk)
        self.entries = list(stage_entries().filter(tender=tender).order_by("seq"))
        self.amendments = list(tender.amendments.order_by("at", "id"))
        self.documents = list(tender.documents.order_by("uploaded_at", "id"))
        self.criteria = list(tender.criteria.all())
        self.question_times = list(Question.objects.filter(tender=tender).values_list("asked_at", flat=True))
        opening = next((e for e in self.entries if e.event == "bids_opened"), None)
        self.opening_seq = opening.seq if opening is not None and tender.opened_at is not None else None
        # Sealed content exists in the export only once the tender is opened.
        self.bids = list(opened_bids(tender).select_related("supplier", "current")
                         .order_by("current__received_at", "pk")) \
            if self.opening_seq is not None else []
        self.awards = list(Award.objects.filter(tender=tender).select_related("bid__supplier")
                           .order_by("awarded_at", "pk")) if self.opening_seq else []
        self._terms_after = self._terms_by_amendment()

    def _terms_by_amendment(self) -> dict[int | None, _Terms]:
        """Terms after each amendment (key: amendment id; None: as published)."""
        t = self.tender
        terms = _Terms(t.title, t.description, t.estimated_amount, t.clarification_deadline, t.submission_deadline)
        after: dict[int | None, _Terms] = {}
        for amendment in reversed(self.amendments):
            after[amendment.pk] = terms
            terms = terms.changed(amendment.changes, "from")
        after[None] = terms
        return after

    def release_id(self, entry: AuditEntry) -> str:
        return f"{self.ocid}-{entry.seq}"

    def releases(self) -> list[dict]:
        return [self.release(entry) for entry in self.entries]

    def release(self, entry: AuditEntry) -> dict:
        tender = self.tender
        amendments = [a for a in self.amendments if a.at <= entry.at]
        if entry.event == "tender_amended":
            amendments = [a for a in self.amendments if a.pk <= entry.data.get("amendment", 0)]
        terms = self._terms_after[amendments[-1].pk] if amendments else self._terms_after[None]
        opened = self.opening_seq is not None and entry.seq >= self.opening_seq
        awards = [a for a in self.awards if a.awarded_at <= entry.at] if opened else []
        active_award_suppliers = {a.bid.supplier_id for a in awards if a.status == "active"}

        buyer = _organisation(tender.buyer)
        parties = [{**buyer, "roles": ["buyer", "procuringEntity"]}]
        if opened:
            for bid in self.bids:
                roles = ["tenderer"] + (["supplier"] if bid.supplier_id in active_award_suppliers else [])
                parties.append({**_organisation(bid.supplier), "roles": roles})

        section: dict[str, Any] = {
            "id": str(tender.pk),
            "title": terms.title,
            "description": terms.description,
            "status": _status_at(entry),
            "procuringEntity": {"id": buyer["id"], "name": buyer["name"]},
            "items": [{"id": "1", "description": terms.title,
                       "classification": {"scheme": "CPV", "id": tender.cpv, "description": cpv.name(tender.cpv)}}],
            "value": {"amount": _number(terms.estimated_amount), "currency": tender.currency},
            "procurementMethod": "open",
            "procurementMethodDetails": "Open tender with sealed electronic bids",
            "mainProcurementCategory": main_category(tender.cpv),
            "awardCriteria": AWARD_CRITERIA[tender.award_method],
            "awardCriteriaDetails": self._criteria_details(),
            "submissionMethod": ["electronicSubmission"],
            "tenderPeriod": {"startDate": iso(tender.published_at), "endDate": iso(terms.submission_deadline)},
            "enquiryPeriod": {"startDate": iso(tender.published_at), "endDate": iso(terms.clarification_deadline)},
            "hasEnquiries": any(at <= entry.at for at in self.question_times),
            "documents": [self._document(d) for d in self.documents if d.uploaded_at <= entry.at],
        }
        if amendments:
            section["amendments"] = [self._amendment(a) for a in amendments]
        if opened:
            section["numberOfTenderers"] = len(self.bids)
            section["tenderers"] = [{"id": party_id(b.supplier), "name": b.supplier.name} for b in self.bids]
        release: dict[str, Any] = {
            "ocid": self.ocid,
            "id": self.release_id(entry),
            "date": iso(entry.at),
            "tag": [_tag(entry)],
            "initiationType": "tender",
            "language": "en",
            "parties": parties,
            "buyer": {"id": buyer["id"], "name": buyer["name"]},
            "tender": section,
        }
        if opened:
            release["bids"] = self._bids()
        if awards:
            release["awards"] = [self._award(a) for a in awards]
        return release

    def _criteria_details(self) -> str:
        tender = self.tender
        if tender.award_method == AwardMethod.LOWEST_PRICE:
            return "Lowest price."
        parts = [f"price {tender.price_weight}"] + [f"{c.name} {c.weight}" for c in self.criteria]
        return "Weighted score out of 100: " + ", ".join(parts) + "."

    def _document(self, document) -> dict:
        published = max(document.uploaded_at, self.tender.published_at) if self.tender.published_at \
            else document.uploaded_at
        return {"id": str(document.pk), "documentType": document.document_type, "title": document.title,
                "url": f"{self.base_url}/api/tenders/{self.tender.pk}/documents/{document.pk}/download/",
                "datePublished": iso(published), "format": document.content_type, "language": "en"}

    def _amendment(self, amendment) -> dict:
        position = next((i for i, e in enumerate(self.entries)
                         if e.event == "tender_amended" and e.data.get("amendment") == amendment.pk), None)
        data = {"id": str(amendment.pk), "date": iso(amendment.at), "rationale": amendment.rationale,
                "description": "Changed: " + ", ".join(sorted(amendment.changes)) + "."
                               + (" The submission deadline was extended." if amendment.deadline_extended else "")}
        if position:
            data["amendsReleaseID"] = self.release_id(self.entries[position - 1])
            data["releaseID"] = self.release_id(self.entries[position])
        return data

    def _bids(self) -> dict:
        opened_at = iso(self.tender.opened_at)
        return {
            "statistics": [{"id": "bids", "measure": "bids", "value": len(self.bids), "date": opened_at}],
            "details": [{"id": str(bid.pk), "date": iso(bid.current.received_at), "status": "pending",
                         "tenderers": [{"id": party_id(bid.supplier), "name": bid.supplier.name}],
                         "value": {"amount": _number(bid.amount), "currency": bid.currency}}
                        for bid in self.bids],
        }

    def _award(self, award) -> dict:
        bid = award.bid
        data = {"id": str(award.pk), "status": AWARD_STATUS.get(award.status, "pending"),
                "date": iso(award.awarded_at),
                "value": {"amount": _number(bid.amount), "currency": bid.currency},
                "suppliers": [{"id": party_id(bid.supplier), "name": bid.supplier.name}]}
        if award.justification:
            data["description"] = award.justification
        return data


def package(releases: list[dict], *, uri: str, extra: dict | None = None) -> dict:
    """A release package; ``publishedDate`` is the newest release's date (the
    package is made on demand, so it reflects the last change it contains)."""
    dates = [parse_datetime(r["date"]) for r in releases]
    published = iso(max(dates) if dates else timezone.now())
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": [BID_EXTENSION] + ([PAGINATION_EXTENSION] if extra and "links" in extra else []),
        "publishedDate": published,
        "publisher": {"name": PUBLISHER},
        "releases": releases,
        **(extra or {}),
    }


def tender_package(tender: Tender, *, uri: str, base_url: str) -> dict:
    return package(TenderReleases(tender, base_url).releases(), uri=uri)


def releases_for(entries: Iterable[AuditEntry], *, base_url: str) -> list[dict]:
    """The releases of a page of stage entries, each tender read once."""
    entries = list(entries)
    tenders = {t.pk: t for t in Tender.objects.select_related("buyer").filter(pk__in={e.tender_id for e in entries})}
    builders: dict[int, TenderReleases] = {}
    out = []
    for entry in entries:
        if entry.tender_id not in builders:
            builders[entry.tender_id] = TenderReleases(tenders[entry.tender_id], base_url)
        out.append(builders[entry.tender_id].release(entry))
    return out
