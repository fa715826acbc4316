"""Abuse limits: per client address and per username, on login,
registration, bid submission and questions (DRF throttling, counted in the
cache: Redis when REDIS_URL is set, so all server processes share the counts).

django-axes locks one username from one address after AXES_FAILURE_LIMIT
failed logins; a botnet rotating addresses, or one address rotating
usernames, got past that. These limits count every attempt (successful or
not) per address and per username in a sliding window, answering ``429
throttled`` with ``Retry-After``.

The address is REMOTE_ADDR only. X-Forwarded-For is never read here (DRF's
own ``get_ident`` would believe a client's forged header): behind a proxy,
uvicorn's ``--proxy-headers --forwarded-allow-ips <proxy>`` puts the client's
address in REMOTE_ADDR, and only when the request came from that proxy.

Rates are settings (``PROCUREMENT_THROTTLE_RATES``, one environment
variable per scope, e.g. ``THROTTLE_LOGIN_ADDRESS=60/hour``), read on every
request. If the cache cannot be reached the limit is skipped (and logged):
an outage of Redis must not stop logins and bids.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class _Throttle(SimpleRateThrottle):
    """One scope's limit: the rate from ``settings.PROCUREMENT_THROTTLE_RATES``,
    only unsafe methods counted."""

    scope = ""

    def get_rate(self):
        return settings.PROCUREMENT_THROTTLE_RATES.get(self.scope)

    def identity(self, request, view) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request, view):
        ident = self.identity(request, view)
        if not ident:
            return None
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no raw username or address in Redis
        return f"throttle:{self.scope}:{digest}"

    def allow_request(self, request, view):
        """DRF's sliding window, with the cache's failures (and only those)
        let through; a malformed body raises here as it would in the view."""
        if request.method not in UNSAFE or self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            self.history = self.cache.get(self.key, [])
            self.now = self.timer()
            while self.history and self.history[-1] <= self.now - self.duration:
                self.history.pop()
            if len(self.history) >= self.num_requests:
                return self.throttle_failure()
            return self.throttle_success()
        except Exception:  # the cache (Redis) is down: do not refuse service over it
            logger.warning("Throttle %s skipped: the cache is unavailable", self.scope, exc_info=True)
            return True


class _ByAddress(_Throttle):
    def identity(self, request, view):
        return client_address(request)


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
