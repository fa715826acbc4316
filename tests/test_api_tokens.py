"""API tokens are stored hashed (django-rest-knox): the key is shown once,
when it is issued, never by the database, the admin or the API afterwards; a
user lists and revokes its own tokens; tokens of the previous release (DRF's
authtoken, in clear) were hashed by a migration and keep working."""

import hashlib

import pytest
from django.db import connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import tokens

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-pass-phrase"


def with_key(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def test_the_key_is_not_stored_only_its_digest(api, supplier):
    key = api.post("/api/auth/token/", {"username": supplier.username, "password": PASSWORD},
                   format="json").json()["token"]
    stored = AuthToken.objects.get(user=supplier)
    assert stored.digest == hashlib.sha512(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)
    assert with_key(key).get("/api/auth/me/").json()["username"] == supplier.username


def test_the_admin_shows_no_key(staff, supplier, client):
    key = tokens.issue(supplier)
    client.force_login(staff)
    listing = client.get("/admin/knox/authtoken/")
    assert listing.status_code == 200
    assert key.encode() not in listing.content
    assert b"authtoken/token" not in client.get("/admin/").content  # DRF's clear-key admin is gone


def test_a_user_lists_its_tokens_without_keys_and_revokes_one(supplier, make_supplier):
    first, second = tokens.issue(supplier), tokens.issue(supplier)
    other = tokens.issue(make_supplier())
    # when it lists its tokens
    listed = with_key(first).get("/api/auth/tokens/")
    # then it sees its two, the one in use marked, and no key
    assert listed.status_code == 200
    body = listed.json()
    assert len(body) == 2 and {t["current"] for t in body} == {True, False}
    assert set(body[0]) == {"id", "created", "expires", "current"}
    assert not any(key in listed.content.decode() for key in (first, second, other))
    # when it revokes the other one
    revoked = next(t["id"] for t in body if not t["current"])
    assert with_key(first).delete(f"/api/auth/tokens/{revoked}/").status_code == 204
    # then that key no longer works, its own still does
    assert with_key(second).get("/api/auth/me/").status_code == 401
    assert with_key(first).get("/api/auth/me/").json()["authenticated"] is True


def test_another_users_token_cannot_be_revoked(supplier, make_supplier):
    mine, theirs = tokens.issue(supplier), make_supplier()
    tokens.issue(theirs)
    their_id = AuthToken.objects.get(user=theirs).token_key
    response = with_key(mine).delete(f"/api/auth/tokens/{their_id}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert AuthToken.objects.filter(user=theirs).exists()


def test_the_token_list_needs_authentication(api):
    assert api.get("/api/auth/tokens/").status_code == 401


def test_the_oldest_tokens_go_beyond_the_limit(supplier, settings):
    settings.API_TOKENS_PER_USER = 3
    keys = [tokens.issue(supplier) for _ in range(5)]
    assert AuthToken.objects.filter(user=supplier).count() == 3
    assert with_key(keys[0]).get("/api/auth/me/").status_code == 401
    assert with_key(keys[-1]).get("/api/auth/me/").json()["authenticated"] is True


@pytest.mark.django_db(transaction=True)
def test_a_token_of_the_previous_release_is_hashed_by_the_migration_and_keeps_working(supplier):
    from django.db.migrations.executor import MigrationExecutor

    # given a database before the migration, holding a DRF authtoken row in clear
    legacy_key = "0123456789abcdef0123456789abcdef01234567"
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS authtoken_token (key varchar(40) PRIMARY KEY, "
                       "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
                       if connection.vendor == "postgresql" else
                       "CREATE TABLE IF NOT EXISTS authtoken_token (key varchar(40) PRIMARY KEY, "
                       "created datetime NOT NULL, user_id integer NOT NULL)")
        cursor.execute("INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
                       [legacy_key, "2025-01-02 03:04:05", supplier.pk])
    try:
        # when it is migrated
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        # then the clear key is gone, and the key still signs in
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0
        migrated = AuthToken.objects.get(user=supplier)
        assert migrated.created.year == 2025 and migrated.expiry is None
        assert with_key(legacy_key).get("/api/auth/me/").json()["username"] == supplier.username
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")


@pytest.mark.parametrize("token_id", ["%00", "a%00b", "x" * 200, "..", "%E2%82%AC"])
def test_a_token_id_that_cannot_be_one_is_404_not_a_database_error(supplier, token_id):
    key = tokens.issue(supplier)
    response = with_key(key).delete(f"/api/auth/tokens/{token_id}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert AuthToken.objects.filter(user=supplier).count() == 1
