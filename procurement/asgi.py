"""ASGI entry point: HTTP (Django) and WebSockets (Channels).

With PROCUREMENT_SCHEDULER_IN_PROCESS=1 (the one-command development run) the
deadline scheduler runs as a task on this server's event loop, started and
stopped by the ASGI lifespan, so its live events reach sockets on the
in-memory layer. Production runs `manage.py run_scheduler` instead.
"""

import asyncio
import json
import os

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from core import dbhealth, public_cache  # noqa: E402
from procurement import health, logs, startup, uploads  # noqa: E402


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler running the whole middleware chain and the view
    synchronously, in one worker thread per request.

    Django's own handler builds an async chain: every ``MiddlewareMixin``
    middleware (all of Django's, and WhiteNoise, which is sync only) then
    hops to a thread and back for its request half and again for its response
    half, a dozen hops per request. Every view here is synchronous, so the
    chain is built as under WSGI and entered once through ``sync_to_async``
    (thread-sensitive: inside the request's ``ThreadSensitiveContext``, each
    request keeps its own thread, as before)."""

    def load_middleware(self, is_async=True):  # Django asks for an async chain; build the sync one
        super().load_middleware(is_async=False)
        self._middleware_chain = self.adapt_method_mode(True, self._middleware_chain, False)

    # The body stays in memory, capped (procurement/uploads.py): Django's
    # handler spools it to a temporary file above FILE_UPLOAD_MAX_MEMORY_SIZE,
    # which would put a sealed bid's documents on disk in clear.
    async def handle(self, scope, receive, send):
        length = uploads.declared_length(scope)
        if length is not None and length > settings.PROCUREMENT_MAX_REQUEST_BYTES:
            await uploads.send_too_large(send)
            return
        try:
            await super().handle(scope, receive, send)
        except uploads.BodyTooLarge:
            await uploads.send_too_large(send)

    async def read_body(self, receive):
        return await uploads.read_body_in_memory(receive)


django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from live.auth import TokenAuthMiddleware  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

_authenticated_sockets = AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))


async def _database_guard(scope, receive, send):
    """The socket stack, closing with 1013 (try again later) instead of an
    HTTP 500 when the database is down: the session and token lookups and
    the tender snapshot need it. While the outage breaker is open
    (procurement/dbhealth.py) the database is not even tried."""
    received, accepted = [], False

    async def receiving():
        message = await receive()
        received.append(message["type"])
        return message

    async def sending(message):
        nonlocal accepted
        accepted = accepted or message["type"] == "websocket.accept"
        await send(message)

    async def close_try_again_later():
        if "websocket.connect" not in received and (await receive())["type"] != "websocket.connect":
            return
        if not accepted:
            await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1013})

    if dbhealth.breaker.down:
        await close_try_again_later()
        return
    try:
        await _authenticated_sockets(scope, receiving, sending)
    except Exception as exc:
        if not dbhealth.is_outage(exc):
            raise
        dbhealth.breaker.record_failure(exc)
        await close_try_again_later()


router = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(_database_guard),  # a foreign origin: 403 before anything
})


# Django runs each HTTP request's sync code in a thread of its own, with no
# bound: a burst of 500 bids at a deadline started 500 threads that shared the
# GIL and the connection pool in lockstep, so none finished for seconds and
# every bid reached the deadline late. At most HTTP_CONCURRENCY requests run
# at once; the rest wait their turn (first come, first served) as cheap
# coroutines in the event loop. A slot is freed as soon as the response
# starts, so slow readers of a large response do not hold one. WebSockets are
# not counted.
_http_slots = asyncio.Semaphore(settings.HTTP_CONCURRENCY)


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    # Every log line this connection causes carries its request id (procurement/logs.py).
    rid = logs.bind_request_id(scope.get("headers", ()))
    if scope["type"] == "http":
        send = _with_request_id(send, rid.encode())
        if scope["path"] in health.PATHS:
            await health.serve(scope, receive, send)
            return
        # Anonymous reads of the register and of a tender: from the cache when it holds them.
        await public_cache.serve_asgi(scope, receive, send, _bounded_http)
        return
    await router(scope, receive, send)


def _with_request_id(send, rid: bytes):
    async def sending(message):
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), (b"x-request-id", rid)]}
        await send(message)
    return sending


# While the database is down (procurement/dbhealth.py), requests are answered
# 503 at once, before and after waiting for a slot, except one probe at a time.
# (/healthz and /readyz are answered before this: procurement/health.py.)
async def _bounded_http(scope, receive, send):
    if dbhealth.breaker.refusing():
        await _send_unavailable(send, scope)
        return
    await _http_slots.acquire()
    held = True
    admission = dbhealth.breaker.admit()

    async def send_and_free(message):
        nonlocal held
        if held and message["type"] == "http.response.start":
            held = False
            _http_slots.release()
        await send(message)

    try:
        if admission == "refuse" or (admission == "probe" and not await dbhealth.probe()):
            await _send_unavailable(send_and_free, scope)
        else:
            await router(scope, receive, send_and_free)
    finally:
        if held:
            _http_slots.release()


async def _send_unavailable(send, scope):
    """The 503 of an outage: the API's JSON body, or a page in the reader's language."""
    if dbhealth.is_page(scope["path"]):
        headers = {name: value.decode("latin-1") for name, value in scope.get("headers", ())}
        language = dbhealth.page_language(headers.get(b"cookie", ""), headers.get(b"accept-language", ""))
        payload = dbhealth.unavailable_page(language).encode()
        extra = [(b"content-type", b"text/html; charset=utf-8"), (b"content-language", language.encode()),
                 (b"content-security-policy", dbhealth.PAGE_CSP.encode()), (b"cache-control", b"no-store")]
    else:
        payload = json.dumps(dbhealth.body()).encode()
        extra = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 503,
                "headers": [*extra, (b"content-length", str(len(payload)).encode()),
                            (b"retry-after", dbhealth.retry_after().encode())]})
    await send({"type": "http.response.body", "body": payload})


async def _lifespan(receive, send):
    from core import scheduler
    from live import events

    stop, task, outbox = asyncio.Event(), None, None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            # Live events from request threads go to this loop without
            # making the response wait for the channel layer.
            outbox = events.start_outbox()
            startup.settle_heap()
            if settings.PROCUREMENT_SCHEDULER_IN_PROCESS:
                task = asyncio.create_task(scheduler.serve(stop), name="deadline-scheduler")
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if task is not None:
                stop.set()
                try:
                    await asyncio.wait_for(task, timeout=5)
                except TimeoutError:
                    task.cancel()
            await events.stop_outbox(outbox, timeout=2)
            await send({"type": "lifespan.shutdown.complete"})
            return
