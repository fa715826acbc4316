"""The previous release's API tokens (DRF's authtoken, keys stored in clear
and shown in the admin) become knox tokens: each key's digest is stored, the
clear key deleted. Hashed rather than invalidated: integrations holding a key
keep working across the upgrade, and a user who fears its key was seen can
revoke it (DELETE /api/auth/tokens/{id}/). The authtoken table itself is
left (empty) to its app's migrations history."""

import datetime

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def hash_existing_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return  # a database created by this release
    AuthToken = apps.get_model("knox", "AuthToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        found = cursor.fetchall()
    for key, user_id, created in found:
        digest = hash_token(key)
        AuthToken.objects.get_or_create(digest=digest, defaults={
            "token_key": key[:CONSTANTS.TOKEN_KEY_LENGTH], "user_id": user_id, "expiry": None})
        # created is auto_now_add: the token's own date is set by an update
        AuthToken.objects.filter(digest=digest).update(created=_as_datetime(created))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


def _as_datetime(value):
    """PostgreSQL returns a datetime; SQLite, text in UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.timezone.utc)
    return value


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop)]
