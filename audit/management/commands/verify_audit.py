from django.core.management.base import BaseCommand, CommandError

from audit.services import verify
from tenders.models import Tender


class Command(BaseCommand):
    help = "Verify every tender's hash-chained audit log (or one tender's) and name the first bad entry."

    def add_arguments(self, parser):
        parser.add_argument("--tender", type=int, help="Verify only this tender")

    def handle(self, *args, tender=None, **options):
        if tender is not None:
            if not Tender.objects.filter(pk=tender).exists():
                raise CommandError(f"No tender {tender}.")
        problems = verify([tender] if tender is not None else None)
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(f"{len(problems)} audit chain(s) failed verification.")
        self.stdout.write(self.style.SUCCESS(f"Tender {tender}: audit chain verified." if tender is not None
                                             else "All audit chains verified."))
