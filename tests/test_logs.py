"""Logs: one JSON line per record (a warning is not printed twice, DEBUG on
or off), each with the request id that the response echoes in
X-Request-ID; tokens and passwords in URLs or credentials are masked."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgiref.sync import async_to_sync

from procurement import logs
from procurement.asgi import application  # sets Django up (and its logging) before the fixtures add handlers

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import django, logging
django.setup()
logging.getLogger("django.request").warning("Not Found: %s", "/api/tenders/?token=0123456789abcdef")
logging.getLogger("procurement.x").error("header was Authorization: Token 0123456789abcdef0123")
"""


@pytest.mark.parametrize("debug", ["0", "1"])
def test_each_record_is_one_json_line_without_secrets(debug):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "LOG_"))}
    env.update(DJANGO_DEBUG=debug, DJANGO_SETTINGS_MODULE="procurement.settings", LOG_FORMAT="json")
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert [(e["level"], e["logger"]) for e in entries] == [("WARNING", "django.request"),
                                                            ("ERROR", "procurement.x")]
    assert "0123456789abcdef" not in result.stderr
    assert entries[0]["message"] == "Not Found: /api/tenders/?token=[redacted]"
    assert entries[1]["message"] == "header was Authorization: Token [redacted]"
    assert all(set(e) >= {"time", "level", "logger", "request_id", "message"} for e in entries)


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def get(path: str, headers=None) -> httpx.Response:
    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url="http://127.0.0.1") as http:
            return await http.get(path, headers=headers or {})
    return async_to_sync(go)()


@pytest.mark.django_db(transaction=True)
def test_log_lines_carry_the_request_id_the_response_gives(json_log):
    response = get("/api/tenders/987654/")
    given = get("/api/tenders/987655/", headers={"X-Request-ID": "lb-7f3a.1"})
    forged = get("/api/tenders/987656/", headers={"X-Request-ID": "a b\nc"})

    rid = response.headers["x-request-id"]
    assert len(rid) == 32
    assert given.headers["x-request-id"] == "lb-7f3a.1"
    assert forged.headers["x-request-id"] not in ("a b\nc", rid)
    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]
    by_path = {e["message"].rsplit("/", 2)[-2]: e["request_id"] for e in entries if e["logger"] == "django.request"}
    assert by_path == {"987654": rid, "987655": "lb-7f3a.1", "987656": forged.headers["x-request-id"]}
