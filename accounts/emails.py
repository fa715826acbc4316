"""The account e-mails (a password reset link, an address confirmation link),
built when the task worker sends them (``notifications.tasks.send_account_email``),
in the language the request that asked for them was in.

A reset is asked for by address: who has that address is looked up here, in
the worker, so the request does the same work whether or not the address is
known (no account enumeration through the answer or its timing)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from . import tokens
from .models import User

PASSWORD_RESET = "password_reset"
CONFIRM_EMAIL = "confirm_email"


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


def _link(path: str, user: User, token: str) -> str:
    # The uid and token ride in the fragment: a browser never sends it, so it
    # is in no server's or proxy's access log, nor in a Referer header.
    return f"{settings.PROCUREMENT_PUBLIC_URL}{path}#uid={tokens.uid(user)}&token={token}"


def password_reset_messages(email: str) -> list[Message]:
    """One message per active account with this address and a password."""
    users = [u for u in User.objects.filter(email__iexact=email, is_active=True).order_by("pk")
             if u.has_usable_password()]
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    return [Message(to=user.email, subject=_("Reset your password on the tender platform"),
                    body=_("Someone (we hope you) asked to reset the password of the account \"%(username)s\".\n"
                           "Choose a new password here (the link works once, for %(hours)s hours):\n%(link)s\n\n"
                           "If you did not ask, ignore this message: your password stays as it is.")
                    % {"username": user.username, "hours": hours,
                       "link": _link("/password/reset/confirm/", user, tokens.password_reset.make_token(user))})
            for user in users]


def confirmation_messages(user_id: int) -> list[Message]:
    """The confirmation link to the user's address, unless it is confirmed."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or user.email_confirmed:
        return []
    return [Message(to=user.email, subject=_("Confirm your e-mail address on the tender platform"),
                    body=_("Confirm that \"%(username)s\" reads this address, to receive the notifications "
                           "of tenders by e-mail:\n%(link)s\n\n"
                           "If you did not register on the tender platform, ignore this message.")
                    % {"username": user.username,
                       "link": _link("/account/confirm-email/", user, tokens.email_confirmation.make_token(user))})]


def build(kind: str, target: str | int) -> list[Message]:
    if kind == PASSWORD_RESET:
        return password_reset_messages(str(target))
    if kind == CONFIRM_EMAIL:
        return confirmation_messages(int(target))
    raise ValueError(f"unknown account e-mail {kind!r}")
