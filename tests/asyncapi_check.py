"""Every message a socket test receives is checked against ``/api/asyncapi/``
(``conftest.py`` wraps ``WebsocketCommunicator.receive_from``): the message
its ``type`` names must be one of the channel's, and the body must match its
payload exactly (no field the document does not name). So the documented
messages are the messages the sockets send."""

from __future__ import annotations

import json
import re
from functools import cache

import jsonschema

# The socket paths -> the document's channels.
CHANNELS = [(re.compile(r"^/ws/tenders/$"), "feed"), (re.compile(r"^/ws/tenders/\d+/$"), "tender"),
            (re.compile(r"^/ws/tenders/\d+/committee/$"), "committee")]


class MessageMismatch(AssertionError):
    pass


@cache
def document() -> dict:
    from procurement.asyncapi import document as build

    return build("testserver", False)


@cache
def _validator(name: str) -> jsonschema.Draft7Validator:
    doc = document()
    return jsonschema.Draft7Validator({"$ref": f"#/components/messages/{name}/payload",
                                       "components": doc["components"]})


def channel_of(path: str) -> str | None:
    return next((channel for pattern, channel in CHANNELS if pattern.match(path)), None)


def check(path: str, text: str) -> None:
    """``text``, received on the socket at ``path``, is one of its channel's messages."""
    channel = channel_of(path)
    if channel is None:
        return  # no socket of ours (closed with 4404 before any message)
    body = json.loads(text)
    name = body.get("type") if isinstance(body, dict) else None
    if name not in document()["channels"][channel]["messages"]:
        raise MessageMismatch(f"{path}: message type {name!r} is not documented on channel {channel!r}")
    errors = sorted(_validator(name).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:5]]
        raise MessageMismatch(f"{path} {name}: the message does not match /api/asyncapi/:\n" + "\n".join(lines))
