"""The anonymous public read path from Django's cache (issue 22 item 4): the
register and a tender's body over the API (``GET /api/tenders/``,
``GET /api/tenders/{id}/``) and their pages (``/``, ``/tenders/{id}/``).

Only for a request that is anonymous by construction: a GET with no
``Authorization`` header and no session cookie (a signed-in browser has one,
and so does every session that could become signed in). Anything else takes
the ordinary path and neither reads nor fills the cache. Only what an
anonymous visitor may read is cached, which never holds sealed content.

Never stale after a socket message: every key holds the public **version**,
and ``live.events.emit`` bumps it after the commit and *before* the event is
handed to the channel layer (``invalidate``). A read that started before the
change may store what it read, but under the old version, which no later read
asks for. The version lives in the same cache (Redis in production, shared
by every process like the channel layer; this process's memory otherwise,
where the sockets are this process's too). ``PUBLIC_CACHE_SECONDS`` bounds
an entry's life (0 turns the cache off).

A key holds the language (pages and errors are translated), the view's
arguments and query, the ``Accept`` header (the API's renderer), and the
scheme and host (the API's page links are absolute). A page
is cached with placeholders for what differs per request, the CSRF token and
the server's clock, filled in at every answer; its headers (the CSP names
the host) are set per answer too. The placeholders are random, drawn anew for
every page rendered for the cache, so no text in a tender can name them.

The cache is an accelerator, never a dependency: when it fails (Redis down)
a read takes the ordinary path, and the failure is logged. The pages' own
internal calls to the API views (frontend/views.py ``_call_api``) bypass it:
the page around them is what is cached.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.middleware.csrf import get_token
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

VERSION_KEY = "public:version"
# The headers an answer depends on: one sent twice is read by Django one way
# and could be keyed another, so such a request is not served from the cache.
KEYED_HEADERS = frozenset({"host", "x-forwarded-host", "x-forwarded-proto", "accept", "accept-language", "cookie",
                           "authorization"})


def enabled() -> bool:
    return settings.PUBLIC_CACHE_SECONDS > 0


def is_anonymous(request: HttpRequest) -> bool:
    return (request.method == "GET" and "HTTP_AUTHORIZATION" not in request.META
            and settings.SESSION_COOKIE_NAME not in request.COOKIES)


def mark_internal(request: HttpRequest) -> None:
    """``request`` is a page's own call to an API view: it bypasses the cache."""
    request._public_cache_internal = True


def _cacheable(request: HttpRequest) -> bool:
    return enabled() and is_anonymous(request) and not getattr(request, "_public_cache_internal", False)


def _get(key: str):
    try:
        return cache.get(key)
    except Exception:  # the cache is down: the ordinary path answers
        logger.warning("The public cache could not be read", exc_info=True)
        return None


def _set(key: str, value) -> None:
    try:
        cache.set(key, value, settings.PUBLIC_CACHE_SECONDS)
    except Exception:
        logger.warning("The public cache could not be written", exc_info=True)


def _version() -> int | None:
    """The current version, or None when the cache cannot be read (then it is not asked)."""
    try:
        return version()
    except Exception:
        logger.warning("The public cache could not be read", exc_info=True)
        return None


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:  # never set, or evicted: a value no earlier key used
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        current = cache.get(VERSION_KEY)
    return current


def invalidate() -> None:
    """Every cached answer is out of date from now on (called on every live event)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # missing (evicted): start above any version used before
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)


def _key(request: HttpRequest, kind: str, kwargs: dict) -> str | None:
    """The key of ``request``'s answer, or None when the cache cannot be asked."""
    query = sorted((name, values) for name, values in request.GET.lists())
    # The scheme and host too: the API's page links are absolute.
    raw = repr((kind, sorted(kwargs.items()), query, request.META.get("HTTP_ACCEPT", ""), get_language(),
                request.scheme, request.get_host()))
    current = _version()
    if current is None:
        return None
    return f"public:{current}:{kind}:2:{hashlib.sha256(raw.encode()).hexdigest()}"


class CachedResponse(HttpResponse):
    """An answer from the cache; ``render()`` as a DRF response has (the pages
    call the API views and render their answers)."""

    def render(self):
        return self


def cached_api(kind: str) -> Callable:
    """An API view's 200 answers to anonymous requests, from the cache."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            key = _key(request, kind, kwargs) if _cacheable(request) else None
            if key is None:
                return view(request, *args, **kwargs)
            hit = _get(key)
            if hit is not None:
                content_type, body = hit
                return CachedResponse(body, content_type=content_type)
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                response.render()
                _set(key, (response["Content-Type"], response.content))
            return response
        return wrapper
    return decorate


def page_placeholders(request: HttpRequest) -> tuple[str, str] | None:
    """When the page being rendered is for the cache, the markers that stand
    for its CSRF token and its server time (``cached_page`` fills them in)."""
    return getattr(request, "_public_cache_page", None)


def cached_page(kind: str, headers: Callable[[HttpResponse, HttpRequest], HttpResponse]) -> Callable:
    """A page's 200 answers to anonymous requests, from the cache; ``headers``
    sets the per-request headers of an answer (the CSP)."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            key = _key(request, kind, {**kwargs, "path": request.get_full_path()}) if _cacheable(request) else None
            if key is None:  # the page shows the path
                return view(request, *args, **kwargs)
            hit, status = _get(key), 200
            if hit is None:
                markers = (f"csrf{secrets.token_hex(16)}", f"now{secrets.token_hex(16)}")
                request._public_cache_page = markers
                try:
                    response = view(request, *args, **kwargs)
                finally:
                    request._public_cache_page = None
                hit, status = (response["Content-Type"], response.content.decode(), *markers), response.status_code
                if status == 200:
                    _set(key, hit)
            content_type, body, csrf_marker, now_marker = hit
            now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            body = body.replace(csrf_marker, get_token(request)).replace(now_marker, now)
            return headers(HttpResponse(body, content_type=content_type, status=status), request)
        return wrapper
    return decorate


# --- in front of Django, for the API's two public reads -----------------------------
# A hit costs Django's whole middleware chain and a worker thread when served
# by the view; at the ASGI entry (procurement/asgi.py) it costs one cache
# read. The key is made of the request's raw inputs that can change the
# answer (host, path, query, Accept, Accept-Language, the language cookie):
# the same inputs get the same answer. What Django answered is replayed
# as it was sent, headers and all; an answer that sets a cookie is not kept.

API_PATH = re.compile(r"/api/tenders/(?:\d+/)?")


def _asgi_key(scope) -> str | None:
    if scope["method"] != "GET" or not API_PATH.fullmatch(scope["path"]):
        return None
    headers = {}
    for name, value in scope.get("headers", ()):
        name = name.decode("latin-1").lower()
        if name in headers and name in KEYED_HEADERS:
            return None
        headers[name] = value.decode("latin-1")
    if "authorization" in headers:
        return None
    cookies = parse_cookie(headers.get("cookie", ""))
    if settings.SESSION_COOKIE_NAME in cookies:
        return None
    raw = repr((scope["path"], scope.get("query_string", b""), scope.get("scheme", ""), scope.get("server"),
                headers.get("host", ""), headers.get("x-forwarded-host", ""), headers.get("x-forwarded-proto", ""),
                headers.get("accept", ""), headers.get("accept-language", ""),
                cookies.get(settings.LANGUAGE_COOKIE_NAME, "")))
    current = _version()
    if current is None:
        return None
    return f"public:{current}:asgi:{hashlib.sha256(raw.encode()).hexdigest()}"


def _asgi_lookup(scope) -> tuple[str | None, tuple | None]:
    key = _asgi_key(scope)
    return key, (_get(key) if key is not None else None)


async def serve_asgi(scope, receive, send, app) -> None:
    """Answer an HTTP request from the cache when it is an anonymous read of
    the register or a tender; else (and on a miss) through ``app``, keeping a
    200 JSON answer that sets no cookie."""
    key, hit = await sync_to_async(_asgi_lookup, thread_sensitive=False)(scope) if enabled() else (None, None)
    if key is None:
        await app(scope, receive, send)
        return
    if hit is not None:
        status, headers, body = hit
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    start, chunks = {}, []

    async def keeping(message):
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    await app(scope, receive, keeping)
    headers = [(bytes(name), bytes(value)) for name, value in start.get("headers", ())]
    if (start.get("status") == 200
            and any(name.lower() == b"content-type" and value.startswith(b"application/json") for name, value in headers)
            and not any(name.lower() == b"set-cookie" for name, _ in headers)):
        await sync_to_async(_set, thread_sensitive=False)(key, (200, headers, b"".join(chunks)))
