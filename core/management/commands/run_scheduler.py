from django.core.management.base import BaseCommand

from core import scheduler


class Command(BaseCommand):
    help = "Run the deadline scheduler (opens bids at the deadline, completes standstills). Safe to run several."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit")

    def handle(self, *args, once=False, **options):
        if once:
            self.stdout.write(f"{scheduler.run_once()} due item(s) handled.")
            return
        scheduler.run_forever()
