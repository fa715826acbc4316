from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Organisation(models.Model):
    class Kind(models.TextChoices):
        BUYER = "buyer", "Buyer (procuring entity)"
        SUPPLIER = "supplier", "Supplier"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=300)
    # BIN: 12 digits with a check digit (accounts.taxid). Required for
    # suppliers; optional for buyers created by staff.
    tax_id = models.CharField(max_length=12, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tax_id"], condition=~Q(tax_id=""), name="organisation_tax_id_unique"),
            models.UniqueConstraint(fields=["kind", "name"], name="organisation_kind_name_unique"),
            models.CheckConstraint(
                condition=Q(kind="buyer") | ~Q(tax_id=""), name="supplier_has_tax_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_buyer(self) -> bool:
        return self.kind == self.Kind.BUYER

    @property
    def is_supplier(self) -> bool:
        return self.kind == self.Kind.SUPPLIER


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # The address this user proved it reads (the e-mailed confirmation link;
    # a completed password reset; staff for the officers they create). It is
    # confirmed while it equals ``email``: a changed address needs a new
    # confirmation. Notification e-mail goes only to confirmed addresses.
    confirmed_email = models.EmailField(blank=True, default="")

    @property
    def email_confirmed(self) -> bool:
        return bool(self.email) and self.confirmed_email.lower() == self.email.lower()

    @property
    def is_officer(self) -> bool:
        return self.is_authenticated and self.organisation_id is not None and self.organisation.is_buyer

    @property
    def is_supplier(self) -> bool:
        return self.is_authenticated and self.organisation_id is not None and self.organisation.is_supplier

    @property
    def role(self) -> str:
        if self.is_officer:
            return "officer"
        if self.is_supplier:
            return "supplier"
        if self.is_staff:
            return "staff"
        return "user"
