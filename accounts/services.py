from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from core.error_texts import localise
from core.errors import DomainError, Invalid, WrongState

from . import emails, signals, taxid, tokens
from .models import Organisation, User


class TaxIdInvalid(Invalid):
    code = "tax_id_invalid"


def _at(field: str, code: str, detail: str) -> dict:
    """A domain error's ``errors``: its message at its field, as a validation error's."""
    return {field: [{"code": code, "detail": localise(code, detail)}]}


def check_password(password: str, *, user: User | None = None, field: str = "password") -> None:
    """Django's password validators; their messages (in the request's
    language: Django's catalogues, and ours for Kazakh) at the field."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise Invalid(" ".join(exc.messages), code="password_too_weak",
                      errors={field: [{"code": "password_too_weak", "detail": m} for m in exc.messages]}) from exc


def _enqueue_email(kind: str, target: str | int, language: str) -> None:
    """The account e-mail goes through the notification e-mail's task queue
    (the task ``ACCOUNTS_EMAIL_TASK`` names; notifications sits above this
    app), enqueued in the caller's transaction."""
    import_string(settings.ACCOUNTS_EMAIL_TASK).enqueue(kind, target, language)


def _sign_out_everywhere(user: User) -> None:
    """After a password change or reset: every session is void (Django checks
    each session's hash of the password on its next request; the view keeps
    the current one with ``update_session_auth_hash``), and every API token
    is revoked, since a token taken with the old password must not outlive it.
    Open sockets are closed too (``signals.credentials_changed``)."""
    tokens.revoke_all(user)
    signals.credentials_changed.send(sender=User, user=user)


@transaction.atomic
def register_supplier(*, organisation_name: str, tax_id: str, username: str, password: str,
                      email: str = "", language: str = "en") -> User:
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
    if email:  # the supplier may bid at once; its notifications wait for the confirmation
        _enqueue_email(emails.CONFIRM_EMAIL, user.pk, language)
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
    # Staff vouch for the address they give an officer.
    user = User(username=username, email=email, confirmed_email=email, organisation=buyer)
    check_password(password, user=user)
    user.set_password(password)
    user.save()
    return user


# --- password reset, change, e-mail confirmation -------------------------------------

@transaction.atomic
def request_password_reset(*, email: str, language: str) -> None:
    """Send a reset link to every active account with this address. The same
    for a known and an unknown address: the request only enqueues the task
    (one row); the worker looks the address up (``accounts.emails``)."""
    _enqueue_email(emails.PASSWORD_RESET, email.strip(), language)


@transaction.atomic
def reset_password(*, uid: str, token: str, password: str) -> User:
    """Set a new password from an e-mailed link. The link is spent (the token
    hashes the password), it has proved the address, and every session and
    token of the account is signed out."""
    user = tokens.user_from_uid(uid, lock=True)
    if user is None or not tokens.password_reset.check_token(user, token):
        raise Invalid("This password reset link is not valid: it was used, it expired or it is incomplete. "
                      "Ask for a new one.", code="reset_link_invalid")
    check_password(password, user=user)
    user.set_password(password)
    if user.email:
        user.confirmed_email = user.email
    user.save(update_fields=["password", "confirmed_email"])
    _sign_out_everywhere(user)
    return user


@transaction.atomic
def change_password(user: User, *, old_password: str, password: str) -> User:
    """A signed-in user's new password; the current password is required."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password):
        raise Invalid("Your current password is wrong.", code="wrong_password",
                      errors=_at("old_password", "wrong_password", "Your current password is wrong."))
    check_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _sign_out_everywhere(user)
    return user


@transaction.atomic
def confirm_email(*, uid: str, token: str) -> User:
    """The e-mailed confirmation link: the address it was sent to is confirmed."""
    user = tokens.user_from_uid(uid, lock=True)
    if user is None or not user.email or not tokens.email_confirmation.check_token(user, token):
        raise Invalid("This confirmation link is not valid: it was used, it expired, or the address changed since. "
                      "Ask for a new one from your account page.", code="confirmation_link_invalid")
    user.confirmed_email = user.email
    user.save(update_fields=["confirmed_email"])
    return user


@transaction.atomic
def resend_confirmation(user: User, *, language: str) -> None:
    if not user.email:
        raise WrongState("Your account has no e-mail address.", code="no_email")
    if user.email_confirmed:
        raise WrongState("Your e-mail address is already confirmed.", code="email_already_confirmed")
    _enqueue_email(emails.CONFIRM_EMAIL, user.pk, language)
