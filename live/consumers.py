"""WebSocket consumers: join groups, send a snapshot, forward events.

They never write to the database and never decide anything: every event is
built and serialised once by the service that made the change
(``live.events``) and forwarded here as text."""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import events

# Close codes (4000-4999 are for applications).
CLOSE_NOT_FOUND = 4404
MAX_ID = 2**63 - 1  # BigAutoField


@database_sync_to_async
def _tender_snapshot(tender_id: int) -> str | None:
    from bids.services import opening_record
    from tenders.selectors import tenders_public

    tender = tenders_public().filter(pk=tender_id).first()
    if tender is None:
        return None
    snapshot = {
        "type": "snapshot", "tender": str(tender.pk), "status": tender.status,
        "at": events.iso(tender.updated_at), "bid_count": tender.bid_count, "title": tender.title,
        "submission_deadline": events.iso(tender.submission_deadline),
        "clarification_deadline": events.iso(tender.clarification_deadline),
    }
    if tender.opened_at is not None:
        snapshot["opened_at"] = events.iso(tender.opened_at)
        snapshot["bids"] = opening_record(tender)
    return json.dumps(snapshot, ensure_ascii=False)


def _organisation_id(scope) -> int | None:
    user = scope.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.organisation_id
    return None


class _Forwarding(AsyncWebsocketConsumer):
    groups_joined: list[str]

    async def join(self, groups: list[str]) -> None:
        self.groups_joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def event_message(self, event):
        await self.send(text_data=event["text"])

    async def receive(self, text_data=None, bytes_data=None):
        # The feed is one-way; a ping gets a pong so clients can check liveness.
        if text_data == "ping":
            await self.send(text_data='{"type":"pong"}')


class FeedConsumer(_Forwarding):
    """ws/tenders/: tenders published, status changes, cancellations."""

    async def connect(self):
        groups = [events.FEED_GROUP]
        org_id = _organisation_id(self.scope)
        if org_id is not None:
            groups.append(events.org_group(org_id))
        await self.join(groups)
        await self.accept()


class TenderConsumer(_Forwarding):
    """ws/tenders/<id>/: one tender. The snapshot comes first, then deltas;
    joining before reading the snapshot means no change falls in between."""

    async def connect(self):
        tender_id = self.scope["url_route"]["kwargs"]["tender_id"]
        if tender_id > MAX_ID:  # no such tender, and too long for a group name
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        groups = [events.tender_group(tender_id)]
        org_id = _organisation_id(self.scope)
        if org_id is not None:
            groups.append(events.org_group(org_id))
        await self.join(groups)
        snapshot = await _tender_snapshot(tender_id)
        await self.accept()
        if snapshot is None:  # unknown or draft: accept, then close with a code the client can read
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.send(text_data=snapshot)
