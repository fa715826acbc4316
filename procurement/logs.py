"""Logging: one JSON object per line (``LOG_FORMAT=json``, the default with
DEBUG off), each with the request id of the HTTP request or socket that
caused it; never a password, a token or a bid's content.

- The request id is the client's ``X-Request-ID`` when it is a short token
  of letters, digits and ``-_.`` (a proxy's id carries through), or a new
  random one; it is echoed in the response's ``X-Request-ID`` header.
  ``procurement.asgi`` sets it for each connection (``bind_request_id``);
  request threads inherit it (asgiref copies the context).
- Secrets: the platform logs no request bodies; what could carry a secret
  is a URL (a socket's ``?token=``, uvicorn's access log prints the query
  string) or a header quoted in a message. ``redact`` masks ``token``,
  ``key``, ``password``, ``secret`` and ``signature`` query values, and
  ``Token``/``Bearer`` credentials, in every line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SECRET_QUERY = re.compile(r"(?i)([?&;](?:token|key|password|secret|signature|csrfmiddlewaretoken)=)[^&\s\"']*")
_CREDENTIAL = re.compile(r"(?i)\b(token|bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def bind_request_id(headers) -> str:
    """The id for this request (from ASGI headers, a list of byte pairs), set
    in the context for every log line it causes."""
    given = next((value.decode("latin-1") for name, value in headers if name == b"x-request-id"), "")
    value = given if _VALID_ID.match(given) else uuid.uuid4().hex
    request_id.set(value)
    return value


def redact(text: str) -> str:
    text = _SECRET_QUERY.sub(r"\1[redacted]", text)
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)} [redacted]", text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class PlainFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One line: ``{"time", "level", "logger", "request_id", "message"}``,
    plus ``exception`` (the formatted traceback) when there is one. Times are UTC."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id.get(),
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)
