from django.urls import path

from . import api

urlpatterns = [
    path("bids/mine/", api.OwnBidsView.as_view(), name="own-bids"),
    path("tenders/<int:tender_id>/bids/", api.BidListView.as_view(), name="bid-list"),
    path("tenders/<int:tender_id>/bids/<int:bid_id>/", api.BidDetailView.as_view(), name="bid-detail"),
    path("tenders/<int:tender_id>/bids/<int:bid_id>/withdraw/", api.WithdrawView.as_view(), name="bid-withdraw"),
    path("tenders/<int:tender_id>/bids/<int:bid_id>/confirm/", api.ConfirmView.as_view(), name="bid-confirm"),
    path("tenders/<int:tender_id>/bids/<int:bid_id>/documents/<int:position>/", api.BidDocumentView.as_view(),
         name="bid-document"),
    path("tenders/<int:tender_id>/opening/", api.OpeningView.as_view(), name="tender-opening"),
    path("receipts/verify/", api.VerifyReceiptView.as_view(), name="receipt-verify"),
    path("receipts/public-key/", api.PublicKeyView.as_view(), name="receipt-public-key"),
]
