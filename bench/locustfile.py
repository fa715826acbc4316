"""The users of bench/load.py (locust): citizens, suppliers, officers.

Reads the ids and tokens bench/load.py made from the JSON file named by
``LOAD_DATA``. Routes are named by their pattern, so the statistics are per
route, not per id. A 409 ``deadline_passed`` (a bid racing a deadline the
run lets pass) is an expected answer, not an error.
"""

import itertools
import json
import os
import random
import time
from decimal import Decimal

import websocket  # websocket-client (a locust dependency)
from locust import HttpUser, between, task

DATA = json.load(open(os.environ["LOAD_DATA"]))
SUPPLIER_TOKENS = itertools.cycle(DATA["supplier_tokens"])
CPVS = ["45", "33", "15", "30", "09", "90", "34", "50", "72", "79", "4523", "331"]
STATUSES = ["active", "evaluation", "awarded", "complete", "active,evaluation"]
ORDERINGS = ["submission_deadline", "-published_at", "-estimated_amount", "bid_count"]


def _register_query() -> str:
    parts = [f"status={random.choice(STATUSES)}"]
    if random.random() < 0.7:
        parts.append(f"cpv={random.choice(CPVS)}")
    if random.random() < 0.5:
        parts.append(f"value_min={random.choice([1_000_000, 10_000_000, 100_000_000])}")
    if random.random() < 0.2:
        parts.append("q=school")
    parts.append(f"ordering={random.choice(ORDERINGS)}")
    if random.random() < 0.3:
        parts.append(f"page={random.randint(2, 5)}")
    return "&".join(parts)


class Citizen(HttpUser):
    weight = 85
    wait_time = between(2, 8)

    @task(5)
    def register(self):
        with self.client.get(f"/api/tenders/?{_register_query()}", name="GET /api/tenders/?filters",
                             catch_response=True) as response:
            if response.status_code == 404:  # a page past the end
                response.success()

    @task(3)
    def tender(self):
        self.client.get(f"/api/tenders/{random.choice(DATA['tenders'])}/", name="GET /api/tenders/{id}/")

    @task(2)
    def pages(self):
        self.client.get("/", name="GET / (page)", headers={"Accept-Language": random.choice(["kk", "ru", "en"])})
        self.client.get(f"/tenders/{random.choice(DATA['live_tenders'])}/", name="GET /tenders/{id}/ (page)")

    @task(1)
    def socket(self):
        """A tender's socket: connect and read the snapshot (timed), then listen a few seconds."""
        started = time.perf_counter()
        url = self.host.replace("http", "ws", 1) + f"/ws/tenders/{random.choice(DATA['live_tenders'])}/"
        error, elapsed = None, None
        try:
            ws = websocket.create_connection(url, timeout=10, origin=self.host)
            snapshot = json.loads(ws.recv())
            elapsed = (time.perf_counter() - started) * 1000
            if snapshot.get("type") != "snapshot":
                error = AssertionError(f"first message {snapshot.get('type')}")
            ws.settimeout(3)
            try:
                ws.recv()
            except websocket.WebSocketTimeoutException:
                pass
            ws.close()
        except Exception as exc:  # reported as this route's failure
            error = exc
        self.environment.events.request.fire(
            request_type="WS", name="WS /ws/tenders/{id}/ (connect + snapshot)",
            response_time=elapsed if elapsed is not None else (time.perf_counter() - started) * 1000,
            response_length=0, exception=error, context={})


class Supplier(HttpUser):
    weight = 10
    wait_time = between(3, 10)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {next(SUPPLIER_TOKENS)}"
        self.bids = {}

    def _amount(self) -> str:
        return str(Decimal(random.randint(1_000_000, 900_000_000)) + Decimal("0.37"))

    @task(3)
    def bid(self):
        tender = random.choice(DATA["live_tenders"])
        bid = self.bids.get(tender)
        body = {"amount": self._amount(), "currency": "KZT"}
        if bid is None:
            name, request = "POST /api/tenders/{id}/bids/", self.client.post
            url = f"/api/tenders/{tender}/bids/"
        else:
            name, request = "PUT /api/tenders/{id}/bids/{bid}/ (replace)", self.client.put
            url = f"/api/tenders/{tender}/bids/{bid}/"
        with request(url, json=body, name=name, catch_response=True,
                     headers={"Idempotency-Key": f"load-{random.getrandbits(64)}"}) as response:
            if response.status_code in (200, 201):
                self.bids[tender] = response.json()["bid"]
            elif response.status_code == 409 and response.json().get("code") in ("deadline_passed", "not_active"):
                response.success()
            elif response.status_code == 409 and response.json().get("code") == "bid_exists":
                response.success()  # another simulated user shares this supplier's token
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")

    @task(2)
    def receipts(self):
        self.client.get("/api/bids/mine/", name="GET /api/bids/mine/")

    @task(2)
    def read(self):
        self.client.get(f"/api/tenders/{random.choice(DATA['live_tenders'])}/", name="GET /api/tenders/{id}/")


class Officer(HttpUser):
    weight = 5
    wait_time = between(5, 15)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {DATA['officer_token']}"

    @task(2)
    def draft_and_publish(self):
        now = time.time()
        body = {"title": f"Load test tender {random.getrandbits(32)}", "description": "Load test.",
                "cpv": "45233140-2", "estimated_amount": "125000000.00", "currency": "KZT",
                "clarification_deadline": _iso(now + 3600), "submission_deadline": _iso(now + 7200)}
        response = self.client.post("/api/tenders/", json=body, name="POST /api/tenders/ (draft)")
        if response.status_code == 201:
            self.client.post(f"/api/tenders/{response.json()['id']}/publish/", name="POST /api/tenders/{id}/publish/")

    @task(1)
    def evaluate(self):
        """The evaluation of a tender the scheduler opened during the run (404/409 while none is)."""
        with self.client.get(f"/api/tenders/{random.choice(DATA['live_tenders'])}/evaluation/",
                             name="GET /api/tenders/{id}/evaluation/", catch_response=True) as response:
            code = response.json().get("code") if response.status_code in (403, 409) else None
            if code in ("not_opened", "conflict_declaration_required"):  # not opened yet; or a committee's first
                response.success()


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
