"""Abuse limits: per client address and per username, on login,
registration, bid submission and questions (DRF throttling, counted in the
cache: Redis when REDIS_URL is set, so all server processes share the counts).

django-axes locks one username from one address after AXES_FAILURE_LIMIT
failed logins; a botnet rotating addresses, or one address rotating
usernames, got past that. These limits count every attempt (successful or
not) per address and per username in a sliding window, answering ``429
throttled`` with ``Retry-After``.

The address is core.clientip's, the same rule as the login lockout's: the
TCP peer, and X-Forwarded-For only from ``PROCUREMENT_TRUSTED_PROXIES``
(DRF's own ``get_ident`` would believe a client's forged header, so it is
overridden too).

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

from core.clientip import client_address

logger = logging.getLogger(__name__)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class _Throttle(SimpleRateThrottle):
    """One scope's limit: the rate from ``settings.PROCUREMENT_THROTTLE_RATES``,
    only unsafe methods counted."""

    scope = ""

    def get_rate(self):
        return settings.PROCUREMENT_THROTTLE_RATES.get(self.scope)

    def identity(self, request, view) -> str | None:
        raise NotImplementedError

    def get_ident(self, request):
        return client_address(request)

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


LOGIN = [LoginAddress, LoginUsername]
REGISTER = [RegisterAddress, RegisterUsername]
BIDS = [BidAddress, BidUser]
QUESTIONS = [QuestionAddress, QuestionUser]
