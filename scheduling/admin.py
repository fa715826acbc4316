from django.contrib import admin

from .models import Heartbeat, JobFailure


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JobFailure)
class JobFailureAdmin(ReadOnly):
    list_display = ["job", "object_id", "attempts", "first_failed_at", "retry_at", "error"]
    list_filter = ["job"]

    def has_delete_permission(self, request, obj=None):
        return True  # deleting a row retries the item on the next pass


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnly):
    list_display = ["name", "started_at", "last_pass_at"]
