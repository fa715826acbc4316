import json
from tests.error_contract import pytest_sessionfinish  # noqa: F401  (every error the suite sees is documented)
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import create_officer
from tenders import services as tender_services
from tests import schema_check
from tests.factories import SupplierFactory

_serial = count(1)


@pytest.fixture
def anyio_backend():
    """The async tests (pytest.mark.anyio) run on asyncio, as Channels and uvicorn do."""
    return "asyncio"


@pytest.fixture(autouse=True)
def messages_match_the_asyncapi_document(monkeypatch):
    """Every message a test receives on a socket is checked against
    /api/asyncapi/ (tests/asyncapi_check.py)."""
    from channels.testing import WebsocketCommunicator

    from tests import asyncapi_check

    original = WebsocketCommunicator.receive_from

    async def checked(self, timeout=1):
        text = await original(self, timeout)
        if isinstance(text, str):
            asyncapi_check.check(self.scope["path"], text)
        return text

    monkeypatch.setattr(WebsocketCommunicator, "receive_from", checked)


@pytest.fixture(autouse=True)
def responses_match_the_schema(monkeypatch, request):
    """Every JSON response a test gets from the API is checked against
    /api/schema/ (tests/schema_check.py); ``@pytest.mark.no_schema_check``
    for a test that sends requests the schema cannot describe."""
    if request.node.get_closest_marker("no_schema_check"):
        return
    original = Client.request

    def checked(self, **kwargs):
        response = original(self, **kwargs)
        if not getattr(response, "streaming", False) and response.get("Content-Type", "").startswith(
                "application/json"):
            schema_check.check(response.request["REQUEST_METHOD"], response.request["PATH_INFO"],
                               response.status_code, json.loads(response.content or b"null"))
        return response

    monkeypatch.setattr(Client, "request", checked)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Password hashing is not under test; PBKDF2's cost only slows the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_officer(db):
    def make(buyer: str = "Akimat of Astana", username: str | None = None) -> User:
        return create_officer(buyer_name=buyer, username=username or f"officer{next(_serial)}",
                              password="Str0ng-pass-phrase")
    return make


@pytest.fixture
def officer(make_officer) -> User:
    return make_officer()


@pytest.fixture
def other_officer(make_officer) -> User:
    return make_officer(buyer="Ministry of Health")


@pytest.fixture
def make_supplier(db):
    def make(name: str | None = None) -> User:
        return SupplierFactory(**({"organisation__name": name} if name else {}))
    return make


@pytest.fixture
def supplier(make_supplier) -> User:
    return make_supplier()


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser("admin", "admin@example.com", "Str0ng-pass-phrase")


def tender_fields(now=None, **overrides) -> dict:
    now = now or timezone.now()
    fields = {
        "title": "Road repair on Kabanbay Batyr avenue",
        "description": "Resurfacing of 2.4 km of road, including markings.",
        "cpv": "45233140-2",
        "estimated_amount": Decimal("125000000.00"),
        "currency": "KZT",
        "clarification_deadline": now + timedelta(days=10),
        "submission_deadline": now + timedelta(days=20),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_tender(officer):
    """A tender in draft (publish=False) or active state."""
    def make(by=None, publish=True, now=None, criteria=None, **overrides):
        by = by or officer
        tender = tender_services.create_draft(by=by, criteria=criteria, **tender_fields(now, **overrides))
        if publish:
            tender = tender_services.publish_tender(tender.pk, by=by, now=now)
        tender.refresh_from_db()
        return tender
    return make


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user():
    def client(user) -> APIClient:
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c
    return client


@pytest.fixture(autouse=True)
def public_cache_off_unless_asked(request, settings):
    """The public read path's cache (core.public_cache) is forgotten on every
    live event, after commit; most tests change data without running commit
    callbacks, so it is off for them and on, emptied, where a test is marked
    ``public_cache`` (tests/test_public_cache.py)."""
    from core import public_cache

    asked = request.node.get_closest_marker("public_cache") is not None
    settings.PUBLIC_CACHE_SECONDS = 300 if asked else 0
    if asked:
        public_cache.invalidate()  # nothing another test stored is read
    yield
