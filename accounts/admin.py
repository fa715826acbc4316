from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "tax_id", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "tax_id"]

    def has_delete_permission(self, request, obj=None):
        # An organisation's records (bids, audit entries) outlive it; and the
        # delete page would list its sealed bids by tender before the opening.
        return False


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    list_display = ["username", "organisation", "email", "is_staff"]
    list_select_related = ["organisation"]
    fieldsets = UserAdmin.fieldsets + (("Organisation", {"fields": ["organisation"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("Organisation", {"fields": ["organisation"]}),)
