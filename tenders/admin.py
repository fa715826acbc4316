from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Amendment, Criterion, Tender, TenderDocument


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tender)
class TenderAdmin(admin.ModelAdmin):
    """Read-only: tender changes go through the services (audit, live, rules)."""

    list_display = ["id", "title", "buyer", "status", "submission_deadline", "bid_count"]
    list_filter = ["status", "award_method"]
    search_fields = ["title", "cpv"]
    list_select_related = ["buyer"]
    exclude = ["public_key", "sealed_private_key", "search_vector", "search_text"]
    inlines = [CriterionInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Tender._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TenderDocument)
class TenderDocumentAdmin(ReadOnlyAdmin):
    list_display = ["tender", "title", "document_type", "size", "uploaded_at"]


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyAdmin):
    list_display = ["tender", "at", "deadline_extended"]
