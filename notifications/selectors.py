from django.db.models import QuerySet

from core.isotime import iso

from .models import Notification, Subscription


def subscriptions_of(user) -> list[dict]:
    rows = (Subscription.objects.filter(organisation_id=user.organisation_id).order_by("cpv_prefix", "id")
            .values("id", "cpv_prefix", "buyer_id", "buyer__name", "created_at"))
    return [subscription_row(row) for row in rows]


def subscription_row(row: dict) -> dict:
    return {"id": row["id"], "cpv_prefix": row["cpv_prefix"],
            "buyer": {"id": row["buyer_id"], "name": row["buyer__name"]} if row["buyer_id"] else None,
            "created_at": iso(row["created_at"])}


def notifications_of(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(organisation_id=user.organisation_id).order_by("-created_at", "-id")
    return queryset.filter(read_at__isnull=True) if unread_only else queryset
