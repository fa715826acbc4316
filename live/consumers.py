"""WebSocket consumers: join groups, send a snapshot, forward events.

They never write to the database and never decide anything: every event is
built and serialised once by the service that made the change
(``live.events``) and forwarded here as text, untouched.

Close codes: 4404 for a tender that does not exist or is still a draft
(the same answer for both, so a socket cannot probe for drafts), and for a
path that is no socket of ours; 1013 ("try again later") when the channel
layer (Redis) cannot be reached, at the handshake or later (and when the
database cannot: procurement/asgi.py). A refused origin
is rejected before the handshake completes (HTTP 403). 4403 on a tender's
committee socket (ws/tenders/<id>/committee/) for anyone but an officer of
the tender's buyer or a member of its committee. 4401 closes every socket of
a user whose credentials changed (password, token revoked, signed out:
``live.events.close_user_sockets``); the client reconnects at once with what
it still holds.
"""

import asyncio
import contextlib
import json
import logging

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch

from auctions.selectors import public_states
from bids.services import opening_record
from evaluation.selectors import committee_may_listen
from core.db import db_now
from core.isotime import iso
from tenders.selectors import tenders_public

from . import auth, events

logger = logging.getLogger(__name__)

# Close codes (4000-4999 are for applications; 1013 is RFC 6455's "try again later").
CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_SIGNED_OUT = 4401


class LayerUnavailable(Exception):
    """The channel layer (Redis) could not be reached."""


async def unknown_path(scope, receive, send):
    """Any other path under the socket router: accepted and closed at once
    with 4404 (Channels' router would raise, which the server answers with
    an HTTP 500)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})
MAX_ID = 2**63 - 1  # BigAutoField


@database_sync_to_async
def _tender_snapshot(tender_id: int) -> str | None:
    """The tender's current public state as the first message, or None for
    an unknown or draft tender. Before the opening it holds the bid count
    only; the opening record once it is public."""
    tender = tenders_public().filter(pk=tender_id).first()
    if tender is None:
        return None
    snapshot = {
        "type": "snapshot", "tender": str(tender.pk), "status": tender.status,
        "at": iso(tender.updated_at), "bid_count": tender.bid_count, "title": tender.title,
        "submission_deadline": iso(tender.submission_deadline),
        "clarification_deadline": iso(tender.clarification_deadline),
    }
    if tender.opened_at is not None:
        snapshot["opened_at"] = iso(tender.opened_at)
        snapshot["bids"] = opening_record(tender)
        # a lot's auction exists once its offers are all decided; its stage (and whether the
        # names are out) by the database clock, as everywhere else
        auctions = public_states(tender.pk, now=db_now())
        if auctions:
            snapshot["auctions"] = auctions
    return json.dumps(snapshot, ensure_ascii=False)


def _signed_in(scope):
    """The socket's authenticated user, or None."""
    user = scope.get("user")
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _organisation_id(scope) -> int | None:
    user = _signed_in(scope)
    return None if user is None else user.organisation_id


class _Forwarding(AsyncWebsocketConsumer):
    """Forwards layer events to the socket from one task of its own.

    Channels' ``AsyncConsumer.__call__`` waits on the socket and the layer
    together, re-arming an ``asyncio.wait`` and a new task for every message,
    and its ``dispatch`` hops to the database thread (to close old
    connections) before every handler. That is most of the cost when one
    event goes to a thousand sockets, so here the base loop reads only the
    socket, and a forwarding task, started once ``connect`` has sent the
    snapshot, copies each event's text (serialised once, by the service) to
    the socket as it comes."""

    groups_joined: list[str]
    _forwarder: asyncio.Task | None = None

    async def accept(self, subprotocol=None, headers=None):
        # A browser that sent its token as a subprotocol (live/auth.py) must
        # see "token" chosen, or it drops the connection.
        if subprotocol is None and auth.TOKEN_SUBPROTOCOL in self.scope.get("subprotocols", []):
            subprotocol = auth.TOKEN_SUBPROTOCOL
        await super().accept(subprotocol=subprotocol, headers=headers)
        self._accepted = True

    async def __call__(self, scope, receive, send):
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        try:
            self.channel_name = await self.channel_layer.new_channel()
        except Exception as exc:  # Redis down: the pub/sub layer subscribes the new channel at once
            await self._refuse_unavailable(receive, exc)
            return
        try:
            await await_many_dispatch([receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            if self._forwarder is not None:
                self._forwarder.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._forwarder

    async def _refuse_unavailable(self, receive, exc: Exception) -> None:
        logger.warning("WebSocket %s refused with %s: channel layer unavailable (%s)",
                       self.scope.get("path"), CLOSE_TRY_AGAIN_LATER, exc)
        message = await receive()
        if message["type"] == "websocket.connect":
            await self.base_send({"type": "websocket.accept"})
            await self.base_send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    async def websocket_connect(self, message):
        try:
            await super().websocket_connect(message)
        except LayerUnavailable as exc:
            logger.warning("WebSocket %s closed with %s: channel layer unavailable (%s)",
                           self.scope.get("path"), CLOSE_TRY_AGAIN_LATER, exc.__cause__)
            if not getattr(self, "_accepted", False):
                await super().accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        finally:
            # Layer messages that arrived meanwhile wait in the channel's queue,
            # so they follow the snapshot.
            self._forwarder = asyncio.create_task(self._forward())

    async def _forward(self) -> None:
        receive, send = self.channel_layer.receive, self.base_send
        while True:
            try:
                message = await receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the layer failed under us: let the client reconnect
                logger.warning("WebSocket %s closed with %s: channel layer failed (%s)",
                               self.scope.get("path"), CLOSE_TRY_AGAIN_LATER, exc)
                with contextlib.suppress(Exception):
                    await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})
                return
            if message.get("type") == events.REVOKED_TYPE:
                with contextlib.suppress(Exception):
                    await send({"type": "websocket.close", "code": CLOSE_SIGNED_OUT})
                return
            if message.get("type") != events.MESSAGE_TYPE:
                continue
            try:
                await send({"type": "websocket.send", "text": message["text"]})
            except Exception:  # the client went away; the disconnect handler stops us
                return

    async def join(self, groups: list[str]) -> None:
        user = _signed_in(self.scope)
        if user is not None:  # closed when the user's credentials change
            groups = [*groups, events.user_group(user.pk)]
        self.groups_joined = groups
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
        except Exception as exc:
            raise LayerUnavailable() from exc

    async def leave(self) -> None:
        groups, self.groups_joined = getattr(self, "groups_joined", []), []
        for group in groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is down: nothing to discard from
                logger.warning("WebSocket %s could not leave %s", self.scope.get("path"), group)

    async def disconnect(self, code):
        await self.leave()

    async def receive(self, text_data=None, bytes_data=None):
        # The sockets are one-way; a ping gets a pong so clients can check liveness.
        if text_data == "ping":
            await self.send(text_data='{"type":"pong"}')


class FeedConsumer(_Forwarding):
    """ws/tenders/: tenders published, status changes (including cancellation),
    amendments; and, on a socket authenticated as a supplier, its own
    notifications."""

    async def connect(self):
        groups = [events.FEED_GROUP]
        org_id = _organisation_id(self.scope)
        if org_id is not None:
            groups.append(events.org_group(org_id))
        await self.join(groups)
        await self.accept()


class TenderConsumer(_Forwarding):
    """ws/tenders/<id>/: one tender. The snapshot comes first, then deltas:
    the groups are joined before the snapshot is read, and layer messages are
    forwarded only after connect() returns, so no change falls in between
    (one that lands in both is harmless: every delta carries the full value).
    An authenticated user also joins its organisation's private group for
    this tender (its own receipts)."""

    async def connect(self):
        tender_id = self.scope["url_route"]["kwargs"]["tender_id"]
        if tender_id > MAX_ID:  # no such tender, and too long for a group name
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        groups = [events.tender_group(tender_id)]
        org_id = _organisation_id(self.scope)
        if org_id is not None:
            groups.append(events.private_group(tender_id, org_id))
        await self.join(groups)
        snapshot = await _tender_snapshot(tender_id)
        if snapshot is None:
            # Unknown or draft: accept, then close with a code the client can read.
            await self.leave()
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.accept()
        await self.send(text_data=snapshot)


@database_sync_to_async
def _committee_answer(tender_id: int, user) -> int | None:
    """None when ``user`` may listen to the tender's committee channel, or
    the close code: 4404 (no such tender, or another buyer's draft), 4403."""
    return committee_may_listen(user, tender_id)


class CommitteeConsumer(_Forwarding):
    """ws/tenders/<id>/committee/: the evaluation as it happens, for the owner's
    officers and the committee only: evaluators named, declarations, who
    scored which bid (the points stay in the report). Status changes come on
    the tender's public socket. Anyone else is closed with 4403."""

    async def connect(self):
        tender_id = self.scope["url_route"]["kwargs"]["tender_id"]
        code = CLOSE_NOT_FOUND if tender_id > MAX_ID else await _committee_answer(tender_id, self.scope.get("user"))
        if code is not None:
            await self.accept()
            await self.close(code=code)
            return
        await self.join([events.committee_group(tender_id)])
        await self.accept()
