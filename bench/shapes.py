"""Benchmark: what rendering a response through its ``*Out`` shape
(``core.shapes``) costs against the hand-built dicts the shapes replaced
(kept below as the reference, exactly as they were), on the same objects,
interleaved, in CPU time (``time.process_time``: the machine is shared).
No database: the objects are made in memory.

    .venv/bin/python bench/shapes.py          # N=5000 rows by default

1. the evaluation report of 5,000 bids x 5 evaluators x 5 criteria
   (``ReportOut``, what ``evaluation.selectors.report`` renders);
2. the opening record of 5,000 bids (``OpeningBidOut``: the opening's
   audit entry, its socket event and ``GET /opening/``);
3. 1,000 receipts (``ReceiptOut``, every accepted bid's answer).

Each first checks that both give the same body (key order included).
"""

import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone as tz
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("PROCUREMENT_PLATFORM_KEY", "YmVuY2gtb25seS1wbGF0Zm9ybS1rZXktMzItYnl0ZXMhIQ==")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import random  # noqa: E402

from accounts.models import Organisation  # noqa: E402
from bids.models import Bid, BidVersion, Offer  # noqa: E402
from bids.serializers import OpeningBidOut, ReceiptOut  # noqa: E402
from bids.services import Receipt  # noqa: E402
from core.isotime import iso  # noqa: E402
from evaluation import scoring  # noqa: E402
from evaluation.models import Award  # noqa: E402
from evaluation.selectors import CriterionRow, EvaluatedBid, EvaluationState, Member, Supplier  # noqa: E402
from evaluation.serializers import AwardOut, ReportOut  # noqa: E402
from tenders.models import Lot, Tender  # noqa: E402

N = int(os.environ.get("N", "5000"))
rng = random.Random(1)
now = datetime(2026, 11, 30, 5, 0, tzinfo=tz.utc)
tender = Tender(pk=1, status="evaluation", award_method="best_value", price_weight=75, currency="KZT", opened_at=now)
lot = Lot(pk=1, title="Lot", status="evaluation")
criteria = [CriterionRow(i, f"C{i}", 5) for i in range(5)]
committee = [Member(i, f"Member {i}", now, now, "No conflict.") for i in range(5)]
bids = []
for b in range(N):
    points = {c.id: {m.id: Decimal(rng.randrange(0, 501)) / 100 for m in committee} for c in criteria}
    result = scoring.Result(bid=b, amount=Decimal(1), received_at=now, price_score=Decimal("12.3456"),
                            quality={c.id: Decimal("2.5000") for c in criteria}, total=Decimal("55.1234"), rank=b + 1)
    bids.append(EvaluatedBid(bid=b, supplier=Supplier(b, f"Supplier {b}", f"{b:012d}"),
                             amount=Decimal(rng.randrange(50_000_000, 100_000_000)) / 100, currency="KZT",
                             received_at=now - timedelta(seconds=b), sha256=f"{b:064x}", qualified=True,
                             reason="ok", decided_at=now, points=points, result=result))
state = EvaluationState(tender=tender, lot=lot, criteria=criteria, committee=committee, bids=bids, awards=[],
                        public=False)


def hand_bid_row(bid):
    result = bid.result
    return {
        "bid": bid.bid,
        "supplier": {"id": bid.supplier.id, "name": bid.supplier.name, "tax_id": bid.supplier.tax_id},
        "amount": f"{bid.amount:.2f}", "currency": bid.currency, "received_at": iso(bid.received_at),
        "sha256": bid.sha256,
        "qualification": None if bid.qualified is None else {
            "qualified": bid.qualified, "reason": bid.reason, "decided_at": iso(bid.decided_at)},
        "scores": {str(cid): {str(uid): f"{v:.2f}" for uid, v in sorted(by_evaluator.items())}
                   for cid, by_evaluator in sorted(bid.points.items())},
        "price_score": None if result is None else str(result.price_score),
        "quality": None if result is None else {str(cid): str(v) for cid, v in result.quality.items()},
        "total": None if result is None else str(result.total),
        "rank": bid.rank,
    }


def hand_member_row(member):
    return {"id": member.id, "name": member.name, "added_at": iso(member.added_at),
            "declared_at": iso(member.declared_at), "statement": member.statement}


def hand_report(state):
    tender = state.tender
    return {
        "tender": tender.pk, "status": tender.status,
        "lot": {"id": state.lot.pk, "title": state.lot.title, "status": state.lot.status},
        "award_method": tender.award_method, "price_weight": tender.price_weight, "currency": tender.currency,
        "opened_at": iso(tender.opened_at),
        "rounding": {"places": scoring.PLACES, "mode": scoring.ROUNDING, "rule": scoring.RULE},
        "criteria": [{"id": c.id, "name": c.name, "weight": c.weight} for c in state.criteria],
        "committee": [hand_member_row(m) for m in state.committee],
        "bids": [hand_bid_row(b) for b in state.bids],
        "ranking": state.ranking,
        "award": next((AwardOut(a).data for a in state.awards if a.status == Award.Status.ACTIVE), None),
        "awards": AwardOut(state.awards, many=True).data,
        "commitment_salt": None,
    }


supplier = [Organisation(pk=i, name=f"Supplier {i}", tax_id=f"{i:012d}") for i in range(N)]
opened = []
for i in range(N):
    bid = Bid(pk=i + 1, tender_id=1, supplier=supplier[i], amount=Decimal("1234.50"), currency="KZT", nonce="ab" * 16)
    bid.current = BidVersion(number=1, sha256=f"{i:064x}", received_at=now)
    bid.opened_offers = [Offer(tender_id=1, bid_id=bid.pk, lot_id=1, amount=Decimal("1234.50"))]
    opened.append(bid)


def hand_opening_row(bid):
    offers = [(o.lot_id, o.amount) for o in bid.opened_offers]
    return {"bid": bid.pk, "supplier": {"id": bid.supplier_id, "name": bid.supplier.name, "tax_id": bid.supplier.tax_id},
            "amount": f"{bid.amount:.2f}", "currency": bid.currency,
            "lots": [{"lot": lot, "amount": f"{amount:.2f}"} for lot, amount in offers],
            "received_at": iso(bid.current.received_at), "sha256": bid.current.sha256,
            "nonce": bid.nonce, "version": bid.current.number}


def make_receipts():
    """Fresh ones each round: a receipt looks its signing key up once."""
    return [Receipt(tender=1, bid=2, version=1, sha256="ab" * 32, received_at=iso(now), signature="cd" * 64,
                    content='{"amount":"1.00"}') for _ in range(1000)]


def hand_receipt(self, with_content=True):
    key = type(self).signer.func(self)  # the receipt's signing key, looked up as before
    data = {"tender": self.tender, "bid": self.bid, "version": self.version, "sha256": self.sha256,
            "received_at": self.received_at, "signature": self.signature,
            "key_id": key.key_id, "public_key": bytes(key.verify_key).hex()}
    if self.content and with_content:
        data["content"] = self.content
    return data


def main() -> None:
    receipt = make_receipts()[0]
    assert json.dumps(hand_report(state)) == json.dumps(ReportOut.dump(state))
    assert json.dumps([hand_opening_row(b) for b in opened]) == json.dumps(OpeningBidOut.dump_many(opened))
    assert json.dumps(hand_receipt(receipt)) == json.dumps(ReceiptOut.dump(receipt))
    cases = {  # name: (setup, hand-built, shape)
        f"report of {N} bids": (lambda: state, hand_report, ReportOut.dump),
        f"opening record of {N} bids": (lambda: opened, lambda rows: [hand_opening_row(b) for b in rows],
                                        OpeningBidOut.dump_many),
        "1,000 receipts": (make_receipts, lambda rows: [hand_receipt(r) for r in rows],
                           lambda rows: [ReceiptOut.dump(r) for r in rows]),
    }
    for name, (setup, hand, shape) in cases.items():
        timings = {hand: [], shape: []}
        for _ in range(15):
            for render in (hand, shape):
                data = setup()
                started = time.process_time()
                render(data)
                timings[render].append(time.process_time() - started)
        (h_min, h_med), (s_min, s_med) = ((min(t) * 1000, statistics.median(t) * 1000) for t in timings.values())
        print(f"{name}: hand-built dicts {h_min:.1f} ms (median {h_med:.1f}), shape {s_min:.1f} ms "
              f"(median {s_med:.1f}): {100 * (s_min / h_min - 1):+.0f} % at the minimum")


if __name__ == "__main__":
    main()
