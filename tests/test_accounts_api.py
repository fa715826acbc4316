"""Accounts: supplier self-registration, token and session login, `me`, and
the `create_officer` command."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Organisation, User
from tests.factories import valid_tax_id
from tests.helpers import tender_json

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-pass-phrase"


def registration(**overrides) -> dict:
    data = {"organisation_name": "Qazaq Stroy LLP", "tax_id": valid_tax_id(), "username": "qazaqstroy",
            "password": "Sunny-steppe-2026", "email": "office@qazaqstroy.kz"}
    data.update(overrides)
    return data


# --- registration -------------------------------------------------------------

def test_a_business_registers_as_a_supplier_and_gets_a_token(api):
    # when
    response = api.post("/api/auth/register/", registration(), format="json")
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["role"] == "supplier"
    assert body["organisation"]["kind"] == "supplier"
    assert body["organisation"]["name"] == "Qazaq Stroy LLP"
    me = APIClient(HTTP_AUTHORIZATION=f"Token {body['token']}").get("/api/auth/me/").json()
    assert me["username"] == "qazaqstroy" and me["role"] == "supplier"


@pytest.mark.parametrize("tax_id", ["12345678901", "1234567890123", "12345678901a", "１２３４５６７８９０１２"])
def test_registration_refuses_a_tax_id_that_is_not_12_digits(api, tax_id):
    response = api.post("/api/auth/register/", registration(tax_id=tax_id), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "tax_id_format"


def test_registration_refuses_a_tax_id_with_a_wrong_check_digit(api, db):
    good = valid_tax_id()
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    response = api.post("/api/auth/register/", registration(tax_id=bad), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "tax_id_checksum"


def test_registration_refuses_a_tax_id_already_registered(api, supplier):
    response = api.post("/api/auth/register/", registration(tax_id=supplier.organisation.tax_id), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "tax_id_taken"


def test_registration_refuses_a_taken_username_whatever_its_case(api, supplier):
    response = api.post("/api/auth/register/", registration(username=supplier.username.upper()), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


def test_registration_refuses_a_duplicate_supplier_name(api, supplier):
    response = api.post("/api/auth/register/", registration(organisation_name=supplier.organisation.name),
                        format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_registered"


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "qazaqstroy1"])
def test_registration_refuses_a_weak_password(api, db, password):
    response = api.post("/api/auth/register/", registration(password=password), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "password_too_weak"
    assert not User.objects.filter(username="qazaqstroy").exists()


def test_registration_reports_every_missing_field(api, db):
    response = api.post("/api/auth/register/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "required"
    assert set(body["errors"]) == {"organisation_name", "tax_id", "username", "password"}


def test_a_refused_registration_leaves_no_organisation_behind(api, db):
    api.post("/api/auth/register/", registration(password="123"), format="json")
    assert not Organisation.objects.exists()


# --- token login --------------------------------------------------------------

def test_token_login_returns_a_token_that_authenticates(api, officer):
    response = api.post("/api/auth/token/", {"username": officer.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    client = APIClient(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/auth/me/").json()["role"] == "officer"


def test_each_token_login_issues_a_new_token_and_both_work(api, supplier):
    credentials = {"username": supplier.username, "password": PASSWORD}
    first = api.post("/api/auth/token/", credentials, format="json").json()["token"]
    second = api.post("/api/auth/token/", credentials, format="json").json()["token"]
    assert first != second  # the key is not stored, so it cannot be shown twice
    for key in (first, second):
        assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/auth/me/").json()["username"] == supplier.username


@pytest.mark.parametrize("username, password", [("nobody", PASSWORD), (None, "wrong-password")])
def test_token_login_refuses_bad_credentials(api, officer, username, password):
    response = api.post("/api/auth/token/", {"username": username or officer.username, "password": password},
                        format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_token_login_refuses_an_inactive_user(api, officer):
    officer.is_active = False
    officer.save()
    response = api.post("/api/auth/token/", {"username": officer.username, "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_a_bad_token_is_refused_with_401(db):
    client = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


# --- session login with CSRF ------------------------------------------------------

def test_session_login_without_the_csrf_token_is_refused(officer):
    client = APIClient(enforce_csrf_checks=True)
    response = client.post("/api/auth/login/", {"username": officer.username, "password": PASSWORD},
                           format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_session_login_with_the_csrf_token_starts_a_session(officer):
    # given: the browser fetched `me` and holds the CSRF cookie
    client = APIClient(enforce_csrf_checks=True)
    assert client.get("/api/auth/me/").json()["authenticated"] is False
    csrf = client.cookies["csrftoken"].value
    # when
    response = client.post("/api/auth/login/", {"username": officer.username, "password": PASSWORD},
                           format="json", HTTP_X_CSRFTOKEN=csrf)
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "officer"
    assert client.get("/api/auth/me/").json()["username"] == officer.username


def test_session_login_refuses_a_wrong_password(officer):
    client = APIClient(enforce_csrf_checks=True)
    client.get("/api/auth/me/")
    response = client.post("/api/auth/login/", {"username": officer.username, "password": "nope"},
                           format="json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def _logged_in_browser(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.get("/api/auth/me/")
    client.post("/api/auth/login/", {"username": user.username, "password": PASSWORD}, format="json",
                HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    return client


def test_a_session_write_without_csrf_is_refused(officer):
    client = _logged_in_browser(officer)
    response = client.post("/api/tenders/", tender_json(), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_session_write_with_csrf_is_accepted(officer):
    client = _logged_in_browser(officer)
    response = client.post("/api/tenders/", tender_json(), format="json",
                           HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 201, response.json()


def test_logout_ends_the_session(officer):
    client = _logged_in_browser(officer)
    response = client.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 204
    assert client.get("/api/auth/me/").json()["authenticated"] is False


# --- me -----------------------------------------------------------------------------

def test_me_for_the_public(api, db):
    assert api.get("/api/auth/me/").json() == {"id": None, "username": None, "authenticated": False,
                                                "role": "public", "organisation": None,
                                                    "email": None, "email_confirmed": False}


@pytest.mark.parametrize("who, role, kind", [("supplier", "supplier", "supplier"),
                                             ("officer", "officer", "buyer"),
                                             ("staff", "staff", None)])
def test_me_names_the_role_and_organisation(request, as_user, who, role, kind):
    user = request.getfixturevalue(who)
    body = as_user(user).get("/api/auth/me/").json()
    assert body["role"] == role
    assert body["username"] == user.username
    assert (body["organisation"] or {}).get("kind") == kind


def test_me_sets_the_csrf_cookie(api, db):
    response = api.get("/api/auth/me/")
    assert "csrftoken" in response.cookies


# --- create_officer -------------------------------------------------------------

def test_create_officer_creates_the_buyer_and_an_officer_who_can_log_in(db, api, capsys):
    call_command("create_officer", "--buyer", "Akimat of Almaty", "--username", "almaty1",
                 "--password", PASSWORD)
    user = User.objects.get(username="almaty1")
    assert user.is_officer and user.organisation.name == "Akimat of Almaty"
    assert "almaty1" in capsys.readouterr().out
    response = api.post("/api/auth/token/", {"username": "almaty1", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_create_officer_adds_a_second_officer_to_an_existing_buyer(db, officer):
    call_command("create_officer", "--buyer", officer.organisation.name, "--username", "second",
                 "--password", PASSWORD)
    assert User.objects.get(username="second").organisation == officer.organisation


@pytest.mark.parametrize("args, code", [
    (["--username", "x-officer", "--password", "123"], "password_too_weak"),
    (["--username", "x-officer", "--password", PASSWORD, "--buyer-tax-id", "123456789012"], "tax_id_invalid"),
])
def test_create_officer_refuses_bad_input(db, args, code):
    with pytest.raises(CommandError, match=code):
        call_command("create_officer", "--buyer", "Akimat of Shymkent", *args)
    assert not User.objects.filter(username="x-officer").exists()


def test_create_officer_refuses_a_taken_username(db, officer):
    with pytest.raises(CommandError, match="username_taken"):
        call_command("create_officer", "--buyer", "Akimat of Shymkent", "--username", officer.username,
                     "--password", PASSWORD)


# --- password guessing (django-axes) -------------------------------------------------

def token_request(client, username, password, address="127.0.0.1"):
    return client.post("/api/auth/token/", {"username": username, "password": password}, format="json",
                       REMOTE_ADDR=address)


def test_repeated_wrong_passwords_lock_that_username_out_from_that_address(officer, api, settings):
    settings.AXES_FAILURE_LIMIT = 3
    # given wrong passwords for one username from one address, up to the limit
    for _ in range(2):
        assert token_request(api, officer.username, "wrong-guess").json()["code"] == "invalid_credentials"
    assert token_request(api, officer.username, "wrong-guess").status_code == 429
    # when the right password comes from that address
    locked = token_request(api, officer.username, PASSWORD)
    # then it is refused for the cool-off period, with a stable code and a Retry-After
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    # while the same user from another address still gets in
    assert token_request(api, officer.username, PASSWORD, address="10.0.0.9").status_code == 200


def test_a_successful_login_resets_the_count_of_failures(officer, api, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for password in ["wrong-1", "wrong-2", PASSWORD, "wrong-3", "wrong-4"]:
        token_request(api, officer.username, password)
    assert token_request(api, officer.username, PASSWORD).status_code == 200


def test_the_admin_login_is_locked_out_too(staff, api, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert token_request(api, staff.username, "wrong-guess").status_code == 400
    assert token_request(api, staff.username, "wrong-guess").status_code == 429
    response = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 429


def test_a_token_exchange_creates_no_session(officer, api):
    response = token_request(api, officer.username, PASSWORD)
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    officer.refresh_from_db()
    assert officer.last_login is not None  # a password exchanged for a token is a login


@pytest.mark.parametrize("key", ["abc\x00def", "a" * 41, "cl\u00e9"])
def test_a_malformed_token_is_a_401_not_a_500(db, key):
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
