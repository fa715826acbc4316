from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS tender_search_vector_gin ON tenders_tender USING GIN (search_vector)"
        )
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS tender_cpv_prefix ON tenders_tender (cpv varchar_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS tender_search_vector_gin")
        schema_editor.execute("DROP INDEX IF EXISTS tender_cpv_prefix")


class Migration(migrations.Migration):
    """Full-text (GIN over the tsvector) and CPV prefix indexes, PostgreSQL only."""

    dependencies = [("tenders", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
