"""The tokens of an account.

E-mailed links (password reset, address confirmation): Django's own token flow (a user id in URL-safe
base64 and an HMAC token with a timestamp, valid ``PASSWORD_RESET_TIMEOUT``
seconds). A reset token hashes the password and the last login, so it is
spent by the reset it allows (and by any log-in); a confirmation token hashes
the address and the confirmed address, so it is spent by the confirmation
and void once the address changes.

API tokens (django-rest-knox): only a digest (SHA-512) of each key is
stored, the key itself is returned once, when the token is issued; a user
lists its tokens (by their public prefix) and revokes any of them.

Tokens issued by the previous release (DRF's authtoken, stored in clear)
were hashed into this table by the migration
``accounts.0002_hash_existing_api_tokens``, so clients holding one keep
working and the clear keys are gone from the database."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from knox.models import AuthToken
from knox.settings import CONSTANTS

from core.errors import NotFound

from . import signals
from .models import User

# What a token's public prefix can be (knox: hex, after an optional prefix of
# letters): anything else names no token, and is not sent to the database.
TOKEN_ID = re.compile(rf"[0-9A-Za-z_-]{{1,{CONSTANTS.TOKEN_KEY_LENGTH}}}")


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


@transaction.atomic
def issue(user: User) -> str:
    """A new token for ``user``; returns its key (never stored, never shown
    again). Beyond ``API_TOKENS_PER_USER`` the oldest are revoked."""
    _, key = AuthToken.objects.create(user=user)
    keep = settings.API_TOKENS_PER_USER
    stale = list(AuthToken.objects.filter(user=user).order_by("-created", "-digest")
                 .values_list("digest", flat=True)[keep:])
    if stale:
        AuthToken.objects.filter(digest__in=stale).delete()
    return key


def of(user: User, *, now: datetime | None = None) -> list[AuthToken]:
    """The user's live tokens, newest first."""
    now = now or timezone.now()
    return list(AuthToken.objects.filter(user=user).exclude(expiry__lte=now).order_by("-created", "-digest"))


@transaction.atomic
def revoke(user: User, *, token_id: str) -> None:
    """Revoke the user's token whose public prefix is ``token_id``; another
    user's, or an unknown one, is 404."""
    if not TOKEN_ID.fullmatch(token_id):
        raise NotFound("No such token.")
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_id).delete()
    if not deleted:
        raise NotFound("No such token.")
    signals.credentials_changed.send(sender=AuthToken, user=user)  # a socket opened with it closes


def revoke_all(user: User) -> None:
    """Revoke every API token of ``user`` (after a password change or reset)."""
    AuthToken.objects.filter(user=user).delete()
