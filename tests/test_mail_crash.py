"""E-mail survives a task worker killed mid-send: at least once, and never
twice under two Message-IDs (mail/services.py).

A real ``db_worker`` process sends through SMTP to a sink started here
(aiosmtpd). The sink holds its answer to the first message's DATA, and the
worker is SIGKILLed while it waits: once after the sink recorded the message
(so it arrives twice, under one Message-ID, which mail clients show once),
once before (so only the retry delivers it). A new worker and the scheduler
(``run_scheduler``, whose job hands over unsent messages once the killed
worker's claim has passed) then deliver everything. PostgreSQL only: the
worker and the test share the database."""

import email
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction

from mail import services as mail_services
from mail.models import OutgoingEmail

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
                       reason="needs DATABASE_URL on PostgreSQL (the worker is its own process)"),
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An SMTP server that records every message it is given; the first DATA
    is answered only after ``hold`` seconds (recorded before or after)."""

    def __init__(self, record_before_hold: bool, hold: float = 60):
        self.record_before_hold, self.hold = record_before_hold, hold
        self.received: list[email.message.Message] = []
        self.holding = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        message = email.message_from_bytes(envelope.content)
        first = not self.holding.is_set()
        if first and not self.record_before_hold:
            self.holding.set()
            await asyncio.sleep(self.hold)
            return "451 try again"  # never reached by the killed worker
        with self.lock:
            self.received.append(message)
        if first:
            self.holding.set()
            await asyncio.sleep(self.hold)
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.received]


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.parametrize("record_before_hold", [True, False], ids=["killed-after-handoff", "killed-before"])
def test_a_worker_killed_mid_send_loses_no_email_and_shows_none_twice(record_before_hold, settings):
    settings.EMAIL_SEND_LEASE_SECONDS = 2  # as the processes': a killed worker's claim passes after 2 s
    sink = Sink(record_before_hold)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SECRET_KEY": settings.SECRET_KEY,
           "PROCUREMENT_PLATFORM_KEY": settings.PROCUREMENT_PLATFORM_KEY, "DJANGO_DEBUG": "0",
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "PROCUREMENT_SCHEDULER_IN_PROCESS": "0", "LOG_LEVEL": "WARNING",
           "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
           "EMAIL_PORT": str(controller.port), "EMAIL_USE_TLS": "0", "EMAIL_TIMEOUT": "30",
           "EMAIL_SEND_LEASE_SECONDS": "2", "NOTIFICATION_EMAIL_RETRY_DELAYS": "0,0,0"}
    log = tempfile.TemporaryFile()
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        started.append(process)
        return process

    def output() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")[-4000:]

    try:
        # given three messages queued with the change that announces them
        with transaction.atomic():
            queued = mail_services.queue([([f"supplier{i}@example.kz"], f"Tender {i}", f"Body {i}") for i in range(3)])
        expected = {email.message_id for email in queued}
        # when a worker starts sending and is SIGKILLed while the server holds the first message
        worker = start("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2")
        assert sink.holding.wait(60), output()
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        stranded = OutgoingEmail.objects.filter(sent_at__isnull=True)
        assert stranded.count() == 3 and stranded.exclude(claimed_until=None).count() == 1
        # and a new worker and the scheduler run
        start("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2")
        start("run_scheduler")
        give_up = time.monotonic() + 60
        while OutgoingEmail.objects.filter(sent_at__isnull=True).exists() and time.monotonic() < give_up:
            time.sleep(0.2)
        # then every message arrived, and each under its one Message-ID
        assert not OutgoingEmail.objects.filter(sent_at__isnull=True).exists(), output()
        received = sink.message_ids()
        assert set(received) == expected, (received, output())
        assert len(received) == (4 if record_before_hold else 3)  # the handed-off one twice, same Message-ID
        bodies = {(m["Message-ID"], m.get_payload().strip()) for m in sink.received}
        assert len(bodies) == 3  # a copy is the same message, not another one
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        controller.stop()
