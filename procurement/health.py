"""Probes for a load balancer, answered by the ASGI entry point itself
(before Django: no Host check, no HTTPS redirect, no concurrency slot).

- ``GET /healthz``: the process is alive and its event loop answers. 200
  ``{"status": "ok"}``; never touches the database.
- ``GET /readyz``: this process can serve: the database answers ``SELECT 1``,
  the channel layer (Redis) accepts a publish, and some scheduler completed a
  pass within ``PROCUREMENT_SCHEDULER_STALE_AFTER`` seconds (its heartbeat,
  ``scheduling.Heartbeat``). 200 ``{"status": "ready", "checks": {...}}`` or
  503 ``{"status": "not_ready", ...}``; each check gives up after
  ``READINESS_TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from core import dbhealth

PATHS = ("/healthz", "/readyz")

# One thread for the database checks: a check stuck on a dead database holds
# it, and the next probe reports "busy" instead of piling up threads.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness")
_busy = asyncio.Lock()


def _database_and_scheduler() -> dict:
    from django.db import connection, connections

    from scheduling import services as scheduling

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat = scheduling.health(timezone.now())
    finally:
        connections.close_all()
    last = beat["last_pass_at"]
    return {
        "database": {"ok": True},
        "scheduler": {"ok": not beat["stale"], "last_pass_at": last.isoformat() if last else None,
                      "stale_after": settings.PROCUREMENT_SCHEDULER_STALE_AFTER,
                      "failing_items": beat["failing_items"]},
    }


async def _check_database_and_scheduler() -> dict:
    """While the database is known to be down this is one of the breaker's
    probes (so an instance the balancer took out of service still finds out
    when the database is back); otherwise a plain check."""
    unknown = {"ok": False, "detail": "not checked: the database is unavailable"}
    admission = dbhealth.breaker.admit()
    if admission == "refuse":
        return {"database": {"ok": False, "detail": "unavailable (failing fast)"}, "scheduler": unknown}
    if _busy.locked():
        return {"database": {"ok": False, "detail": "the previous check has not finished"}, "scheduler": unknown}
    if admission == "probe":
        dbhealth.probing.set(True)
    try:
        async with _busy:
            result = await asyncio.wait_for(
                sync_to_async(_database_and_scheduler, thread_sensitive=False, executor=_executor)(),
                timeout=settings.READINESS_TIMEOUT)
    except TimeoutError:
        return {"database": {"ok": False, "detail": "timed out"}, "scheduler": unknown}
    except Exception as exc:
        if dbhealth.is_outage(exc):
            dbhealth.breaker.record_failure(exc)
        return {"database": {"ok": False, "detail": type(exc).__name__}, "scheduler": unknown}
    else:
        dbhealth.breaker.record_success()
        return result
    finally:
        if admission == "probe":
            dbhealth.breaker.probe_done(False)  # the check above closed it if it got through


async def _check_channel_layer() -> dict:
    from channels.layers import get_channel_layer

    try:
        await asyncio.wait_for(get_channel_layer().group_send("readiness", {"type": "readiness.probe"}),
                               timeout=settings.READINESS_TIMEOUT)
    except Exception as exc:
        return {"ok": False, "detail": type(exc).__name__}
    return {"ok": True}


async def readiness() -> tuple[int, dict]:
    checks, layer = await asyncio.gather(_check_database_and_scheduler(), _check_channel_layer())
    checks["channel_layer"] = layer
    ready = all(check["ok"] for check in checks.values())
    return (200 if ready else 503), {"status": "ready" if ready else "not_ready", "checks": checks}


async def serve(scope, receive, send) -> None:
    if scope["method"] not in ("GET", "HEAD"):
        status, body = 405, {"code": "method_not_allowed", "detail": "Use GET."}
    elif scope["path"] == "/healthz":
        status, body = 200, {"status": "ok"}
    else:
        status, body = await readiness()
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else payload})
