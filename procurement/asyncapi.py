"""The socket contract: an AsyncAPI 3.0 document of every WebSocket channel
and message, served at ``/api/asyncapi/`` (public JSON), as ``/api/schema/``
is for HTTP.

Each message is a DRF serializer here: its envelope (``type``, ``tender``,
``status``, ``at``: ``live.events.payload``) and the fields the service that
emits it adds; the nested bodies are the apps' own ``*Out`` shapes, the ones
that render them (``QuestionOut``, ``LiveReceiptOut``, ``OpeningBidOut``,
``NotificationOut``, …). drf-spectacular turns the serializers into the
same component schemas as in ``/api/schema/``, converted from OpenAPI 3.0's
dialect to JSON Schema (``nullable`` becomes a union with null; an object
names all its properties). The live tests check every message they receive
against this document (``tests/asyncapi_check.py``), and a test checks that
every event the code emits has a message here.

Here, with the project's wiring, because it reads the shapes of apps at
every layer (the sockets themselves, ``live``, sit low and import none).
"""

from __future__ import annotations

import copy
from functools import cache

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from auctions.serializers import AuctionEventOut, AuctionOut
from bids.serializers import LiveReceiptOut, LotOpeningOut, OpeningBidOut, SetAsideOut
from clarifications.serializers import QuestionOut
from core.fields import IsoDateTime
from notifications.serializers import NotificationOut
from tenders.models import LotStatus, Method, Status

VERSION = "1.0.0"


# --- the messages --------------------------------------------------------------------------------

class _Envelope(serializers.Serializer):
    """What every tender event carries (``live.events.payload``)."""
    tender = serializers.CharField(help_text="The tender's id, as a string")
    status = serializers.ChoiceField(choices=Status.choices, help_text="The tender's status after the change")
    at = IsoDateTime(help_text="When the change happened (UTC)")


def _message(name: str, summary: str, base: type = _Envelope, **fields) -> type[serializers.Serializer]:
    """A message's serializer: ``type`` (the constant ``name``), the base's
    fields, then ``fields``."""
    attrs = {"type": serializers.ChoiceField(choices=[name], help_text="Always " + name), **fields,
             "__doc__": summary, "message": name}
    camel = "".join(part.capitalize() for part in name.split("_"))
    return type(f"{camel}Message", (base,), attrs)


def _ids(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.IntegerField(), help_text=help_text)


# One amended field ("from" is a Python keyword, so the class is made with type()).
_Change = type("AmendedFieldChange", (serializers.Serializer,), {
    "from": serializers.JSONField(help_text="The value before"), "to": serializers.JSONField(help_text="The value after")})

STATUS_CHANGED = _message(
    "status_changed", "The tender moved to another status (published, opened, awarded, cancelled, …).",
    previous=serializers.ChoiceField(choices=Status.choices, help_text="The status before"),
    bid_count=serializers.IntegerField(help_text="Bids submitted (a count only: nothing of their content)"),
    title=serializers.CharField(required=False, help_text="On publication"),
    buyer=serializers.CharField(required=False, help_text="On publication: the buyer's name"),
    submission_deadline=IsoDateTime(required=False, help_text="On publication"),
    method=serializers.ChoiceField(choices=Method.choices, required=False,
                                   help_text="On publication: the procurement method"),
    reason=serializers.CharField(required=False, help_text="On a cancellation (of the tender or of the lot that moved it)"),
    lot=serializers.IntegerField(required=False, help_text="When a lot's move moved the tender"),
    bid=serializers.IntegerField(required=False, help_text="On an award that moved the tender: the bid awarded"),
    supplier=serializers.CharField(required=False, help_text="On an award that moved the tender: its supplier"),
)
LOT_STATUS_CHANGED = _message(
    "lot_status_changed", "A lot of a multi-lot tender moved to another status.",
    lot=serializers.IntegerField(),
    lot_status=serializers.ChoiceField(choices=LotStatus.choices),
    previous=serializers.ChoiceField(choices=LotStatus.choices, help_text="The lot's status before"),
    bid=serializers.IntegerField(required=False, help_text="On an award: the bid awarded"),
    supplier=serializers.CharField(required=False, help_text="On an award: its supplier"),
    reason=serializers.CharField(required=False, help_text="On the lot's cancellation"),
)
TENDER_AMENDED = _message(
    "tender_amended", "The buyer published an amendment.",
    changes=serializers.DictField(child=_Change(), help_text="field -> {from, to}"),
    submission_deadline=IsoDateTime(), clarification_deadline=IsoDateTime(),
)
DEADLINE_CHANGED = _message(
    "deadline_changed", "An amendment moved a deadline.",
    submission_deadline=IsoDateTime(), clarification_deadline=IsoDateTime(),
)
DOCUMENT_ADDED = _message(
    "document_added", "A tender document was published.",
    document=serializers.IntegerField(), title=serializers.CharField(),
)
BID_COUNT_CHANGED = _message(
    "bid_count_changed", "A bid was submitted or withdrawn: the count only.",
    bid_count=serializers.IntegerField(),
)
RECEIPT = _message(
    "receipt", "Only to the bidder's own sockets on the tender: the signed receipt of its bid (never its content).",
    receipt=LiveReceiptOut(),
)
OPENING = _message(
    "opening", "The bids were opened at the deadline: the opening record.",
    opened_at=IsoDateTime(), bids=OpeningBidOut(many=True),
    set_aside=SetAsideOut(many=True, help_text="Bids not opened: their supplier did not confirm them after an "
                                               "amendment"),
    lots=LotOpeningOut(many=True),
)
QUESTION_ASKED = _message("question_asked", "A clarification question was asked (the asker is never named).",
                          question=QuestionOut())
QUESTION_ANSWERED = _message("question_answered", "The buyer answered a question.", question=QuestionOut())
QUALIFICATION = _message(
    "qualification", "The buyer decided a bid's qualification for a lot, with its public reason.",
    bid=serializers.IntegerField(), lot=serializers.IntegerField(), qualified=serializers.BooleanField(),
    reason=serializers.CharField(),
)
AWARDED = _message(
    "awarded", "A lot was awarded; its standstill period starts.",
    award=serializers.IntegerField(), lot=serializers.IntegerField(),
    method=serializers.ChoiceField(choices=Method.choices, help_text="The tender's procurement method"),
    bid=serializers.IntegerField(),
    supplier=serializers.CharField(), amount=serializers.CharField(help_text="The awarded offer, 2 decimal places"),
    currency=serializers.CharField(), top_ranked=serializers.BooleanField(),
    justification=serializers.CharField(help_text="Why, when the bid awarded is not the top-ranked; else empty"),
    standstill_ends_at=IsoDateTime(),
)
AWARD_PROPOSAL = _message(
    "award_proposal", "A price quotation's award proposal (its lowest offer) was disqualified: the next lowest "
                      "offer of the lot is now the award proposal.",
    lot=serializers.IntegerField(),
    method=serializers.ChoiceField(choices=Method.choices, help_text="The tender's procurement method"),
    **{"from": serializers.IntegerField(help_text="The bid that was the award proposal")},
    bid=serializers.IntegerField(help_text="The bid that is the award proposal now"),
    supplier=serializers.CharField(), amount=serializers.CharField(help_text="Its offer, 2 decimal places"),
    currency=serializers.CharField(),
)
COMPLAINT_FILED = _message(
    "complaint_filed", "A bidder complained about a lot's award.",
    complaint=serializers.IntegerField(), award=serializers.IntegerField(), lot=serializers.IntegerField(),
    supplier=serializers.CharField(help_text="The complainant"),
)
COMPLAINT_RESOLVED = _message(
    "complaint_resolved", "The buyer resolved a complaint (upheld: the award is annulled).",
    complaint=serializers.IntegerField(), lot=serializers.IntegerField(), upheld=serializers.BooleanField(),
    resolution=serializers.CharField(),
)
NOTIFICATION = _message(
    "notification", "One of the organisation's notifications (on the feed socket of its signed-in users).",
    notification=NotificationOut(),
)
EVALUATORS_NAMED = _message("evaluators_named", "Officers were named on the evaluation committee.",
                            evaluators=_ids("Their user ids"))
CONFLICT_DECLARED = _message("conflict_declared", "A committee member declared no conflict of interest.",
                             evaluator=serializers.IntegerField(help_text="The member's user id"))
BID_SCORED = _message(
    "bid_scored", "A committee member scored a bid: who, which bid, which criteria; the points stay in the report.",
    evaluator=serializers.IntegerField(), bid=serializers.IntegerField(), criteria=_ids("Criterion ids scored"),
)

AUCTION_SCHEDULED = _message(
    "auction_scheduled", "Every offer of a lot was admitted or rejected: its live auction is scheduled (its start "
                         "is public, with a countdown).",
    lot=serializers.IntegerField(), auction=AuctionEventOut(help_text="The auction's public state at `at` (no "
                                                                      "protocol: no turn has begun)"),
)
AUCTION_STAGE = _message(
    "auction_stage", "A lot's auction moved to another stage (the opening pause, a turn, a pause between rounds, "
                     "the end), or was skipped (fewer than 2 admitted offers).",
    lot=serializers.IntegerField(), auction=AuctionEventOut(help_text=(
        "The auction's public state at `at`, but its protocol: a new turn's row is this stage (its price before "
        "is the participant's current price); the snapshot and GET hold the whole protocol")),
)
AUCTION_PRICE = _message(
    "auction_price", "A participant's price was accepted in its turn (by participant number: names once finished).",
    lot=serializers.IntegerField(), participant=serializers.IntegerField(), round=serializers.IntegerField(),
    amount=serializers.CharField(help_text="The accepted price, 2 decimal places"),
    auction=AuctionEventOut(help_text="The auction's public state at `at`, but its protocol: the price belongs to "
                                      "the current turn's row"),
)


class _Snapshot(serializers.Serializer):
    tender = serializers.CharField(help_text="The tender's id, as a string")
    status = serializers.ChoiceField(choices=Status.choices)
    at = IsoDateTime(help_text="When the tender last changed")
    bid_count = serializers.IntegerField()
    title = serializers.CharField()
    submission_deadline = IsoDateTime()
    clarification_deadline = IsoDateTime()
    opened_at = IsoDateTime(required=False, help_text="Once opened")
    bids = OpeningBidOut(required=False, many=True, help_text="Once opened: the opening record")
    auctions = AuctionOut(required=False, many=True, help_text="The lots' live auctions, once scheduled")


SNAPSHOT = _message("snapshot", "The first message on a tender's socket: its public state now. Before the opening "
                                "it holds the bid count only. Apply later events to it.", base=_Snapshot)
PONG = _message("pong", 'The answer to the text "ping": the socket is alive.', base=serializers.Serializer)

EVENTS = [STATUS_CHANGED, LOT_STATUS_CHANGED, TENDER_AMENDED, DEADLINE_CHANGED, DOCUMENT_ADDED, BID_COUNT_CHANGED,
          RECEIPT, OPENING, QUESTION_ASKED, QUESTION_ANSWERED, QUALIFICATION, AWARD_PROPOSAL, AWARDED, COMPLAINT_FILED,
          COMPLAINT_RESOLVED, NOTIFICATION, EVALUATORS_NAMED, CONFLICT_DECLARED, BID_SCORED, AUCTION_SCHEDULED,
          AUCTION_STAGE, AUCTION_PRICE]


def message_name(serializer: type[serializers.Serializer]) -> str:
    return serializer.message


# --- the channels --------------------------------------------------------------------------------

CLOSE_CODES = ("Close codes: 4404 no such tender, or a draft (the same answer for both); 4403 not allowed "
               "(the committee socket); 4401 the credentials the socket was opened with changed (a password change or "
               "reset, a revoked token, a sign-out): reconnect at once with what still holds; 1013 try again later (the channel layer or the database is down: "
               "reconnect with backoff, then re-read the state). Messages are delivered at most once: after a "
               "reconnection, the snapshot (or the HTTP API) is the state.")
AUTH = ("Anonymous, or signed in: the session cookie, an `Authorization: Token <key>` header, or, from a "
        'browser, the subprotocols `["token", "<key>"]` (the server then chooses `token`).')

CHANNELS = {
    "feed": {
        "address": "/ws/tenders/",
        "description": "The public feed: tenders published, status changes, amendments, bid counts; on a socket "
                       "signed in as a supplier's user, also its organisation's notifications. " + AUTH,
        "messages": [STATUS_CHANGED, TENDER_AMENDED, BID_COUNT_CHANGED, NOTIFICATION, PONG],
    },
    "tender": {
        "address": "/ws/tenders/{tender_id}/",
        "description": "One published tender: the snapshot first, then every public change; on a socket signed in "
                       "as a bidder's user, also its own receipts. " + AUTH + " " + CLOSE_CODES,
        "messages": [SNAPSHOT, STATUS_CHANGED, LOT_STATUS_CHANGED, TENDER_AMENDED, DEADLINE_CHANGED,
                     DOCUMENT_ADDED, BID_COUNT_CHANGED, RECEIPT, OPENING, QUESTION_ASKED, QUESTION_ANSWERED,
                     QUALIFICATION, AWARDED, COMPLAINT_FILED, COMPLAINT_RESOLVED, AUCTION_SCHEDULED, AUCTION_STAGE,
                     AUCTION_PRICE, PONG],
    },
    "committee": {
        "address": "/ws/tenders/{tender_id}/committee/",
        "description": "The evaluation as it happens, for the officers of the tender's buyer and its committee "
                       "members only (4403 for anyone else): members named, declarations, who scored which bid. "
                       + AUTH + " " + CLOSE_CODES,
        "messages": [EVALUATORS_NAMED, CONFLICT_DECLARED, BID_SCORED, PONG],
    },
}
PARAMETERS = {"tender_id": {"description": "The tender's id"}}


# --- the document --------------------------------------------------------------------------------

def _json_schema(node):
    """OpenAPI 3.0's schema dialect -> JSON Schema (AsyncAPI's default schema
    format): ``nullable`` becomes a union with null, and an object with named
    properties allows no others (a field the document does not name is a
    break of the contract)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if "properties" in node and "additionalProperties" not in node:
        converted["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


@cache
def _document() -> dict:
    auto = AutoSchema()
    auto.registry = ComponentRegistry()
    auto.method, auto.path, auto.view = "GET", "/ws/", APIView()
    auto.view.request = None
    messages = {}
    for serializer in [SNAPSHOT, *EVENTS, PONG]:
        name = message_name(serializer)
        component = auto.resolve_serializer(serializer, "response")
        messages[name] = {"name": name, "title": name.replace("_", " "), "summary": serializer.__doc__,
                          "contentType": "application/json", "payload": {"$ref": component.ref["$ref"]}}
    messages["ping"] = {"name": "ping", "title": "ping", "contentType": "text/plain",
                        "summary": 'The text "ping" (not JSON), at any time: the server answers "pong".',
                        "payload": {"type": "string", "const": "ping"}}
    channels, operations = {}, {}
    for key, channel in CHANNELS.items():
        names = [message_name(m) for m in channel["messages"]]
        channels[key] = {
            "address": channel["address"], "title": channel["address"], "description": channel["description"],
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in [*names, "ping"]},
        }
        if "{tender_id}" in channel["address"]:
            channels[key]["parameters"] = copy.deepcopy(PARAMETERS)
        operations[_camel(f"send_{key}_events")] = {
            "action": "send", "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"What the server sends on {channel['address']}",
            "messages": [{"$ref": f"#/channels/{key}/messages/{name}"} for name in names],
        }
        operations[_camel(f"receive_{key}_ping")] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{key}"},
            "summary": f'A client\'s "ping" on {channel["address"]}',
            "messages": [{"$ref": f"#/channels/{key}/messages/ping"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Open tender platform sockets", "version": VERSION,
                 "description": "The WebSocket channels of the platform, one-way from the server but for "
                                "\"ping\". Every message is one JSON object with a `type`. Nothing sealed is "
                                "ever sent: before the opening a tender's socket carries counts, never bid "
                                "content. The HTTP API is described at /api/schema/."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages,
                       "schemas": _json_schema(auto.registry.build({}).get("schemas", {}))},
    }


def document(host: str, secure: bool) -> dict:
    """The document, with the server the reader reached."""
    return {**_document(), "servers": {"platform": {
        "host": host, "protocol": "wss" if secure else "ws",
        "description": "This server (the page's origin; behind TLS, wss)"}}}


class AsyncApiView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["reference"],
                   summary="The WebSocket contract: an AsyncAPI 3.0 document of every channel and message")
    def get(self, request):
        return Response(document(request.get_host(), request.is_secure()))
