"""Live events: built in the service that made the change, serialised once,
sent only after the transaction commits (``transaction.on_commit``), so a
rolled-back change is never announced. Consumers forward the text as is.

Groups: ``tenders`` (public feed), ``tender.<id>`` (one tender), and
``org.<id>`` (an organisation's private events, e.g. a supplier's receipt).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

FEED_GROUP = "tenders"


def tender_group(tender_id: int | str) -> str:
    return f"tender.{tender_id}"


def org_group(org_id: int) -> str:
    return f"org.{org_id}"


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _send(groups: list[str], text: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, {"type": "event.message", "text": text})
        except Exception:  # the change is committed; a lost push is re-read by clients over HTTP
            logger.exception("Live event to %s could not be sent", group)


def payload(tender, event_type: str, *, now: datetime, **extra) -> dict:
    return {"type": event_type, "tender": str(tender.pk), "status": tender.status, "at": iso(now), **extra}


def emit(tender, event_type: str, *, now: datetime, feed: bool = False, org_id: int | None = None,
         **extra) -> None:
    """Schedule an event for after commit: to the tender's group, to the public
    feed when ``feed``, or only to one organisation when ``org_id`` is given."""
    text = json.dumps(payload(tender, event_type, now=now, **extra), cls=DjangoJSONEncoder,
                      ensure_ascii=False)
    if org_id is not None:
        groups = [org_group(org_id)]
    else:
        groups = [tender_group(tender.pk)] + ([FEED_GROUP] if feed else [])
    transaction.on_commit(lambda: _send(groups, text))
