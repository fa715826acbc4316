from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from .models import User

_KEY_LENGTH = Token._meta.get_field("key").max_length


def token_and_user(key: str) -> tuple[Token, User] | None:
    """The token ``key`` with its user and the user's organisation (one
    query), or None. Whether the user is active is the caller's check."""
    if not (len(key) <= _KEY_LENGTH and key.isascii() and key.isprintable()):
        return None  # no such token; and a NUL would make PostgreSQL fail the query (a 500)
    token = Token.objects.select_related("user__organisation").filter(key=key).first()
    return (token, token.user) if token is not None else None


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
