"""The plaintext of a sealed bid never touches the disk: a multi-megabyte
bid document sent to the real ASGI server (uvicorn) is held in memory while
the body arrives and while the request is handled; only its sealed form is
written (under MEDIA_ROOT). A request over PROCUREMENT_MAX_REQUEST_BYTES is
refused with 413 ``request_too_large`` before it is read."""

import asyncio
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from django.conf import settings
from django.db import connections
from accounts import tokens

from bids.models import Bid, SealedDocument

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024
MARKER = b"PLAINTEXT-OF-A-SEALED-BID-"


@pytest.fixture
def spool_dir(tmp_path, monkeypatch, settings):
    """Every temporary file Python or Django would create goes here."""
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    return spool


@pytest.fixture
def server():
    from procurement.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uvicorn_server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="on",
                                                   log_level="warning"))
    thread = threading.Thread(target=uvicorn_server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    uvicorn_server.should_exit = True
    thread.join(timeout=15)
    for connection in connections.all():
        if getattr(connection, "pool", None) is not None:
            connection.close_pool()


class FileWatch:
    """Records every file of this process (open descriptors, named or
    unnamed like O_TMPFILE) and every directory entry under ``root``, polled
    in a thread while the request is in flight."""

    def __init__(self, root: Path):
        self.root, self.seen, self._stop = str(root), set(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.poll()
            time.sleep(0.001)

    def poll(self):
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith(self.root):
                self.seen.add(target)
        for entry in os.listdir(self.root):
            self.seen.add(os.path.join(self.root, entry))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.poll()


def multipart(fields: dict, files: list[tuple[str, str, bytes, str]], boundary: str = "s3al3d") -> tuple[bytes, str]:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts += [(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
               f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n" for field, name, data, ctype in files]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def raw_post(port: int, path: str, body: bytes, content_type: str, token: str, pause_before_last: int) -> bytes:
    """POST over a plain socket, pausing before the last bytes of the body so
    the server holds all but those while the watch looks."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nAuthorization: Token {token}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head + body[:-pause_before_last])
        time.sleep(0.5)
        sock.sendall(body[-pause_before_last:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_large_bid_document_is_never_written_in_clear(server, spool_dir, make_tender, supplier, settings):
    # given an active tender, and a bidder with a 3.5 MB document (over FILE_UPLOAD_MAX_MEMORY_SIZE)
    tender = make_tender()
    token = tokens.issue(supplier)
    document = (MARKER + os.urandom(16).hex().encode() + b"\n") * (int(3.5 * MB) // 59)
    assert len(document) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    body, ctype = multipart({"amount": "1500.50", "currency": "KZT"},
                            [("documents", "offer.txt", document, "text/plain")])

    # when it submits the bid through uvicorn, the body's last bytes held back for a moment
    with FileWatch(spool_dir) as watch:
        answer = raw_post(server, f"/api/tenders/{tender.pk}/bids/", body, ctype, token, pause_before_last=100)

    # then the bid is stored with its (sealed) document, and no temporary file ever existed
    assert answer.startswith(b"HTTP/1.1 201"), answer[:500]
    assert watch.seen == set()
    stored = SealedDocument.objects.get(version__bid=Bid.objects.get(tender=tender))
    with stored.file.open("rb") as sealed:
        assert MARKER not in sealed.read()


def test_a_body_over_the_limit_is_refused_before_it_is_read(settings):
    from procurement.asgi import application

    settings.PROCUREMENT_MAX_REQUEST_BYTES = 3 * MB
    payload = b"x" * (3 * MB + 1)

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url="http://127.0.0.1") as http:
            declared = await http.post("/api/auth/register/", content=payload,
                                       headers={"content-type": "application/json"})

            async def chunks():  # no Content-Length: refused once the limit is passed
                for start in range(0, len(payload), MB):
                    yield payload[start:start + MB]

            streamed = await http.post("/api/auth/register/", content=chunks(),
                                       headers={"content-type": "application/json"})
        return declared, streamed

    declared, streamed = asyncio.run(go())
    assert (declared.status_code, declared.json()["code"]) == (413, "request_too_large")
    assert (streamed.status_code, streamed.json()["code"]) == (413, "request_too_large")


def test_a_multipart_upload_over_the_limit_is_413_through_the_test_client(client, settings, supplier, make_tender):
    settings.PROCUREMENT_MAX_REQUEST_BYTES = 3 * MB
    tender = make_tender()
    client.force_login(supplier)
    body, ctype = multipart({"amount": "1.00", "currency": "KZT"},
                            [("documents", "big.txt", b"y" * (3 * MB), "text/plain")])
    response = client.post(f"/api/tenders/{tender.pk}/bids/", body, content_type=ctype)
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
