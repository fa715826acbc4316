from django.contrib import admin

from .models import Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Read-only: questions and answers change only through the services, which audit them."""

    list_display = ["tender", "asked_at", "answered_at"]
    readonly_fields = [f.name for f in Question._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
