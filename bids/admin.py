"""Staff see bids only as the public does: metadata and the count before the
opening, the opened content (and the bidder) after it. Sealed bytes are never
displayed, the list cannot be filtered by bidder, and nothing here can be
edited."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Bid, BidVersion


@admin.register(Bid)
class BidAdmin(ReadOnlyAdmin):
    list_display = ["id", "tender", "opened_supplier", "status", "needs_confirmation", "opened_at",
                    "opened_amount"]
    list_filter = ["status"]
    list_select_related = ["tender", "supplier"]
    fields = ["tender", "opened_supplier", "status", "needs_confirmation", "created_at", "updated_at",
              "opened_at", "opened_amount", "opened_answers"]
    readonly_fields = fields

    def lookup_allowed(self, lookup, value, request=None):
        # Filtering by bidder would answer "did X bid on tender T?" before the opening.
        if lookup.split("__")[0] in ("supplier", "supplier_id"):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="supplier")
    def opened_supplier(self, bid: Bid) -> str:
        return str(bid.supplier) if bid.opened_at else "sealed"

    @admin.display(description="amount")
    def opened_amount(self, bid: Bid) -> str:
        return f"{bid.amount} {bid.currency}" if bid.opened_at else "sealed"

    @admin.display(description="answers")
    def opened_answers(self, bid: Bid) -> str:
        return str(bid.answers) if bid.opened_at else "sealed"


@admin.register(BidVersion)
class BidVersionAdmin(ReadOnlyAdmin):
    list_display = ["bid", "number", "received_at", "sha256"]
    list_select_related = ["bid"]
    fields = ["bid", "number", "received_at", "sha256", "signature"]
    readonly_fields = fields
