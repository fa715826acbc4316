from django.urls import path

from . import api

urlpatterns = [
    path("tenders/<int:tender_id>/committee/", api.CommitteeView.as_view(), name="tender-committee"),
    path("tenders/<int:tender_id>/conflict-declaration/", api.ConflictDeclarationView.as_view(),
         name="tender-conflict-declaration"),
    path("tenders/<int:tender_id>/bids/<int:bid_id>/qualification/", api.QualificationView.as_view(),
         name="bid-qualification"),
    path("tenders/<int:tender_id>/bids/<int:bid_id>/scores/", api.ScoresView.as_view(), name="bid-scores"),
    path("tenders/<int:tender_id>/evaluation/", api.EvaluationView.as_view(), name="tender-evaluation"),
    path("tenders/<int:tender_id>/lots/<int:lot_id>/cancel/", api.LotCancelView.as_view(), name="lot-cancel"),
    path("tenders/<int:tender_id>/award/", api.AwardView.as_view(), name="tender-award"),
    path("tenders/<int:tender_id>/complaints/", api.ComplaintListView.as_view(), name="tender-complaints"),
    path("tenders/<int:tender_id>/complaints/<int:complaint_id>/resolve/", api.ResolveComplaintView.as_view(),
         name="tender-complaint-resolve"),
]
