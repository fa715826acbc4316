from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_officer
from core.errors import DomainError


class Command(BaseCommand):
    help = "Create an officer of a buyer organisation (creating the buyer if it does not exist)."

    def add_arguments(self, parser):
        parser.add_argument("--buyer", required=True, help="Buyer organisation name")
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--buyer-tax-id", default="", help="The buyer's 12-digit BIN (optional)")

    def handle(self, *args, buyer, username, password, email, buyer_tax_id, **options):
        try:
            user = create_officer(buyer_name=buyer, username=username, password=password,
                                  email=email, buyer_tax_id=buyer_tax_id)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from exc
        self.stdout.write(self.style.SUCCESS(f"Officer {user.username} of {user.organisation.name} created."))
