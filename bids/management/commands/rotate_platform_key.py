"""Rotate the platform key (see README, "Rotating the platform key").

1. ``manage.py rotate_platform_key --generate`` prints a new key.
2. Deploy with ``PROCUREMENT_PLATFORM_KEY=<new>`` and the old key added to
   ``PROCUREMENT_PLATFORM_RETIRED_KEYS``: new tender keys are sealed and new
   receipts signed under the new key; the old one still opens and verifies.
3. ``manage.py rotate_platform_key`` re-seals every tender's private key
   under the current key (one row lock at a time; safe to run while the
   platform serves, and to run again) and counts receipts per signing key.
"""

import base64
import os
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bids import receipts
from core import sealing
from bids.models import BidVersion
from tenders.models import Tender


class Command(BaseCommand):
    help = "Re-seal every tender key under the current platform key (after a key rotation); --generate prints a new key."

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true", help="Print a new random platform key and exit")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be re-sealed; change nothing")

    def handle(self, *args, generate=False, dry_run=False, **options):
        if generate:
            self.stdout.write(base64.b64encode(os.urandom(32)).decode())
            return
        ring = sealing.keyring()
        self.stdout.write(f"Current platform key: {ring.current.key_id}; retired: "
                          f"{', '.join(k.key_id for k in ring.retired) or 'none'}.")
        resealed = current = 0
        ids = Tender.objects.exclude(sealed_private_key=None).order_by("pk").values_list("pk", flat=True)
        for tender_id in ids.iterator():
            with transaction.atomic():
                tender = Tender.objects.select_for_update().only("sealed_private_key").get(pk=tender_id)
                try:
                    new = sealing.reseal_private_key(tender.sealed_private_key)
                except Exception as exc:  # a key that is not in the ring: stop, name the tender
                    raise CommandError(f"Tender {tender_id}: {exc}") from exc
                if new is None:
                    current += 1
                    continue
                if not dry_run:
                    Tender.objects.filter(pk=tender_id).update(sealed_private_key=new)
                resealed += 1
        verb = "would re-seal" if dry_run else "re-sealed"
        self.stdout.write(f"Tender keys: {verb} {resealed}, already under the current key {current}.")
        by_key: Counter = Counter()
        for v in BidVersion.objects.select_related("bid").only(
                "bid__tender_id", "bid_id", "sha256", "received_at", "signature").iterator():
            key = receipts.signer(tender_id=v.bid.tender_id, bid_id=v.bid_id, sha256=v.sha256,
                                  received_at=receipts.iso(v.received_at), signature=v.signature)
            by_key[key.key_id if key is not None else "unverifiable"] += 1
        for key_id, count in sorted(by_key.items()):
            self.stdout.write(f"Receipts signed by {key_id}: {count}")
        if by_key.get("unverifiable"):
            raise CommandError(f"{by_key['unverifiable']} receipt(s) verify under no key of the ring.")
        self.stdout.write("A retired key can be dropped from PROCUREMENT_PLATFORM_RETIRED_KEYS once no tender key "
                          "is sealed under it and its receipts no longer need checking here.")
