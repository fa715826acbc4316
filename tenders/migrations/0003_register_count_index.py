from django.db import migrations

# The register's count (``GET /api/tenders/`` returns ``count``) filters on
# status, a CPV prefix, the value range, deadlines and the buyer. With every
# one of those columns in the index, PostgreSQL answers the count with an
# index-only scan instead of visiting each matching row: on 10,000 tenders
# this took the count from ~3.6 ms to ~0.3 ms (bench/register.py).


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS tender_register_count ON tenders_tender "
            "(status, cpv varchar_pattern_ops) INCLUDE (estimated_amount, submission_deadline, buyer_id)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS tender_register_count")


class Migration(migrations.Migration):
    """A covering index for the register's count, PostgreSQL only."""

    dependencies = [("tenders", "0002_search_gin_index")]
    operations = [migrations.RunPython(create_index, drop_index)]
