"""The auction's bodies: the public state (``AuctionOut``, also every live
auction event's ``auction``), the price request and its receipt."""

from decimal import Decimal

from rest_framework import serializers

from core.fields import IsoDateTime

from .models import AuctionStatus

STAGE_KINDS = ["scheduled", "pause", "turn", "finished"]


class AuctionPriceIn(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"),
                                      help_text="Your new price: at most your price before this turn minus the "
                                                "lot's minimal_step")


class StageOut(serializers.Serializer):
    index = serializers.IntegerField(help_text="0 before the start, 1 the opening pause, then turns and pauses")
    kind = serializers.ChoiceField(choices=STAGE_KINDS)
    round = serializers.IntegerField(help_text="1-3 for a turn and the pause after it; 0 before the first round")
    position = serializers.IntegerField(allow_null=True, help_text="A turn's place in its round's order (0-based)")
    starts = IsoDateTime(allow_null=True)
    ends = IsoDateTime(allow_null=True)
    participant = serializers.IntegerField(allow_null=True, help_text="Whose turn it is (its number)")


class ParticipantOut(serializers.Serializer):
    number = serializers.IntegerField(help_text='"Participant N"')
    initial = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="The admitted initial price")
    price = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="The current price")
    name = serializers.CharField(allow_null=True, help_text="The supplier, once the auction has finished")
    bid = serializers.IntegerField(allow_null=True, help_text="The bid, once the auction has finished")


class ProtocolPriceOut(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    at = IsoDateTime(help_text="The server's receive time")
    sha256 = serializers.CharField(help_text="The hash in the price's signed receipt")


class ProtocolTurnOut(serializers.Serializer):
    round = serializers.IntegerField()
    position = serializers.IntegerField()
    participant = serializers.IntegerField()
    starts = IsoDateTime()
    ends = IsoDateTime()
    price_before = serializers.DecimalField(max_digits=18, decimal_places=2)
    prices = ProtocolPriceOut(many=True, help_text="Accepted in the turn; the last one counts")


class AuctionOut(serializers.Serializer):
    tender = serializers.IntegerField()
    lot = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AuctionStatus.choices)
    start = IsoDateTime(allow_null=True)
    end = IsoDateTime(allow_null=True)
    server_time = IsoDateTime(help_text="The server's clock when this was read: countdowns follow it")
    minimal_step = serializers.DecimalField(max_digits=18, decimal_places=2)
    pause = serializers.IntegerField(help_text="Seconds of the opening pause and of each pause between rounds")
    turn_seconds = serializers.IntegerField()
    rounds = serializers.IntegerField()
    stage = StageOut(allow_null=True, help_text="Null for a skipped auction")
    order = serializers.ListField(child=serializers.IntegerField(),
                                  help_text="The current (or first) round's order of participant numbers")
    participants = ParticipantOut(many=True)
    protocol = ProtocolTurnOut(many=True, help_text="Every turn begun so far, with the prices accepted in it")
    you = serializers.IntegerField(required=False,
                                   help_text="Only to a participant: its own number")
    max_price = serializers.DecimalField(max_digits=18, decimal_places=2, required=False,
                                         help_text="Only to a participant, until the end: the highest price it "
                                                   "may offer in its current or next turn")


class AuctionReceiptOut(serializers.Serializer):
    """An accepted price's receipt: ``sha256`` of ``content`` and
    ``received_at``, signed as a bid receipt is (``GET /api/receipts/verify/``
    with ``tender``, ``bid``, ``sha256``, ``received_at``, ``signature``)."""
    tender = serializers.IntegerField()
    lot = serializers.IntegerField()
    bid = serializers.IntegerField()
    participant = serializers.IntegerField()
    round = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    sha256 = serializers.CharField()
    received_at = IsoDateTime()
    signature = serializers.CharField()
    key_id = serializers.CharField()
    public_key = serializers.CharField()
    content = serializers.CharField(help_text="The canonical JSON that was hashed")


class AuctionEventOut(AuctionOut):
    """The state a live auction event carries: ``AuctionOut`` without the
    protocol (the page adds each turn and price as its event comes; the
    snapshot and the GET hold the whole protocol), so that an event to a
    thousand watchers stays small whatever the auction's length."""
    protocol = None
