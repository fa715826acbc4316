"""API tokens (django-rest-knox): only a digest (SHA-512) of each key is
stored, the key itself is returned once, when the token is issued; a user
lists its tokens (by their public prefix) and revokes any of them.

Tokens issued by the previous release (DRF's authtoken, stored in clear)
were hashed into this table by the migration
``accounts.0002_hash_existing_api_tokens``, so clients holding one keep
working and the clear keys are gone from the database."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from core.errors import NotFound

from .models import User


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
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_id).delete()
    if not deleted:
        raise NotFound("No such token.")
