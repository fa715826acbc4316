from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Notification, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "cpv_prefix", "buyer", "created_at"]
    list_select_related = ["organisation", "buyer"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Read-only. A notification's recipient can say what is sealed or
    anonymous: an amendment tells each bidder privately to confirm its bid
    (who bid, before the opening), and an answer goes to the organisation
    that asked (whose identity is never shown). So the recipient is shown only
    once the tender is opened, never for an answered question, and the list
    cannot be filtered by organisation."""

    list_display = ["tender", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["tender", "organisation"]
    fields = ["tender", "recipient", "kind", "subject", "body", "created_at", "read_at"]
    readonly_fields = fields

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split("__")[0] in ("organisation", "organisation_id"):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="recipient")
    def recipient(self, notification: Notification) -> str:
        if notification.kind == Notification.Kind.QUESTION_ANSWERED:
            return "not shown (the asker is anonymous)"
        if notification.tender.opened_at is None:
            return "sealed until the opening"
        return str(notification.organisation)
