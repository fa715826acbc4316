from pathlib import Path

from django.core.management.base import BaseCommand

from opendata import bulk


class Command(BaseCommand):
    help = ("Write the daily OCDS bulk file (gzipped JSON lines, one release package per tender) to "
            "PROCUREMENT_OCDS_BULK_DIR, replacing the previous one atomically. Run it once a day.")

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Write here instead of PROCUREMENT_OCDS_BULK_DIR")

    def handle(self, *args, output=None, **options):
        path, count = bulk.write(output)
        self.stdout.write(f"{count} tender(s) written to {path}.")
