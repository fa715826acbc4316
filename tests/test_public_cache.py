"""The anonymous public read path from the cache (core.public_cache): the
register and a tender's body over the API and as pages. Never stale after a
socket message: for every kind of public event, the first read after the
message reached a socket equals a read that bypasses the cache. Never served
to a signed-in user, in another language, or with another visitor's CSRF
token or an old server time."""

import asyncio
import contextvars
import re
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client, override_settings
from django.utils import timezone

from bids import services as bid_services
from clarifications import services as clarification_services
from core import public_cache
from procurement.asgi import application
from tenders import services as tender_services
from tenders.models import Tender

ORIGIN = (b"origin", b"http://127.0.0.1")


def reads(tender_id: int) -> list[str]:
    return ["/api/tenders/", f"/api/tenders/{tender_id}/", "/?status=active", f"/tenders/{tender_id}/"]


def _comparable(response) -> str:
    """The body without what differs per answer (a page's CSRF token and server time)."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", body)
    return re.sub(r'"now": "[^"]*"', "now", body)


def read_all(tender_id: int, *, fresh: bool = False) -> dict[str, tuple[int, str]]:
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    with override_settings(PUBLIC_CACHE_SECONDS=0 if fresh else 300):
        answers = {url: client.get(url) for url in reads(tender_id)}
    return {url: (r.status_code, _comparable(r)) for url, r in answers.items()}


@pytest.mark.public_cache
@pytest.mark.django_db
def test_an_anonymous_read_is_served_from_the_cache(make_tender, django_assert_num_queries):
    tender = make_tender()
    first = read_all(tender.pk)
    with django_assert_num_queries(0):
        again = read_all(tender.pk)
    assert again == first == read_all(tender.pk, fresh=True)
    assert all(status == 200 for status, _ in first.values())


@pytest.mark.public_cache
@pytest.mark.django_db
def test_a_signed_in_user_is_never_served_the_cached_answer(make_tender, officer, api):
    # given the anonymous register is cached, and the officer has a draft
    make_tender()
    draft = make_tender(publish=False, title="Own draft")
    anonymous = api.get("/api/tenders/").json()
    assert draft.pk not in [row["id"] for row in anonymous["results"]]
    # when the officer reads it by session, or by token
    session = Client()
    session.force_login(officer)
    by_token = Client(HTTP_AUTHORIZATION=f"Token {_token(officer)}")
    # then each sees the draft (their own answer), and the cache still holds the anonymous one
    for client in (session, by_token):
        assert draft.pk in [row["id"] for row in client.get("/api/tenders/").json()["results"]]
    page = session.get("/")
    assert "Own draft" in page.content.decode()
    assert "Own draft" not in Client().get("/").content.decode()
    assert api.get("/api/tenders/").json() == anonymous


@pytest.mark.public_cache
@pytest.mark.django_db
def test_each_host_gets_its_own_absolute_links(make_tender):
    make_tender()
    make_tender()
    for host in ("localhost", "127.0.0.1", "localhost"):
        body = Client(HTTP_HOST=host).get("/api/tenders/?page_size=1").json()
        assert body["next"].startswith(f"http://{host}/api/tenders/?"), body["next"]


def _token(user) -> str:
    from accounts import tokens

    return tokens.issue(user)


@pytest.mark.public_cache
@pytest.mark.django_db
def test_the_pages_own_api_calls_keep_the_readers_host_under_real_allowed_hosts(make_tender, settings):
    # given a production host list (the test client's "testserver" is not on it)
    settings.ALLOWED_HOSTS = ["tenders.example.kz"]
    tender = make_tender()
    for url in ("/", f"/tenders/{tender.pk}/", "/", f"/tenders/{tender.pk}/"):  # a miss, then a hit
        assert Client(HTTP_HOST="tenders.example.kz").get(url).status_code == 200, url
    assert Client(HTTP_HOST="evil.example").get("/").status_code == 400


@pytest.mark.public_cache
@pytest.mark.django_db
def test_text_in_a_tender_cannot_name_the_pages_placeholders(make_tender):
    # the placeholders are drawn anew per rendering, so no title can aim at them
    tender = make_tender(title="PUBLICCACHECSRFTOKEN PUBLICCACHESERVERNOW csrf now")
    for _ in range(2):
        body = Client().get(f"/tenders/{tender.pk}/").content.decode()
        assert "PUBLICCACHECSRFTOKEN PUBLICCACHESERVERNOW csrf now" in body


@pytest.mark.public_cache
@pytest.mark.django_db
def test_a_cache_that_is_down_slows_reads_but_never_fails_them(make_tender, settings, caplog):
    tender = make_tender(title="Still readable")
    # given the cache is a Redis nobody listens on
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0", "OPTIONS": {"socket_connect_timeout": 0.2}}}
    for url in reads(tender.pk):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert "Still readable" in response.content.decode()
    assert "The public cache could not be read" in caplog.text


@pytest.mark.public_cache
@pytest.mark.django_db
def test_pages_are_cached_per_language_with_each_visitors_token_and_the_time_now(make_tender):
    tender = make_tender()
    pages = {}
    for language in ("kk", "ru", "en", "kk"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        response = client.get(f"/tenders/{tender.pk}/")
        body = response.content.decode()
        assert f'<html lang="{language}"' in body
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        # the token is this visitor's: the language form posts with it and its cookie
        posted = client.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
        assert posted.status_code == 302
        assert not re.search(r"(csrf|now)[0-9a-f]{32}", body)  # every placeholder filled in
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        pages.setdefault(language, []).append(_comparable(response))
    assert pages["kk"][0] == pages["kk"][1]
    assert len({pages["kk"][0], pages["ru"][0], pages["en"][0]}) == 3


# --- in front of Django: the ASGI entry -------------------------------------------------

def _http(**headers) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://127.0.0.1",
                             headers=headers)


async def _asgi_reads(tender_id: int) -> dict[str, tuple[int, str]]:
    async with _http(**{"accept-language": "ru"}) as http:
        answers = {url: await http.get(url) for url in reads(tender_id)[:2]}
    return {url: (r.status_code, r.text) for url, r in answers.items()}


@pytest.mark.public_cache
@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_the_asgi_entry_serves_anonymous_api_reads_from_the_cache(make_tender, officer):
    tender = await sync_to_async(make_tender)(title="Before")
    url = f"/api/tenders/{tender.pk}/"
    try:
        async with _http() as http:
            first = await http.get(url)
            # a change no event announced (made behind the services' back) is not seen...
            await sync_to_async(Tender.objects.filter(pk=tender.pk).update)(title="After")
            again = await http.get(url)
            assert again.json()["title"] == "Before"
            # ...with every header Django sent, and this request's own id
            assert {k: v for k, v in again.headers.items() if k != "x-request-id"} == \
                {k: v for k, v in first.headers.items() if k != "x-request-id"}
            assert again.headers["x-request-id"] != first.headers["x-request-id"]
            assert again.headers["x-frame-options"] == "DENY"
            # ...by anonymous readers only, and per language
            token = await sync_to_async(_token)(officer)
            assert (await http.get(url, headers={"authorization": f"Token {token}"})).json()["title"] == "After"
            assert (await http.get(url, headers={"cookie": "sessionid=x"})).json()["title"] == "After"
            assert (await http.get(url, headers={"accept-language": "kk"})).json()["title"] == "After"
            assert (await http.get(url, headers={"host": "localhost"})).json()["title"] == "After"
            # an event forgets it all
            await sync_to_async(public_cache.invalidate)()
            assert (await http.get(url)).json()["title"] == "After"
    finally:
        await sync_to_async(connections.close_all)()


@pytest.mark.public_cache
def test_a_request_that_repeats_a_header_the_answer_depends_on_is_not_served_from_the_cache():
    def scope(*headers):
        return {"type": "http", "method": "GET", "path": "/api/tenders/", "query_string": b"", "scheme": "http",
                "server": ("127.0.0.1", 8000), "headers": [(n.encode(), v.encode()) for n, v in headers]}

    assert public_cache._asgi_key(scope(("host", "a"), ("accept-language", "kk"))) is not None
    for name in ("accept-language", "cookie", "host", "accept", "authorization", "x-forwarded-host"):
        assert public_cache._asgi_key(scope(("host", "a"), (name, "kk"), (name, "ru"))) is None, name
    # a header the answer does not depend on may repeat
    assert public_cache._asgi_key(scope(("host", "a"), ("x-other", "1"), ("x-other", "2"))) is not None


# --- never stale after a socket message ----------------------------------------------


async def _socket(path: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path, headers=[ORIGIN])
    connected, _ = await socket.connect()
    assert connected
    return socket


async def _until(socket, kind: str) -> dict:
    while True:
        message = await socket.receive_json_from(timeout=10)
        if message["type"] == kind:
            return message


@pytest.mark.public_cache
@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_after_every_kind_of_event_the_next_read_is_fresh(make_tender, officer, make_supplier):
    """Each step changes the tender through a service; once its event has
    reached a socket on the tender (or the feed), every read, through the
    cache, equals a read that bypasses it."""
    deadline = timezone.now() + timedelta(days=20)
    tender = await sync_to_async(make_tender)(submission_deadline=deadline)
    draft = await sync_to_async(make_tender)(publish=False, title="Announced later")
    supplier = await sync_to_async(make_supplier)()
    socket = await _socket(f"/ws/tenders/{tender.pk}/")
    feed = await _socket("/ws/tenders/")
    question = {}

    def ask():
        question["id"] = clarification_services.ask_question(tender.pk, by=supplier, text="Which asphalt grade?").pk

    steps = [
        ("bid_count_changed", socket, lambda: bid_services.submit_bid(tender.pk, by=supplier, content=bid_services.
                                                                      BidContent(amount=Decimal("1000"), currency="KZT",
                                                                                 answers={}, documents=[]))),
        ("question_asked", socket, ask),
        ("question_answered", socket, lambda: clarification_services.answer_question(
            tender.pk, question["id"], by=officer, answer="Grade 70/100.")),
        ("document_added", socket, lambda: tender_services.add_document(
            tender.pk, by=officer, upload=SimpleUploadedFile("spec.pdf", b"%PDF-1.4 spec", "application/pdf"),
            title="Specification", rationale="Clarified")),
        ("tender_amended", socket, lambda: tender_services.amend_tender(
            tender.pk, by=officer, rationale="Better title", title="Road repair, amended")),
        ("status_changed", feed, lambda: tender_services.publish_tender(draft.pk, by=officer)),
        ("opening", socket, lambda: bid_services.open_tender(tender.pk, now=deadline + timedelta(seconds=1))),
    ]
    try:
        for kind, listener, change in steps:
            before = await sync_to_async(read_all)(tender.pk)  # fills the cache
            await sync_to_async(change)()
            await _until(listener, kind)
            after = await sync_to_async(read_all)(tender.pk)
            through_asgi = await _asgi_reads(tender.pk)  # the cache in front of Django (procurement/asgi.py)
            fresh = await sync_to_async(read_all)(tender.pk, fresh=True)
            assert after == fresh, kind
            assert through_asgi == {url: fresh[url] for url in through_asgi}, kind
            if kind not in ("question_asked", "question_answered"):  # questions are read elsewhere
                assert after != before, f"{kind}: the reads did not change"
        assert (await sync_to_async(Tender.objects.get)(pk=tender.pk)).status != "active"  # opened
    finally:
        await socket.disconnect()
        await feed.disconnect()
        await sync_to_async(connections.close_all)()


@pytest.mark.public_cache
@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_requests_share_one_redis_connection_pool(make_tender, settings):
    """Every request is a context of its own, with cache objects of its own;
    they share the process's pool (core/redis_pool.py) instead of each
    opening a connection to Redis."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
    import redis

    tender = await sync_to_async(make_tender)()
    server = redis.Redis.from_url(settings.REDIS_URL)

    def connections_opened() -> int:
        return server.info("stats")["total_connections_received"]

    async def read(http, n: int):
        # As a server runs a request: a task in a context of its own (not the test's).
        return await asyncio.create_task(http.get(f"/api/tenders/{tender.pk}/?n={n}"), context=contextvars.Context())

    try:
        async with _http() as http:
            await read(http, -1)  # the pool's first connection
            before = connections_opened()
            answers = [await read(http, n) for n in range(30)]
        assert {answer.status_code for answer in answers} == {200}
        assert connections_opened() - before <= 3  # was one per request
    finally:
        server.close()
        await sync_to_async(connections.close_all)()
