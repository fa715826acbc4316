from django.urls import path

from . import api

urlpatterns = [
    path("stats/", api.StatsView.as_view(), name="register-stats"),
    path("tenders/export.csv", api.TenderCsvView.as_view(), name="tender-export-csv"),
    path("tenders/<int:tender_id>/ocds/", api.TenderOcdsView.as_view(), name="tender-ocds"),
    path("tenders/<int:tender_id>/ocds/record/", api.TenderRecordView.as_view(), name="tender-ocds-record"),
    path("ocds/releases/", api.ReleaseListView.as_view(), name="ocds-releases"),
    path("ocds/bulk/latest.jsonl.gz", api.BulkFileView.as_view(), name="ocds-bulk"),
    path("ocds/publication-policy/", api.PublicationPolicyView.as_view(), name="ocds-publication-policy"),
]
