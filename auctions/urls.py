from django.urls import path

from . import api

urlpatterns = [
    path("tenders/<int:tender_id>/lots/<int:lot_id>/auction/", api.AuctionView.as_view(), name="lot-auction"),
    path("tenders/<int:tender_id>/lots/<int:lot_id>/auction/bids/", api.AuctionPriceView.as_view(),
         name="lot-auction-bids"),
]
