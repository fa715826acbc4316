from django.db import migrations, models
from django.db.models import F


def existing_addresses_stay_confirmed(apps, schema_editor):
    """Addresses in use before confirmation existed keep receiving the mail
    they received (a deployed platform must not fall silent at the upgrade);
    only addresses given from now on need the link."""
    apps.get_model("accounts", "User").objects.exclude(email="").update(confirmed_email=F("email"))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='confirmed_email',
            field=models.EmailField(blank=True, default='', max_length=254),
        ),
        migrations.RunPython(existing_addresses_stay_confirmed, migrations.RunPython.noop),
    ]
