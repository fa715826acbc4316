from decimal import Decimal

from rest_framework import serializers

from core import sealing
from core.fields import IsoDateTime
from core.shapes import Money, Shape
from tenders.models import MAX_LOTS

from . import content


class AnswersField(serializers.JSONField):
    """Answers as a JSON object, or (multipart) a JSON string that parses
    to one: with the same strict parser either way, so ``NaN``, ``Infinity``
    and ``1e400`` are refused as "answers_invalid" whatever the content type."""

    default_error_messages = {"answers_invalid": "Answers are not valid JSON: {problem}."}

    def to_internal_value(self, data):
        if getattr(data, "is_json_string", False):
            try:
                return content.strict_loads(data)
            except ValueError as exc:
                self.fail("answers_invalid", problem=exc)
        return super().to_internal_value(data)


class OffersField(serializers.JSONField):
    """A bid's offers by lot, ``[{"lot": <id>, "amount": "…"}, …]``: a JSON
    array, or (multipart) a JSON string that parses to one. Returns
    ``[(lot id, Decimal amount), …]``."""

    default_error_messages = {"lots_invalid": "{problem}"}

    def to_internal_value(self, data):
        if getattr(data, "is_json_string", False) or isinstance(data, str):
            try:
                data = content.strict_loads(data)
            except ValueError as exc:
                self.fail("lots_invalid", problem=f"Lots are not valid JSON: {exc}.")
        if not isinstance(data, list) or not data:
            self.fail("lots_invalid", problem='Lots are a non-empty list of {"lot": id, "amount": "…"}.')
        if len(data) > MAX_LOTS:
            self.fail("lots_invalid", problem=f"A tender has at most {MAX_LOTS} lots.")
        offers, seen = [], set()
        for item in data:
            if not isinstance(item, dict) or set(item) != {"lot", "amount"}:
                self.fail("lots_invalid", problem='Each offer is {"lot": id, "amount": "…"}.')
            lot, amount = item["lot"], item["amount"]
            if isinstance(lot, bool) or not isinstance(lot, int) or not 0 < lot < 2**63:
                self.fail("lots_invalid", problem="A lot is named by its id.")
            if lot in seen:
                self.fail("lots_invalid", problem=f"Lot {lot} is offered twice.")
            seen.add(lot)
            if isinstance(amount, bool) or not isinstance(amount, (str, int)):
                self.fail("lots_invalid", problem="An amount is a decimal string, e.g. \"1250.00\".")
            problem = content.amount_problem(amount)
            if problem:
                self.fail("lots_invalid", problem=f"Lot {lot}: {problem}.")
            offers.append((lot, Decimal(amount)))
        return offers


class BidIn(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"), required=False,
                                      help_text="The price, on a single-lot tender (or give `lots`)")
    lots = OffersField(required=False, allow_null=True, help_text=(
        'Offers by lot, [{"lot": <id>, "amount": "…"}, …]: any subset of the tender\'s lots'))
    currency = serializers.RegexField(r"^[A-Z]{3}$")
    answers = AnswersField(required=False, default=dict,
                                    help_text='Answers keyed by criterion id, e.g. {"12": "24 months warranty"}')
    documents = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                      max_length=20, help_text="Files (multipart requests only)")

    def validate(self, attrs):
        if "lots" in attrs and attrs["lots"] is None:  # null: no offers by lot, as when absent
            del attrs["lots"]
        if "amount" not in attrs and "lots" not in attrs:
            raise serializers.ValidationError({"amount": [serializers.ErrorDetail(
                "This field is required.", code="required")]})
        if "amount" in attrs and "lots" in attrs:
            raise serializers.ValidationError({"amount": [serializers.ErrorDetail(
                'Give either "amount" (a single-lot tender) or "lots".', code="amount_or_lots")]})
        return attrs

    def validate_answers(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Answers are an object keyed by criterion id.", code="answers_invalid")
        if len(str(value)) > 50_000:
            raise serializers.ValidationError("Answers are too long.", code="answers_too_long")
        problem = content.json_problem(value)
        if problem:
            # Sealed now, decrypted into a JSON column at the opening: a NaN or
            # Infinity (a multipart form's answers parse "1e400" as infinity),
            # a NUL or a lone surrogate would make the tender impossible to open.
            raise serializers.ValidationError(f"Answers: {problem}.", code="answers_invalid")
        return value


class ReceiptOut(Shape):  # from a services.Receipt
    tender = serializers.IntegerField()
    bid = serializers.IntegerField()
    version = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="SHA-256 of `content`")
    received_at = serializers.CharField(help_text="Server receive time, ISO 8601 UTC")
    signature = serializers.CharField(help_text="Ed25519 signature (hex) over the receipt message")
    key_id = serializers.CharField(source="signer.key_id", help_text=(
        "Id of the platform key that signed it (see `/api/receipts/public-key/`)"))
    public_key = serializers.CharField(source="signer_public_key", help_text="That key's Ed25519 public key (hex)")
    content = serializers.CharField(required=False, help_text=(
        "The canonical JSON that was sealed and hashed (absent when an idempotent retry is replayed)"))

    def omitted(self, receipt):
        return () if receipt.content else ("content",)


class LiveReceiptOut(ReceiptOut):
    """The receipt the bidder's own sockets get: no socket carries a price
    before opening, so never the content."""

    def omitted(self, receipt):
        return ("content",)


class VersionOut(Shape):
    number = serializers.IntegerField()
    sha256 = serializers.CharField()
    received_at = IsoDateTime()
    signature = serializers.CharField()


class SupplierOut(Shape):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tax_id = serializers.CharField()


class OfferOut(Shape):
    lot = serializers.IntegerField(source="lot_id")
    amount = Money()


class BidDocumentsField(serializers.ListField):
    """An opened bid's documents, each with its download URL."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.DictField(), **kwargs)

    def to_representation(self, bid):
        return [{**d, "url": f"/api/tenders/{bid.tender_id}/bids/{bid.pk}/documents/{i}/"}
                for i, d in enumerate(bid.documents or [])]


# A sealed bid's body has none of these.
OPENED_ONLY = ("amount", "lots", "currency", "answers", "nonce", "documents")


# From a Bid (select supplier and current; prefetch offers once opened);
# context={"versions": True} adds its receipts (the bidder's own).
class BidOut(Shape):
    id = serializers.IntegerField()
    status = serializers.CharField()
    sealed = serializers.SerializerMethodField()
    needs_confirmation = serializers.BooleanField()
    supplier = SupplierOut()
    received_at = IsoDateTime(source="current.received_at")
    sha256 = serializers.CharField(source="current.sha256")
    amount = Money(required=False, help_text="After opening only: the total of its offers")
    lots = OfferOut(many=True, required=False, source="offers",
                    help_text="After opening only: the offer for each lot bid on")
    currency = serializers.CharField(required=False)
    answers = serializers.DictField(required=False)
    nonce = serializers.CharField(required=False, help_text="After opening: the canonical content's nonce")
    documents = BidDocumentsField(source="*", required=False)
    versions = VersionOut(many=True, required=False, help_text="Own bid: every receipt")

    def omitted(self, bid):
        omit = () if bid.opened_at is not None else OPENED_ONLY
        return omit if self.context.get("versions") else (*omit, "versions")

    def get_sealed(self, bid) -> bool:
        return bid.opened_at is None



class OwnBidTenderOut(Shape):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    submission_deadline = IsoDateTime()


class OwnBidOut(BidOut):  # select tender too
    tender = OwnBidTenderOut()


# An opened bid in the opening record, also the opening's audit entry and
# socket event (so its bytes are in the audit chain): from a Bid with supplier
# and current selected and its offers as ``opened_offers``.
class OpeningBidOut(Shape):
    bid = serializers.IntegerField(source="pk")
    supplier = SupplierOut()
    amount = Money()
    currency = serializers.CharField()
    lots = OfferOut(many=True, source="opened_offers")
    received_at = IsoDateTime(source="current.received_at")
    sha256 = serializers.CharField(source="current.sha256")
    nonce = serializers.CharField()
    version = serializers.IntegerField(source="current.number")


class SetAsideOut(Shape):
    bid = serializers.IntegerField(source="pk")
    supplier = SupplierOut()
    received_at = IsoDateTime(source="current.received_at")
    sha256 = serializers.CharField(source="current.sha256")
    version = serializers.IntegerField(source="current.number")
    reason = serializers.ChoiceField(source="set_aside", choices=[
        "unreadable", "hash_mismatch", "content_invalid"], help_text=(
        "Why the bid was not opened: its sealed box does not open with the tender's key (`unreadable`), "
        "its content does not match its receipt's hash (`hash_mismatch`), or it is not valid bid content "
        "(`content_invalid`)"))


class LotOfferOut(Shape):  # from an Offer
    bid = serializers.IntegerField(source="bid_id")
    amount = Money()


class LotOpeningOut(Shape):  # from a services.OpenedLot
    lot = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField(help_text="`evaluation`, or `unsuccessful` with fewer than min_bids offers")
    offers = LotOfferOut(many=True, help_text="By bid, in opening order")


class OpeningOut(Shape):  # from a services.Opening
    tender = serializers.IntegerField()
    opened_at = IsoDateTime()
    bids = OpeningBidOut(many=True)
    set_aside = SetAsideOut(many=True, help_text=(
        "Bids that could not be opened: the tender opens without them (each bidder can check its hash)"))
    lots = LotOpeningOut(many=True, help_text="Each lot's offers, as opened")


class VerifyIn(serializers.Serializer):
    tender = serializers.IntegerField()
    bid = serializers.IntegerField()
    sha256 = serializers.RegexField(r"^[0-9a-f]{64}$")
    received_at = serializers.CharField(max_length=64)
    signature = serializers.RegexField(r"^[0-9a-fA-F]{128}$")
    key_id = serializers.RegexField(r"^[0-9a-f]{16}$", required=False, help_text=(
        "The receipt's `key_id`; without it every key of the platform's keyring is tried"))


class HexKey(serializers.CharField):
    """An Ed25519 verify key, in hex."""

    def to_representation(self, verify_key):
        return bytes(verify_key).hex()


class VerifyOut(Shape):  # from the sealing.PlatformKey that signed the receipt, or None
    valid = serializers.SerializerMethodField()
    key_id = serializers.SerializerMethodField(help_text="The key that signed it (null when not valid)")
    public_key = serializers.SerializerMethodField(
        help_text="That key's public key (the current one when not valid)")

    def get_valid(self, key) -> bool:
        return key is not None

    def get_key_id(self, key) -> str | None:
        return None if key is None else key.key_id

    def get_public_key(self, key) -> str:
        return bytes((key or sealing.keyring().current).verify_key).hex()


class KeyOut(Shape):  # from a sealing.PlatformKey
    key_id = serializers.CharField()
    public_key = HexKey(source="verify_key", help_text="Ed25519 public key (hex)")
    current = serializers.SerializerMethodField(help_text="Signs new receipts; the others verify older ones")

    def get_current(self, key) -> bool:
        return key is sealing.keyring().current


class PublicKeyOut(Shape):  # from the sealing.KeyRing
    algorithm = serializers.SerializerMethodField()
    key_id = serializers.CharField(source="current.key_id", help_text="The current key's id")
    public_key = HexKey(source="current.verify_key", help_text="The current platform Ed25519 public key (hex)")
    keys = KeyOut(many=True, help_text="Every key that verifies receipts (current first, then retired keys)")
    message = serializers.SerializerMethodField(help_text="What a receipt's signature is over")

    def get_algorithm(self, ring) -> str:
        return "Ed25519"

    def get_message(self, ring) -> str:
        return "canonical JSON of {bid, received_at, sha256, tender}"

