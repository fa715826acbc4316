"""The socket contract (#23 item 3): ``/api/asyncapi/`` is a valid AsyncAPI
3.0 document of every channel and message, and the sockets send only what it
documents. Every message any socket test receives is checked against it
(``tests/asyncapi_check.py``, wired in ``conftest.py``); here, a whole
evaluation is watched on a tender's and its committee's sockets, so that
every message type goes through that check."""

import json
import re
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from clarifications import services as clarifications
from evaluation import services as evaluation
from procurement.asgi import application
from tests import asyncapi_check
from tests.evaluation_support import make_lots_opened  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parent.parent
# The AsyncAPI 3.0.0 JSON Schema, from the npm package @asyncapi/specs 6.11.1
# (schemas/3.0.0-without-$id.json, Apache-2.0: tests/schemas/asyncapi-specs-LICENSE).
ASYNCAPI_3_SCHEMA = Path(__file__).resolve().parent / "schemas" / "asyncapi-3.0.0.json"
ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.mark.django_db
def test_the_document_is_public_json_and_valid_asyncapi_3(api):
    response = api.get("/api/asyncapi/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    document = response.json()
    meta = json.loads(ASYNCAPI_3_SCHEMA.read_text())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
              for e in jsonschema.Draft7Validator(meta).iter_errors(document)]
    assert errors == []
    assert document["asyncapi"] == "3.0.0"
    assert document["servers"]["platform"] == {**document["servers"]["platform"], "host": "testserver",
                                               "protocol": "ws"}
    assert {c["address"] for c in document["channels"].values()} == {
        "/ws/tenders/", "/ws/tenders/{tender_id}/", "/ws/tenders/{tender_id}/committee/"}
    # every message payload is a JSON Schema (draft 7, AsyncAPI's default format) of its own
    for name, message in document["components"]["messages"].items():
        jsonschema.Draft7Validator.check_schema({**message["payload"], "components": document["components"]})


def test_the_meta_schema_catches_a_broken_document():
    # the check above can fail: an operation with an unknown action is refused
    from procurement.asyncapi import document

    broken = document("testserver", False)
    broken = {**broken, "operations": {"x": {**next(iter(broken["operations"].values())), "action": "publish"}}}
    meta = json.loads(ASYNCAPI_3_SCHEMA.read_text())
    assert not jsonschema.Draft7Validator(meta).is_valid(broken)


def test_every_event_the_code_emits_is_documented_and_nothing_else():
    emitted = set()
    for path in ROOT.glob("*/*.py"):
        if path.parts[-2] in ("tests", "bench", ".venv"):
            continue
        emitted |= set(re.findall(r'live\.emit\(\s*\w+,\s*"(\w+)"', path.read_text()))
    consumers = (ROOT / "live" / "consumers.py").read_text()
    emitted |= set(re.findall(r'"type": "(\w+)"', consumers)) | set(re.findall(r'\{"type":"(\w+)"\}', consumers))
    documented = set(asyncapi_check.document()["components"]["messages"]) - {"ping"}
    assert emitted == documented


# --- a whole evaluation, on the sockets ---------------------------------------------------------

def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()


async def drain(socket) -> list[dict]:
    """Every message waiting on the socket (each checked by the conftest hook)."""
    received = []
    while not await socket.receive_nothing(timeout=0.3):
        received.append(await socket.receive_json_from(timeout=2))
    return received


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_an_evaluation_on_the_sockets_sends_only_documented_messages(
        make_tender, make_lots_opened, make_officer, officer, supplier, anyio_backend):
    seen: dict[str, set[str]] = {"feed": set(), "tender": set(), "committee": set()}
    sockets = []

    async def open_socket(path, *headers):
        socket = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
        connected, _ = await socket.connect()
        assert connected
        sockets.append(socket)
        return socket

    try:
        # questions on an active tender
        active = await sync_to_async(make_tender)()
        feed = await open_socket("/ws/tenders/")
        on_active = await open_socket(f"/ws/tenders/{active.pk}/")
        question = await sync_to_async(clarifications.ask_question)(active.pk, by=supplier, text="Which asphalt?")
        await sync_to_async(clarifications.answer_question)(active.pk, question.pk, by=officer, answer="Grade A.")
        seen["tender"] |= {m["type"] for m in await drain(on_active)}

        # a two-lot tender's evaluation: committee, qualification, award, complaint upheld
        opened = await sync_to_async(make_lots_opened)(
            {"Roads": "1000", "Signs": "500"},
            {"Alpha": {"Roads": "900", "Signs": "450"}, "Beta": {"Roads": "950"}, "Gamma": {"Signs": "480"}})
        tender = opened.tender
        roads, signs = await sync_to_async(lambda: list(tender.lots.order_by("position")))()
        cookie = await sync_to_async(session_cookie)(officer)
        on_tender = await open_socket(f"/ws/tenders/{tender.pk}/")
        committee = await open_socket(f"/ws/tenders/{tender.pk}/committee/", cookie)
        seen["tender"] |= {m["type"] for m in await drain(on_tender)}
        member = await sync_to_async(make_officer)(buyer=officer.organisation.name)
        await sync_to_async(evaluation.add_evaluators)(tender.pk, by=officer, user_ids=[member.pk])
        await sync_to_async(evaluation.declare_no_conflict)(tender.pk, by=member)
        for label, lots in {"Alpha": (roads, signs), "Beta": (roads,), "Gamma": (signs,)}.items():
            for lot in lots:
                await sync_to_async(evaluation.qualify_bid)(tender.pk, opened.bids[label].pk, by=officer,
                                                            qualified=True, reason="Complete.", lot_id=lot.pk)
        await sync_to_async(evaluation.award_bid)(tender.pk, by=officer, bid_id=opened.bids["Alpha"].pk,
                                                  lot_id=roads.pk)
        complaint = await sync_to_async(evaluation.file_complaint)(tender.pk, by=opened.suppliers["Beta"],
                                                                   text="Our price was lower.", lot_id=roads.pk)
        await sync_to_async(evaluation.resolve_complaint)(tender.pk, complaint.pk, by=officer, upheld=True,
                                                          resolution="The ranking is redone.")
        for socket in (feed, on_tender, committee):
            await socket.send_to(text_data="ping")
        seen["feed"] |= {m["type"] for m in await drain(feed)}
        seen["tender"] |= {m["type"] for m in await drain(on_tender)}
        seen["committee"] |= {m["type"] for m in await drain(committee)}
    finally:
        for socket in sockets:
            await socket.disconnect()
        await sync_to_async(connections.close_all)()

    # then each message was one its channel documents (checked as it came), and these came
    assert {"question_asked", "question_answered", "snapshot", "qualification", "awarded", "lot_status_changed",
            "complaint_filed", "complaint_resolved", "pong"} <= seen["tender"]
    assert {"evaluators_named", "conflict_declared", "pong"} <= seen["committee"]
    assert "pong" in seen["feed"]


def test_a_message_the_document_does_not_name_is_refused():
    with pytest.raises(asyncapi_check.MessageMismatch, match="not documented"):
        asyncapi_check.check("/ws/tenders/1/committee/", json.dumps({"type": "opening"}))
    with pytest.raises(asyncapi_check.MessageMismatch, match="does not match"):
        asyncapi_check.check("/ws/tenders/1/", json.dumps({"type": "bid_count_changed", "tender": "1",
                                                           "status": "active", "at": "2026-01-01T00:00:00Z",
                                                           "bid_count": 1, "amount": str(Decimal("1.00"))}))
