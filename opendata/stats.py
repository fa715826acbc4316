"""Register statistics for the statistics page (and any client): counts and
sums over published tenders. Here, above tenders and evaluation in the app
layers, because it reads both."""

from django.db.models import Count, Sum
from django.db.models.functions import Substr

from evaluation.models import Award
from tenders import cpv
from tenders.models import PUBLISHED_STATUSES
from tenders.selectors import tenders_public


def register_stats(language: str = "en") -> dict:
    """Counts and sums over published tenders, for the statistics page: by
    status, estimated against awarded value (active awards, opened prices),
    bids per tender, and tenders and bids by CPV division."""
    public = tenders_public()
    by_status = {row["status"]: row["n"] for row in public.values("status").annotate(n=Count("id"))}
    awards = (Award.objects.filter(status=Award.Status.ACTIVE, tender__status__in=PUBLISHED_STATUSES)
              .values("tender_id", "tender__title", "tender__estimated_amount", "tender__currency", "bid__amount")
              .order_by("-awarded_at")[:20])
    histogram: dict[int, int] = {}
    for row in public.values("bid_count").annotate(n=Count("id")):
        histogram[row["bid_count"]] = row["n"]
    divisions = (public.annotate(division=Substr("cpv", 1, 2)).values("division")
                 .annotate(tenders=Count("id"), bids=Sum("bid_count")).order_by("division"))
    return {
        "by_status": by_status,
        "awards": [{"tender": a["tender_id"], "title": a["tender__title"], "currency": a["tender__currency"],
                    "estimated": f"{a['tender__estimated_amount']:.2f}",
                    "awarded": f"{a['bid__amount']:.2f}" if a["bid__amount"] is not None else None}
                   for a in awards],
        "bids_per_tender": [{"bids": k, "tenders": histogram[k]} for k in sorted(histogram)],
        "by_division": [{"division": d["division"], "name": cpv.division_name(d["division"], language),
                         "tenders": d["tenders"], "bids": d["bids"] or 0} for d in divisions],
    }
