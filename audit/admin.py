from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["tender", "seq", "at", "event", "actor", "role"]
    list_filter = ["event"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
