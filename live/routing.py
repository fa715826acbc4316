from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    path("ws/tenders/", consumers.FeedConsumer.as_asgi()),
    path("ws/tenders/<int:tender_id>/", consumers.TenderConsumer.as_asgi()),
    path("ws/tenders/<int:tender_id>/committee/", consumers.CommitteeConsumer.as_asgi()),
    re_path(r"", consumers.unknown_path),  # closed with 4404, not an HTTP 500
]
