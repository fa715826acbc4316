from django.contrib import admin

from procurement.admin import ReadOnlyAdmin

from .models import Question


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    """Read-only: questions and answers change only through the services, which audit them."""

    list_display = ["tender", "asked_at", "answered_at"]
    readonly_fields = [f.name for f in Question._meta.fields]
