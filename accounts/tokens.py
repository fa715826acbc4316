"""The links e-mailed to a user: Django's own token flow (a user id in URL-safe
base64 and an HMAC token with a timestamp, valid ``PASSWORD_RESET_TIMEOUT``
seconds). A reset token hashes the password and the last login, so it is
spent by the reset it allows (and by any log-in); a confirmation token hashes
the address and the confirmed address, so it is spent by the confirmation
and void once the address changes."""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from .models import User


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.confirmed_email}{timestamp}"


password_reset = default_token_generator
email_confirmation = EmailConfirmationTokenGenerator()


def uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uid(value: str, *, lock: bool = False) -> User | None:
    """The active user ``value`` names, or None for anything else."""
    try:
        pk = int(force_str(urlsafe_base64_decode(value)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    if not 0 < pk < 2**63:
        return None
    users = User.objects.select_for_update() if lock else User.objects
    return users.filter(pk=pk, is_active=True).first()
