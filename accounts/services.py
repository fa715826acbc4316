from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from core.errors import DomainError, Invalid

from . import taxid
from .models import Organisation, User


class TaxIdInvalid(Invalid):
    code = "tax_id_invalid"


def check_password(password: str, *, user: User | None = None) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise Invalid(" ".join(exc.messages), code="password_too_weak") from exc


@transaction.atomic
def register_supplier(*, organisation_name: str, tax_id: str, username: str, password: str,
                      email: str = "") -> User:
    """A business registers itself and its first user."""
    if not taxid.is_well_formed(tax_id):
        raise TaxIdInvalid("A tax id (BIN) is exactly 12 digits.", code="tax_id_format")
    if not taxid.is_valid(tax_id):
        raise TaxIdInvalid("This BIN's check digit is wrong: please check the number.", code="tax_id_checksum")
    if Organisation.objects.filter(tax_id=tax_id).exists():
        raise DomainError("An organisation with this tax id is already registered.", code="tax_id_taken")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("This username is taken.", code="username_taken")
    check_password(password, user=User(username=username, email=email))
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                kind=Organisation.Kind.SUPPLIER, name=organisation_name, tax_id=tax_id, email=email
            )
            user = User(username=username, email=email, organisation=organisation)
            user.set_password(password)
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise DomainError("This organisation or username is already registered.", code="already_registered") from exc
    return user


@transaction.atomic
def create_officer(*, buyer_name: str, username: str, password: str, email: str = "",
                   buyer_tax_id: str = "") -> User:
    """Staff create buyer organisations and their officers (admin or command)."""
    if buyer_tax_id and not taxid.is_valid(buyer_tax_id):
        raise TaxIdInvalid("The buyer's BIN is not a valid 12-digit number.")
    buyer, _ = Organisation.objects.get_or_create(
        kind=Organisation.Kind.BUYER, name=buyer_name, defaults={"tax_id": buyer_tax_id, "email": email}
    )
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("This username is taken.", code="username_taken")
    user = User(username=username, email=email, organisation=buyer)
    check_password(password, user=user)
    user.set_password(password)
    user.save()
    return user
