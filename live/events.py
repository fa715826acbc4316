"""Live events: built in the service that made the change, serialised once,
sent only after the transaction commits (``transaction.on_commit``), so a
rolled-back change is never announced. Consumers forward the text as is.

Groups: ``tenders`` (public feed), ``tender.<id>`` (one tender),
``tender.<id>.org.<org id>`` (one organisation's private events on one
tender, e.g. a supplier's receipt), and ``org.<org id>`` (an organisation's
own notifications, on its authenticated feed socket). Only sockets
authenticated as a user of that organisation join the private groups.

Channel layers deliver at most once: a client that reconnects re-reads the
state (the snapshot, or the HTTP API) instead of expecting missed events.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from procurement.isotime import iso

logger = logging.getLogger(__name__)

FEED_GROUP = "tenders"
# The one layer message type; consumers forward its "text" untouched.
MESSAGE_TYPE = "event.message"


def tender_group(tender_id: int | str) -> str:
    return f"tender.{tender_id}"


def private_group(tender_id: int | str, org_id: int) -> str:
    return f"tender.{tender_id}.org.{org_id}"


def org_group(org_id: int) -> str:
    return f"org.{org_id}"


async def _group_send_all(groups: list[str], text: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": MESSAGE_TYPE, "text": text}
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:  # the change is committed; a lost push is re-read by clients over HTTP
            logger.exception("Live event to %s could not be sent", group)


# The ASGI server's event loop, while it serves (set by its lifespan), and
# the sends handed to it that have not finished yet.
_server_loop: asyncio.AbstractEventLoop | None = None
_in_flight: set[concurrent.futures.Future] = set()


def serve_on(loop: asyncio.AbstractEventLoop | None) -> None:
    """Hand events sent from this server's request threads to ``loop``
    (``None``: stop). Called by the ASGI lifespan (procurement.asgi)."""
    global _server_loop
    _server_loop = loop


async def drain(timeout: float) -> None:
    """Wait (at most ``timeout`` s) for the sends handed to the loop: at shutdown."""
    if _in_flight:
        await asyncio.wait([asyncio.wrap_future(f) for f in list(_in_flight)], timeout=timeout)


def send(groups: list[str], text: str) -> None:
    """Send already-serialised text to groups. From a request thread of the
    ASGI server the send is handed to its event loop and the thread goes on
    (the response does not wait for the channel layer: delivery is at most
    once either way); elsewhere (the scheduler, a management command, a test
    without the server) it is sent before returning."""
    loop = _server_loop
    if loop is not None and loop.is_running():
        future = asyncio.run_coroutine_threadsafe(_group_send_all(groups, text), loop)
        _in_flight.add(future)
        future.add_done_callback(_in_flight.discard)
        return
    async_to_sync(_group_send_all)(groups, text)


def payload(tender, event_type: str, *, now: datetime, **extra) -> dict:
    return {"type": event_type, "tender": str(tender.pk), "status": tender.status, "at": iso(now), **extra}


def emit(tender, event_type: str, *, now: datetime, feed: bool = False, org_id: int | None = None,
         org_wide: bool = False, **extra) -> None:
    """Schedule an event for after commit: to the tender's group, to the public
    feed as well when ``feed``, or only to one organisation's sockets on this
    tender when ``org_id`` is given (on all its authenticated feed sockets
    with ``org_wide``). The payload is serialised here, once, at the state the
    caller holds (under the tender's lock)."""
    text = json.dumps(payload(tender, event_type, now=now, **extra), cls=DjangoJSONEncoder,
                      ensure_ascii=False)
    if org_id is not None:
        groups = [org_group(org_id) if org_wide else private_group(tender.pk, org_id)]
    else:
        groups = [tender_group(tender.pk)] + ([FEED_GROUP] if feed else [])
    transaction.on_commit(lambda: send(groups, text))
