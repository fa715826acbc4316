"""Role checks only; access to a particular object goes through selectors."""

from rest_framework.permissions import BasePermission


class IsOfficer(BasePermission):
    message = "Only an officer of a buyer organisation can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_officer)


class IsSupplier(BasePermission):
    message = "Only a user of a supplier organisation can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_supplier)
