"""Bench-only URLconf: every product URL, plus the baseline the register API is
compared with (a plain Django view, no DRF)."""

from django.urls import path

from procurement.urls import urlpatterns as product_urlpatterns
from procurement.urls import handler400, handler403, handler404, handler500  # noqa: F401

from .views import baseline_bid, baseline_tenders

urlpatterns = [
    path("bench/baseline/tenders/", baseline_tenders, name="bench-baseline-tenders"),
    path("bench/baseline/tenders/<int:tender_id>/bids/", baseline_bid, name="bench-baseline-bid"),
    *product_urlpatterns,
]
