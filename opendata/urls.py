from django.urls import path

from . import api

urlpatterns = [
    path("tenders/export.csv", api.TenderCsvView.as_view(), name="tender-export-csv"),
    path("tenders/<int:tender_id>/ocds/", api.TenderOcdsView.as_view(), name="tender-ocds"),
    path("ocds/releases/", api.ReleaseListView.as_view(), name="ocds-releases"),
]
