from functools import cache

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import authentication, exceptions

from core import rows

from .models import Organisation, User

_TOKEN_FIELDS, _USER_FIELDS, _ORG_FIELDS = (rows.every_field(m) for m in (AuthToken, User, Organisation))
# knox's keys (64 characters after its prefix); the previous release's were 40.
_KEY_LENGTH = knox_settings.AUTH_TOKEN_CHARACTER_LENGTH + CONSTANTS.MAXIMUM_TOKEN_PREFIX_LENGTH


@cache
def _token_sql() -> str:
    return (f"SELECT {rows.columns(AuthToken, _TOKEN_FIELDS, 't')}, {rows.columns(User, _USER_FIELDS, 'u')}, "
            f"{rows.columns(Organisation, _ORG_FIELDS, 'o')} "
            f"FROM {AuthToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
            f"LEFT JOIN {Organisation._meta.db_table} o ON o.id = u.organisation_id "
            f"WHERE t.digest = %s AND (t.expiry IS NULL OR t.expiry > %s)")


def token_and_user(key: str) -> tuple[AuthToken, User] | None:
    """The live token whose key is ``key`` (found by the key's digest: the
    key itself is not stored), its user and the user's organisation (loaded
    on the user), in one query, or None. Plain SQL (whole rows, converted as
    the ORM converts them): every API call and socket of a bidder runs it,
    and the ORM's compile of the two-level join cost more than the query.
    Whether the user is active is the caller's check."""
    if not (len(key) <= _KEY_LENGTH and key.isascii() and key.isprintable()):
        return None  # no such token
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    (found,) = rows.run([(_token_sql(), [hash_token(key), now])])
    if not found.rows:
        return None
    row = found.rows[0]
    user_at, org_at = len(_TOKEN_FIELDS), len(_TOKEN_FIELDS) + len(_USER_FIELDS)
    token = rows.instance(AuthToken, _TOKEN_FIELDS, row[:user_at])
    user = rows.instance(User, _USER_FIELDS, row[user_at:org_at])
    user.organisation = (rows.instance(Organisation, _ORG_FIELDS, row[org_at:])
                         if user.organisation_id is not None else None)
    token.user = user
    return token, user


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, checked against the stored digests
    (accounts/tokens.py), loading the user's organisation with the token
    (every role check and every service reads it)."""

    def authenticate_credentials(self, key):
        found = token_and_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token
