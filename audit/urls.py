from django.urls import path

from . import api

urlpatterns = [path("tenders/<int:tender_id>/audit/", api.AuditView.as_view(), name="tender-audit")]
