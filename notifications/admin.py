from django.contrib import admin

from .models import Notification, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "cpv_prefix", "buyer", "created_at"]
    list_select_related = ["organisation", "buyer"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["organisation", "tender", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["organisation"]
