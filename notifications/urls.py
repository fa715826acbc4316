from django.urls import path

from . import api

urlpatterns = [
    path("subscriptions/", api.SubscriptionListView.as_view(), name="subscription-list"),
    path("subscriptions/<int:subscription_id>/", api.SubscriptionDetailView.as_view(), name="subscription-detail"),
    path("notifications/", api.NotificationListView.as_view(), name="notification-list"),
    path("notifications/read-all/", api.MarkAllReadView.as_view(), name="notification-read-all"),
    path("notifications/<int:notification_id>/read/", api.MarkReadView.as_view(), name="notification-read"),
]
