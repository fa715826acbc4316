from django.db import migrations, models

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def detect(text: str) -> str:
    """Existing tenders had no language: Kazakh letters make it kk, other
    Cyrillic ru, and anything else en (what their open data said so far)."""
    if any(ch in KAZAKH_LETTERS for ch in text):
        return "kk"
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return "ru"
    return "en"


def set_languages(apps, schema_editor):
    Tender = apps.get_model("tenders", "Tender")
    for language in ("kk", "ru", "en"):
        ids = [pk for pk, title, description in Tender.objects.values_list("pk", "title", "description").iterator()
               if detect(f"{title} {description}") == language]
        for start in range(0, len(ids), 1000):
            Tender.objects.filter(pk__in=ids[start:start + 1000]).update(language=language)


class Migration(migrations.Migration):
    dependencies = [("tenders", "0003_register_count_index")]

    operations = [
        migrations.AddField(
            model_name="tender",
            name="language",
            field=models.CharField(choices=[("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")],
                                   default="ru", max_length=2),
        ),
        migrations.RunPython(set_languages, migrations.RunPython.noop),
    ]
