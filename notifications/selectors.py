from django.db.models import QuerySet

from .models import Notification, Subscription


def subscriptions_of(user) -> QuerySet[Subscription]:
    return (Subscription.objects.filter(organisation_id=user.organisation_id).select_related("buyer")
            .order_by("cpv_prefix", "id"))


def notifications_of(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(organisation_id=user.organisation_id).order_by("-created_at", "-id")
    return queryset.filter(read_at__isnull=True) if unread_only else queryset
