from functools import cache

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from core import rows

from .models import Organisation, User

_TOKEN_FIELDS, _USER_FIELDS, _ORG_FIELDS = (rows.every_field(m) for m in (Token, User, Organisation))
_KEY_LENGTH = Token._meta.get_field("key").max_length


@cache
def _token_sql() -> str:
    return (f"SELECT {rows.columns(Token, _TOKEN_FIELDS, 't')}, {rows.columns(User, _USER_FIELDS, 'u')}, "
            f"{rows.columns(Organisation, _ORG_FIELDS, 'o')} "
            f"FROM {Token._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
            f"LEFT JOIN {Organisation._meta.db_table} o ON o.id = u.organisation_id WHERE t.key = %s")


def token_and_user(key: str) -> tuple[Token, User] | None:
    """The token ``key``, its user and the user's organisation (loaded on the
    user), in one query, or None. Plain SQL (whole rows, converted as the ORM
    converts them): every API call and socket of a bidder runs it, and the
    ORM's compile of the two-level join cost more than the query. Whether the
    user is active is the caller's check."""
    if not (len(key) <= _KEY_LENGTH and key.isascii() and key.isprintable()):
        return None  # no such token; and a NUL would make PostgreSQL fail the query (a 500)
    (found,) = rows.run([(_token_sql(), [key])])
    if not found.rows:
        return None
    row = found.rows[0]
    user_at, org_at = len(_TOKEN_FIELDS), len(_TOKEN_FIELDS) + len(_USER_FIELDS)
    token = rows.instance(Token, _TOKEN_FIELDS, row[:user_at])
    user = rows.instance(User, _USER_FIELDS, row[user_at:org_at])
    user.organisation = (rows.instance(Organisation, _ORG_FIELDS, row[org_at:])
                         if user.organisation_id is not None else None)
    token.user = user
    return token, user


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the user's organisation with the
    token (every role check and every service reads it)."""

    def authenticate_credentials(self, key):
        found = token_and_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token
