"""Live events: built in the service that made the change, serialised once,
sent only after the transaction commits (``transaction.on_commit``), so a
rolled-back change is never announced. Consumers forward the text as is.

Groups: ``tenders`` (public feed), ``tender.<id>`` (one tender),
``tender.<id>.org.<org id>`` (one organisation's private events on one
tender, e.g. a supplier's receipt), and ``org.<org id>`` (an organisation's
own notifications, on its authenticated feed socket). Only sockets
authenticated as a user of that organisation join the private groups. Every
authenticated socket also joins ``user.<user id>``, which carries one
message, ``REVOKED_TYPE``: the user's credentials changed (a password change
or reset, a revoked token, a sign-out), so each of its sockets is closed and
reconnects with whatever credentials its client still holds.

Channel layers deliver at most once: a client that reconnects re-reads the
state (the snapshot, or the HTTP API) instead of expecting missed events.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from core import public_cache
from core.isotime import iso

logger = logging.getLogger(__name__)

FEED_GROUP = "tenders"
# The one layer message type; consumers forward its "text" untouched.
MESSAGE_TYPE = "event.message"
# Not forwarded: closes every socket of one user (``close_user_sockets``).
REVOKED_TYPE = "credentials.revoked"


def tender_group(tender_id: int | str) -> str:
    return f"tender.{tender_id}"


def private_group(tender_id: int | str, org_id: int) -> str:
    return f"tender.{tender_id}.org.{org_id}"


def committee_group(tender_id: int | str) -> str:
    """The tender's committee channel: the owner's officers and the committee
    members only (live.consumers.CommitteeConsumer checks who joins)."""
    return f"tender.{tender_id}.committee"


def org_group(org_id: int) -> str:
    return f"org.{org_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def close_user_sockets(user_id: int) -> None:
    """After the transaction commits: every socket authenticated as this user
    is closed (4401), so none keeps hearing private events on credentials
    that no longer hold."""
    transaction.on_commit(lambda: async_to_sync(_revoke)(user_id))


async def _revoke(user_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(user_group(user_id), {"type": REVOKED_TYPE})
    except Exception:
        logger.exception("The sockets of user %s could not be told to close", user_id)


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


# While an ASGI server runs (its lifespan calls start_outbox/stop_outbox):
# its event loop, and the queue its request threads hand their events to.
_outbox: tuple[asyncio.AbstractEventLoop, asyncio.Queue] | None = None
# Beyond this many queued events (the channel layer is slow or down), request
# threads send their own events again and so wait for the layer: backpressure
# instead of an unbounded queue.
OUTBOX_LIMIT = 10_000


async def _send_in_order(queue: asyncio.Queue) -> None:
    while True:
        groups, text = await queue.get()
        try:
            await _group_send_all(groups, text)
        finally:
            queue.task_done()


def _sender_ended(task: asyncio.Task) -> None:
    global _outbox
    if not task.cancelled():  # it never returns on its own: something broke it
        logger.error("The live-event sender stopped (%r); events are sent directly from now on",
                     task.exception())
        _outbox = None


def start_outbox() -> asyncio.Task:
    """On the server's running loop (once per process): from now on, events
    sent from its request threads are queued and sent in order by one task,
    and the thread goes on (the response does not wait for the channel
    layer). The layer is made now, so the first request does not pay for
    importing it."""
    global _outbox
    queue: asyncio.Queue = asyncio.Queue()
    get_channel_layer()
    task = asyncio.create_task(_send_in_order(queue), name="live-events")
    task.add_done_callback(_sender_ended)
    _outbox = (asyncio.get_running_loop(), queue)
    return task


async def stop_outbox(task: asyncio.Task | None, timeout: float) -> None:
    """At shutdown: stop queueing, send what is queued (at most ``timeout`` s)."""
    global _outbox
    if task is None:
        return
    queue = _outbox[1] if _outbox is not None else None
    _outbox = None
    if queue is not None:
        try:
            await asyncio.wait_for(queue.join(), timeout=timeout)
        except TimeoutError:
            logger.warning("%d live events were not sent before shutdown", queue.qsize())
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def send(groups: list[str], text: str) -> None:
    """Send already-serialised text to groups. From a request thread of a
    running ASGI server the event is queued for its loop (delivery is at most
    once either way); elsewhere (the scheduler command, a test without the
    server), or when the queue is full, it is sent before returning."""
    outbox = _outbox
    if outbox is not None and outbox[1].qsize() < OUTBOX_LIMIT:
        loop, queue = outbox
        try:
            loop.call_soon_threadsafe(queue.put_nowait, (groups, text))
            return
        except RuntimeError:  # the loop has closed: send it from here
            pass
    async_to_sync(_group_send_all)(groups, text)


def payload(tender, event_type: str, *, now: datetime, **extra) -> dict:
    return {"type": event_type, "tender": str(tender.pk), "status": tender.status, "at": iso(now), **extra}


def emit(tender, event_type: str, *, now: datetime, feed: bool = False, org_id: int | None = None,
         org_wide: bool = False, committee: bool = False, **extra) -> None:
    """Schedule an event for after commit: to the tender's group, to the public
    feed as well when ``feed``, or only to one organisation's sockets on this
    tender when ``org_id`` is given (on all its authenticated feed sockets
    with ``org_wide``). The payload is serialised here, once, at the state the
    caller holds (under the tender's lock). ``committee`` sends it only to
    the tender's committee channel."""
    text = json.dumps(payload(tender, event_type, now=now, **extra), cls=DjangoJSONEncoder,
                      ensure_ascii=False)
    if committee:
        groups = [committee_group(tender.pk)]
    elif org_id is not None:
        groups = [org_group(org_id) if org_wide else private_group(tender.pk, org_id)]
    else:
        groups = [tender_group(tender.pk)] + ([FEED_GROUP] if feed else [])
    transaction.on_commit(lambda: _after_commit(groups, text))


def _after_commit(groups: list[str], text: str) -> None:
    """The public cache forgets what it holds before any socket can hear of
    the change (core.public_cache): the next read after the message is fresh."""
    try:
        public_cache.invalidate()
    except Exception:  # the cache is down: nothing is served from it either
        logger.exception("The public cache could not be invalidated")
    send(groups, text)
