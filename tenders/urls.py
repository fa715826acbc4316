from django.urls import path

from . import api

urlpatterns = [
    path("platform/", api.PlatformView.as_view(), name="platform"),
    path("cpv/", api.CpvSearchView.as_view(), name="cpv-search"),
    path("buyers/", api.BuyerListView.as_view(), name="buyer-list"),
    path("tenders/", api.TenderListView.as_view(), name="tender-list"),
    path("tenders/<int:tender_id>/", api.TenderDetailView.as_view(), name="tender-detail"),
    path("tenders/<int:tender_id>/publish/", api.PublishView.as_view(), name="tender-publish"),
    path("tenders/<int:tender_id>/amend/", api.AmendView.as_view(), name="tender-amend"),
    path("tenders/<int:tender_id>/amendments/", api.AmendmentListView.as_view(), name="tender-amendments"),
    path("tenders/<int:tender_id>/cancel/", api.CancelView.as_view(), name="tender-cancel"),
    path("tenders/<int:tender_id>/documents/", api.DocumentListView.as_view(), name="tender-documents"),
    path("tenders/<int:tender_id>/documents/<int:document_id>/download/", api.DocumentDownloadView.as_view(),
         name="tender-document-download"),
]
