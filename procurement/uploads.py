"""Request bodies and uploaded files stay in memory: the plaintext of a
sealed bid's document must never touch the disk.

Django spools an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a
temporary file (``TemporaryFileUploadHandler``), and its ASGI handler spools
the whole request body the same way (``ASGIHandler.read_body``): a bid's
documents would sit in clear in ``/tmp`` while the request waits for the
tender's lock, and stay there if the process is killed. Instead, a request
body is refused above ``PROCUREMENT_MAX_REQUEST_BYTES`` (413
``request_too_large``) and everything under it is held in memory, so the
memory a process can need is bounded by that limit times
``HTTP_CONCURRENCY`` (a few copies each: body, parsed file, sealed box).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers


def too_large() -> RequestDataTooBig:
    return RequestDataTooBig(f"The request exceeds {settings.PROCUREMENT_MAX_REQUEST_BYTES} bytes.")


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Django's ``MemoryFileUploadHandler`` without the size threshold above
    which it hands over to the temporary-file handler: the request's size is
    capped instead."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.PROCUREMENT_MAX_REQUEST_BYTES:
            raise too_large()

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = io.BytesIO()
        self.size = 0
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        if self.size > settings.PROCUREMENT_MAX_REQUEST_BYTES:  # a body longer than its Content-Length (WSGI)
            raise too_large()
        self.file.write(raw_data)

    def file_complete(self, file_size):
        self.file.seek(0)
        return InMemoryUploadedFile(file=self.file, field_name=self.field_name, name=self.file_name,
                                    content_type=self.content_type, size=file_size, charset=self.charset,
                                    content_type_extra=self.content_type_extra)


class BodyTooLarge(Exception):
    """The ASGI request body outgrew PROCUREMENT_MAX_REQUEST_BYTES."""


async def read_body_in_memory(receive) -> io.BytesIO:
    """``ASGIHandler.read_body`` into memory only, refusing a body over the
    limit as soon as it is exceeded (a chunked body has no Content-Length)."""
    from django.core.exceptions import RequestAborted

    limit = settings.PROCUREMENT_MAX_REQUEST_BYTES
    body, size = io.BytesIO(), 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestAborted()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        body.write(chunk)
        if not message.get("more_body", False):
            break
    body.seek(0)
    return body


def declared_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def send_too_large(send) -> None:
    import json

    from core.errors import request_refusal

    status, body = request_refusal(too_large())
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
