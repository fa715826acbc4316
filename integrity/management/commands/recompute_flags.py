from django.core.management.base import BaseCommand

from integrity import services


class Command(BaseCommand):
    help = ("Recompute every tender's red flags, the per-buyer figures and the market fences of R024/R058 "
            "from the public data (after a change of rule); the result equals what the live events left.")

    def handle(self, *args, **options):
        count = services.recompute_all()
        fences = services.current_fences()
        self.stdout.write(f"Recomputed the flags of {count} tenders; market fences from {fences.count} lots "
                          f"(lower {fences.lower}, upper {fences.upper}).")
