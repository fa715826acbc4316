from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Award, Complaint, ConflictDeclaration, Evaluator, Qualification

for model, fields in [(Evaluator, ("tender", "user", "added_at")),
                      (ConflictDeclaration, ("tender", "user", "declared_at")),
                      (Qualification, ("bid", "qualified", "decided_at")),
                      (Award, ("tender", "bid", "status", "awarded_at", "standstill_ends_at")),
                      (Complaint, ("tender", "supplier", "status", "filed_at", "resolved_at"))]:
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": fields}))
