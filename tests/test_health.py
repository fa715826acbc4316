"""Load-balancer probes: /healthz (the process is alive) and /readyz (the
database, the channel layer and a recent scheduler pass), answered by the
ASGI entry point before Django."""

import socket
from datetime import timedelta

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings
from django.utils import timezone

from core import dbhealth, scheduler
from scheduling.models import Heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def closed_breaker():
    dbhealth.breaker.reset()
    yield
    dbhealth.breaker.reset()


@pytest.fixture(autouse=True)
def new_heartbeat():
    # The process's heartbeat is written at most every 5 s; each test has a fresh database.
    scheduler._beat.written_at = None


def scheduler_passed():
    now = timezone.now()
    Heartbeat.objects.create(name="scheduler:1", started_at=now, last_pass_at=now)


def get(path: str, host: str = "127.0.0.1") -> httpx.Response:
    from procurement.asgi import application

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url=f"http://{host}") as http:
            return await http.get(path)
    return async_to_sync(go)()


def test_healthz_answers_even_for_an_unknown_host_and_a_dead_database():
    dbhealth.breaker.record_failure("test")
    response = get("/healthz", host="10.1.2.3")  # a balancer probing by address
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_once_a_scheduler_has_passed():
    # given no scheduler has ever run: not ready
    response = get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["channel_layer"] == {"ok": True}
    assert body["checks"]["scheduler"]["ok"] is False
    # when one completes a pass
    scheduler.step()
    # then ready
    response = get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ready"
    assert response.json()["checks"]["scheduler"]["last_pass_at"]


def test_readyz_is_not_ready_when_the_scheduler_stopped_passing(settings):
    Heartbeat.objects.create(name="gone:1", started_at=timezone.now() - timedelta(hours=1),
                             last_pass_at=timezone.now() - timedelta(seconds=settings.PROCUREMENT_SCHEDULER_STALE_AFTER
                                                                     + 5))
    response = get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"]["ok"] is False


def test_readyz_is_not_ready_without_the_channel_layer():
    scheduler_passed()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                        "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]}}}
    with override_settings(CHANNEL_LAYERS=dead):
        response = get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["ok"] is False
    assert response.json()["checks"]["database"] == {"ok": True}


def test_readyz_probes_the_database_while_the_breaker_is_open_and_closes_it(settings):
    settings.DB_OUTAGE_RETRY_SECONDS = 0
    scheduler_passed()
    dbhealth.breaker.record_failure("test")
    # the database is in fact back: the readiness check is the probe that finds out
    response = get("/readyz")
    assert response.status_code == 200, response.json()
    assert not dbhealth.breaker.down
