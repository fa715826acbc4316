from django.core.management.base import BaseCommand
from django.db import transaction

from opendata import releases
from tenders.models import PUBLISHED_STATUSES, Tender


class Command(BaseCommand):
    help = ("Once, after upgrading a database with tenders published before OCDS releases were stored: give "
            "each published tender that has no stored release one release of its state now (at its newest "
            "audit entry, tagged for its status). Earlier stages are not invented. Safe to run again.")

    def handle(self, *args, **options):
        made = 0
        ids = list(Tender.objects.filter(status__in=PUBLISHED_STATUSES, published_at__isnull=False,
                                         ocds_releases__isnull=True).order_by("pk").values_list("pk", flat=True))
        for pk in ids:
            with transaction.atomic():
                tender = Tender.objects.select_for_update(of=("self",)).select_related("buyer").get(pk=pk)
                made += releases.backfill(tender) is not None
        self.stdout.write(f"{made} tender(s) given a release.")
