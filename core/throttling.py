"""Abuse limits: per client address and per username, on login,
registration, bid submission and questions (DRF throttles).

django-axes locks one username from one address after AXES_FAILURE_LIMIT
failed logins; a botnet rotating addresses, or one address rotating
usernames, got past that. These limits count every attempt (successful or
not) per address and per username in a sliding window, answering ``429
throttled`` with ``Retry-After``.

The count is kept by the `limits` library's moving window
(``PROCUREMENT_THROTTLE_STORAGE``): in Redis when REDIS_URL is set, shared by
every server process, where checking and counting an attempt is one Lua
script, so concurrent requests from several processes cannot all read "one
left" and all pass (DRF's own throttle reads the history, then writes it
back); in this process's memory otherwise, under a lock per key.

The address is core.clientip's, the same rule as the login lockout's: the
TCP peer, and X-Forwarded-For only from ``PROCUREMENT_TRUSTED_PROXIES``
(DRF's own ``get_ident`` would believe a client's forged header).

Rates are settings (``PROCUREMENT_THROTTLE_RATES``, one environment
variable per scope, e.g. ``THROTTLE_LOGIN_ADDRESS=60/hour``), read on every
request. If the storage cannot be reached the limit is skipped (and logged):
an outage of Redis must not stop logins and bids.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time

from django.conf import settings
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from rest_framework.throttling import BaseThrottle

from core.clientip import client_address

logger = logging.getLogger(__name__)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PERIODS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


@functools.cache
def _limiter(uri: str, prefix: str) -> MovingWindowRateLimiter:
    options = {"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith(("redis", "rediss")) else {}
    return MovingWindowRateLimiter(storage_from_string(uri, key_prefix=prefix, wrap_exceptions=True, **options))


def limiter() -> MovingWindowRateLimiter:
    return _limiter(settings.PROCUREMENT_THROTTLE_STORAGE, settings.PROCUREMENT_THROTTLE_KEY_PREFIX)


@functools.cache
def _item(rate: str) -> RateLimitItem:
    count, _, period = rate.partition("/")
    return parse(f"{int(count)}/{_PERIODS[period[:1]]}")


def reset_counts() -> None:
    """Forget every count (all scopes, all clients): an operator's unlock."""
    limiter().storage.reset()


class _Throttle(BaseThrottle):
    """One scope's limit: the rate from ``settings.PROCUREMENT_THROTTLE_RATES``,
    only unsafe methods counted."""

    scope = ""
    retry_after: float | None = None

    def identity(self, request, view) -> str | None:
        raise NotImplementedError

    def get_ident(self, request):
        return client_address(request) or "unknown"

    def allow_request(self, request, view):
        """Count this attempt and say whether it is within the limit; the
        storage's failures (and only those) are let through; a malformed body
        raises here as it would in the view."""
        rate = settings.PROCUREMENT_THROTTLE_RATES.get(self.scope)
        if request.method not in UNSAFE or rate is None:
            return True
        ident = self.identity(request, view)
        if not ident:
            return True
        item = _item(rate)
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no raw username or address in Redis
        try:
            if limiter().hit(item, self.scope, digest):
                return True
            reset_at = limiter().get_window_stats(item, self.scope, digest).reset_time
        except StorageError:  # Redis is down: do not refuse service over it
            logger.warning("Throttle %s skipped: the storage is unavailable", self.scope, exc_info=True)
            return True
        self.retry_after = max(1, math.ceil(reset_at - time.time()))
        return False

    def wait(self):
        return self.retry_after


class _ByAddress(_Throttle):
    def identity(self, request, view):
        return client_address(request) or "unknown"


class _ByUsername(_Throttle):
    """The username the request is about: the signed-in user's, or the one a
    login or registration names in its body."""

    def identity(self, request, view):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        data = request.data  # a malformed body raises its 400 (or 413) here
        username = data.get("username") if hasattr(data, "get") else None
        if isinstance(username, str) and username.strip():
            return "name:" + username.strip().lower()[:150]
        return None


class LoginAddress(_ByAddress):
    scope = "login_address"


class LoginUsername(_ByUsername):
    scope = "login_username"


class RegisterAddress(_ByAddress):
    scope = "register_address"


class RegisterUsername(_ByUsername):
    scope = "register_username"


class BidAddress(_ByAddress):
    scope = "bid_address"


class BidUser(_ByUsername):
    scope = "bid_user"


class QuestionAddress(_ByAddress):
    scope = "question_address"


class QuestionUser(_ByUsername):
    scope = "question_user"


class _ByEmail(_Throttle):
    """The e-mail address a password reset asks for: counted whether or not
    an account has it, so the limit tells nothing either."""

    def identity(self, request, view):
        data = request.data
        email = data.get("email") if hasattr(data, "get") else None
        if isinstance(email, str) and email.strip():
            return "email:" + email.strip().lower()[:254]
        return None


class PasswordResetAddress(_ByAddress):
    scope = "password_reset_address"


class PasswordResetEmail(_ByEmail):
    scope = "password_reset_email"


class PasswordResetConfirmAddress(_ByAddress):
    scope = "password_reset_confirm_address"


class PasswordChangeUser(_ByUsername):
    scope = "password_change_user"


class EmailConfirmationUser(_ByUsername):
    scope = "email_confirmation_user"


LOGIN = [LoginAddress, LoginUsername]
REGISTER = [RegisterAddress, RegisterUsername]
BIDS = [BidAddress, BidUser]
QUESTIONS = [QuestionAddress, QuestionUser]
PASSWORD_RESET = [PasswordResetAddress, PasswordResetEmail]
PASSWORD_RESET_CONFIRM = [PasswordResetConfirmAddress]  # the links and e-mail confirmations
PASSWORD_CHANGE = [PasswordChangeUser]
EMAIL_CONFIRMATION = [EmailConfirmationUser]
