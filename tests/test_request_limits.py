"""Oversized or over-long requests are refused with a JSON 4xx and a stable
code (413 ``request_too_large``, 400 ``too_many_fields`` /
``too_many_files``), for anonymous callers too and with DEBUG off — never a
500. Through the test client (the WSGI-style handler) and through the ASGI
application that uvicorn serves."""

import httpx
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _many_fields(n: int) -> str:
    return "&".join(f"f{i}=1" for i in range(n))


@pytest.fixture
def anonymous():
    return Client()


def test_a_form_body_over_the_limit_is_413(anonymous, settings):
    settings.DEBUG = False
    body = "a=" + "x" * (2 * MB + 10)
    response = anonymous.post("/api/auth/register/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_a_multipart_field_over_the_limit_is_413(anonymous, settings, supplier, make_tender):
    settings.DEBUG = False
    tender = make_tender()
    client = Client()
    client.force_login(supplier)
    response = client.post(f"/api/tenders/{tender.pk}/bids/",
                           {"amount": "10.00", "currency": "KZT", "answers": "x" * (2 * MB + 10)})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


@pytest.mark.parametrize("debug", [False, True])
def test_too_many_query_fields_is_400(anonymous, settings, debug):
    settings.DEBUG = debug
    response = anonymous.get("/api/tenders/?" + _many_fields(2000))
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_fields"


def test_too_many_form_fields_is_400(anonymous, settings):
    settings.DEBUG = False
    response = anonymous.post("/api/auth/token/", _many_fields(2000),
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_fields"


def test_too_many_files_is_400(settings, supplier, make_tender):
    settings.DEBUG = False
    tender = make_tender()
    client = Client()
    client.force_login(supplier)
    files = [("documents", (f"d{i}.txt", b"x", "text/plain")) for i in range(101)]
    boundary = "b0undary"
    body = b"".join(
        (f"--{boundary}\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"{name}\"\r\n"
         f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
        for _, (name, data, ctype) in files) + f"--{boundary}--\r\n".encode()
    response = client.post(f"/api/tenders/{tender.pk}/bids/", body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_files"


def test_too_many_files_is_400_on_a_page_outside_the_api(settings, staff):
    # Django's own handler (not DRF's) meets the error in CsrfViewMiddleware.
    settings.DEBUG = False
    client = Client()
    client.force_login(staff)
    response = client.post("/admin/login/", _many_fields(2000), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_fields"


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_through_asgi_too_many_fields_and_too_large_are_4xx(anyio_backend, settings):
    from procurement.asgi import application

    settings.DEBUG = False
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                 base_url="http://127.0.0.1") as http:
        many = await http.get("/api/tenders/?" + _many_fields(2000))
        big = await http.post("/api/auth/register/", content=b"a=" + b"x" * (2 * MB + 10),
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert (many.status_code, many.json()["code"]) == (400, "too_many_fields")
    assert (big.status_code, big.json()["code"]) == (413, "request_too_large")
