import django.db.models.deletion
from django.db import migrations, models


def to_the_only_lot(apps, schema_editor):
    """Every existing qualification and award is about its tender's only lot
    (tenders/0005 gave every tender one)."""
    Lot = apps.get_model("tenders", "Lot")
    for name in ("Qualification", "Award"):
        model = apps.get_model("evaluation", name)
        tender_path = "bid__tender_id" if name == "Qualification" else "tender_id"
        rows = list(model.objects.filter(lot__isnull=True).values_list("pk", tender_path))
        lots = dict(Lot.objects.filter(tender_id__in={t for _, t in rows}).values_list("tender_id", "pk"))
        for pk, tender_id in rows:
            model.objects.filter(pk=pk).update(lot_id=lots[tender_id])


class Migration(migrations.Migration):

    dependencies = [
        ("bids", "0004_offers"),
        ("evaluation", "0001_initial"),
        ("tenders", "0006_lot_count"),
    ]

    operations = [
        migrations.AlterField(
            model_name="qualification", name="bid",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="qualifications",
                                    to="bids.bid"),
        ),
        migrations.AddField(
            model_name="qualification", name="lot",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="qualifications", to="tenders.lot"),
        ),
        migrations.AddField(
            model_name="award", name="lot",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="awards",
                                    to="tenders.lot"),
        ),
        migrations.RunPython(to_the_only_lot, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="qualification", name="lot",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="qualifications",
                                    to="tenders.lot"),
        ),
        migrations.AlterField(
            model_name="award", name="lot",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="awards",
                                    to="tenders.lot"),
        ),
        migrations.AddConstraint(
            model_name="qualification",
            constraint=models.UniqueConstraint(fields=("bid", "lot"), name="one_qualification_per_offer"),
        ),
        migrations.RemoveConstraint(model_name="award", name="one_active_award"),
        migrations.AddConstraint(
            model_name="award",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "active")), fields=("lot",),
                                               name="one_active_award_per_lot"),
        ),
        migrations.RemoveConstraint(model_name="complaint", name="one_open_complaint_per_supplier"),
        migrations.AddConstraint(
            model_name="complaint",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "open")), fields=("award", "supplier"),
                                               name="one_open_complaint_per_supplier_and_award"),
        ),
    ]
