"""Abuse limits: per client address and per username on login,
registration, bid submission and questions; 429 ``throttled`` with
``Retry-After``; counted atomically, so concurrent attempts from several
processes cannot pass the limit (X-Forwarded-For: tests/test_client_address.py)."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.test import override_settings
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core import throttling

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_counters():
    throttling.reset_counts()
    yield
    throttling.reset_counts()


@pytest.fixture
def rates(settings):
    def set_rates(**scopes):
        settings.PROCUREMENT_THROTTLE_RATES = {**settings.PROCUREMENT_THROTTLE_RATES, **scopes}
    return set_rates


def login(api, username, address, path="/api/auth/token/", **headers):
    return api.post(path, {"username": username, "password": "wrong-password"}, format="json",
                    REMOTE_ADDR=address, **headers)


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_one_address_trying_many_usernames_is_throttled(api, rates):
    # given a limit of 3 logins an address a minute
    rates(login_address="3/minute")
    # when one address tries 3 usernames, then a 4th
    for i in range(3):
        assert login(api, f"victim{i}", "203.0.113.7").status_code == 400
    # then it is refused, whatever the username or the forwarded-for header it claims
    assert_throttled(login(api, "victim9", "203.0.113.7"))
    assert_throttled(login(api, "victim9", "203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1"))
    assert_throttled(login(api, "victim9", "203.0.113.7", path="/api/auth/login/"))
    # and another address is not
    assert login(api, "victim9", "203.0.113.8").status_code == 400


def test_one_username_tried_from_many_addresses_is_throttled(api, rates, supplier):
    rates(login_username="3/minute")
    for i in range(3):
        assert login(api, supplier.username, f"198.51.100.{i}").status_code == 400
    assert_throttled(login(api, supplier.username.upper(), "198.51.100.99"))
    # even with the right password: the limit counts attempts, not failures
    response = api.post("/api/auth/token/", {"username": supplier.username, "password": "Str0ng-pass-phrase"},
                        format="json", REMOTE_ADDR="198.51.100.100")
    assert_throttled(response)
    assert login(api, "someone-else", "198.51.100.99").status_code == 400


def register(api, username, address, tax_id="123"):
    return api.post("/api/auth/register/", {"organisation_name": "Org", "tax_id": tax_id, "username": username,
                                            "password": "Str0ng-pass-phrase", "email": "a@example.com"},
                    format="json", REMOTE_ADDR=address)


def test_registration_is_limited_per_address_and_per_username(api, rates):
    rates(register_address="2/minute", register_username="2/minute")
    assert register(api, "a1", "192.0.2.1").status_code == 400  # a bad tax id, but counted
    assert register(api, "a2", "192.0.2.1").status_code == 400
    assert_throttled(register(api, "a3", "192.0.2.1"))
    assert register(api, "b1", "192.0.2.2").status_code == 400
    assert register(api, "b1", "192.0.2.3").status_code == 400
    assert_throttled(register(api, "b1", "192.0.2.4"))


def test_bid_submissions_are_limited_per_user_and_reads_are_not(as_user, make_tender, supplier, make_supplier,
                                                                rates):
    rates(bid_user="2/minute", bid_address="3/minute")
    tenders = [make_tender() for _ in range(3)]
    bidder = as_user(supplier)
    for tender in tenders[:2]:
        response = bidder.post(f"/api/tenders/{tender.pk}/bids/", {"amount": "10.00", "currency": "KZT"},
                               format="json", REMOTE_ADDR="192.0.2.10")
        assert response.status_code == 201
    assert bidder.get(f"/api/tenders/{tenders[0].pk}/bids/", REMOTE_ADDR="192.0.2.10").status_code == 200
    assert_throttled(bidder.post(f"/api/tenders/{tenders[2].pk}/bids/", {"amount": "10.00", "currency": "KZT"},
                                 format="json", REMOTE_ADDR="192.0.2.11"))
    # another supplier on the first address has one left there (3 an address), then is refused
    other = as_user(make_supplier())
    assert other.post(f"/api/tenders/{tenders[2].pk}/bids/", {"amount": "11.00", "currency": "KZT"},
                      format="json", REMOTE_ADDR="192.0.2.10").status_code == 201
    assert_throttled(other.put(f"/api/tenders/{tenders[2].pk}/bids/1/", {"amount": "12.00", "currency": "KZT"},
                               format="json", REMOTE_ADDR="192.0.2.10"))


def test_questions_are_limited_per_user(as_user, make_tender, supplier, rates):
    rates(question_user="2/minute")
    tender = make_tender()
    asker = as_user(supplier)
    for i in range(2):
        response = asker.post(f"/api/tenders/{tender.pk}/questions/", {"text": f"Question {i}?"}, format="json")
        assert response.status_code == 201
    assert_throttled(asker.post(f"/api/tenders/{tender.pk}/questions/", {"text": "Again?"}, format="json"))
    assert asker.get(f"/api/tenders/{tender.pk}/questions/").status_code == 200


def test_an_unreachable_cache_does_not_stop_logins(api, rates, supplier):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rates(login_address="1/minute")
    with override_settings(PROCUREMENT_THROTTLE_STORAGE=f"redis://127.0.0.1:{port}/0"):
        for _ in range(2):
            response = api.post("/api/auth/token/", {"username": supplier.username,
                                                     "password": "Str0ng-pass-phrase"}, format="json")
            assert response.status_code == 200


# --- atomic counting: concurrent attempts cannot all read "one left" ------------------------

BURST = """
import os, sys, threading, time
import django
django.setup()
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from core import throttling

start, threads, attempts = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
allowed = []

def attempt():
    while time.time() < start:
        time.sleep(0.001)
    for _ in range(attempts):
        request = Request(APIRequestFactory().post("/api/auth/token/", REMOTE_ADDR="203.0.113.77"))
        allowed.append(throttling.LoginAddress().allow_request(request, None))

workers = [threading.Thread(target=attempt) for _ in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print(sum(allowed))
"""


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_bursts_from_two_processes_cannot_pass_the_limit_on_redis(settings):
    # given a limit of 10 login attempts an address, counted in Redis
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "procurement.settings", "THROTTLE_LOGIN_ADDRESS": "10/minute",
           "THROTTLE_STORAGE": settings.PROCUREMENT_THROTTLE_STORAGE,
           "CACHE_KEY_PREFIX": settings.PROCUREMENT_THROTTLE_KEY_PREFIX.removesuffix(":throttle")}
    # when two processes, 8 threads each, send 80 attempts from that address at the same moment
    start = time.time() + 3
    bursts = [subprocess.Popen([sys.executable, "-c", BURST, str(start), "8", "5"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [burst.communicate(timeout=60) for burst in bursts]
    # then exactly 10 were let through, together
    assert all(burst.returncode == 0 for burst in bursts), outputs
    assert sum(int(out.strip()) for out, _ in outputs) == 10, outputs


def test_a_burst_of_threads_cannot_pass_the_limit_in_memory(settings):
    # given the development run's storage (this process's memory)
    settings.PROCUREMENT_THROTTLE_STORAGE = "memory://"
    settings.PROCUREMENT_THROTTLE_RATES = {**settings.PROCUREMENT_THROTTLE_RATES, "login_address": "10/minute"}
    throttling.reset_counts()
    barrier, allowed = threading.Barrier(16), []

    def attempt():
        barrier.wait()
        for _ in range(5):
            request = Request(APIRequestFactory().post("/api/auth/token/", REMOTE_ADDR="203.0.113.78"))
            allowed.append(throttling.LoginAddress().allow_request(request, None))

    # when 16 threads send 80 attempts at once
    workers = [threading.Thread(target=attempt) for _ in range(16)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # then exactly 10 were let through
    assert sum(allowed) == 10
