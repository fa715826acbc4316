from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Question

# The asker's identity is never shown (README), not even to staff.
_ASKER = ("asked_by", "asked_by_organisation")


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    """Read-only: questions and answers change only through the services, which
    audit them. The asking organisation and user are not shown."""

    list_display = ["tender", "asked_at", "answered_at"]
    fields = [f.name for f in Question._meta.fields if f.name not in ("id", *_ASKER)]
    readonly_fields = fields

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split("__")[0] in (*_ASKER, "asked_by_id", "asked_by_organisation_id"):
            return False
        return super().lookup_allowed(lookup, value, request)
