from django.urls import path

from . import api

urlpatterns = [
    path("tenders/<int:tender_id>/flags/", api.TenderFlagsView.as_view(), name="tender-flags"),
    path("flags/", api.FlagsView.as_view(), name="flags-by-buyer"),
]
