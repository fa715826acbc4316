from django.contrib import admin

from .models import Award, Complaint, ConflictDeclaration, Evaluator, Qualification


class ReadOnly(admin.ModelAdmin):
    """Evaluation rows change only through the services (audited); the admin reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model, fields in [(Evaluator, ("tender", "user", "added_at")),
                      (ConflictDeclaration, ("tender", "user", "declared_at")),
                      (Qualification, ("bid", "qualified", "decided_at")),
                      (Award, ("tender", "bid", "status", "awarded_at", "standstill_ends_at")),
                      (Complaint, ("tender", "supplier", "status", "filed_at", "resolved_at"))]:
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnly,), {"list_display": fields}))
