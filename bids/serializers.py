from decimal import Decimal

from rest_framework import serializers

from core.isotime import iso

from tenders.models import MAX_LOTS

from . import content, receipts


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


class ReceiptOut(serializers.Serializer):
    tender = serializers.IntegerField()
    bid = serializers.IntegerField()
    version = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="SHA-256 of `content`")
    received_at = serializers.CharField(help_text="Server receive time, ISO 8601 UTC")
    signature = serializers.CharField(help_text="Ed25519 signature (hex) over the receipt message")
    key_id = serializers.CharField(help_text="Id of the platform key that signed it (see `/api/receipts/public-key/`)")
    public_key = serializers.CharField(help_text="That key's Ed25519 public key (hex)")
    content = serializers.CharField(required=False, help_text=(
        "The canonical JSON that was sealed and hashed (absent when an idempotent retry is replayed)"))


class VersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    sha256 = serializers.CharField()
    received_at = serializers.CharField()
    signature = serializers.CharField()


class SupplierOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tax_id = serializers.CharField()


class OfferOut(serializers.Serializer):
    lot = serializers.IntegerField()
    amount = serializers.CharField()


class BidOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    sealed = serializers.BooleanField()
    needs_confirmation = serializers.BooleanField()
    supplier = SupplierOut()
    received_at = serializers.CharField()
    sha256 = serializers.CharField()
    versions = VersionOut(many=True, required=False, help_text="Own bid before opening: every receipt")
    amount = serializers.CharField(required=False, help_text="After opening only: the total of its offers")
    lots = OfferOut(many=True, required=False, help_text="After opening only: the offer for each lot bid on")
    currency = serializers.CharField(required=False)
    answers = serializers.DictField(required=False)
    documents = serializers.ListField(child=serializers.DictField(), required=False)
    nonce = serializers.CharField(required=False, help_text="After opening: the canonical content's nonce")


class SetAsideOut(serializers.Serializer):
    bid = serializers.IntegerField()
    supplier = SupplierOut()
    received_at = serializers.CharField()
    sha256 = serializers.CharField()
    version = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=["unreadable", "hash_mismatch", "content_invalid"], help_text=(
        "Why the bid was not opened: its sealed box does not open with the tender's key (`unreadable`), "
        "its content does not match its receipt's hash (`hash_mismatch`), or it is not valid bid content "
        "(`content_invalid`)"))


class LotOpeningOut(serializers.Serializer):
    lot = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField(help_text="`evaluation`, or `unsuccessful` with fewer than min_bids offers")
    offers = serializers.ListField(child=serializers.DictField(), help_text='[{"bid", "amount"}] by bid')


class OpeningOut(serializers.Serializer):
    tender = serializers.IntegerField()
    opened_at = serializers.CharField()
    bids = serializers.ListField(child=serializers.DictField())
    lots = LotOpeningOut(many=True, help_text="Each lot's offers, as opened")
    set_aside = SetAsideOut(many=True, help_text=(
        "Bids that could not be opened: the tender opens without them (each bidder can check its hash)"))


class VerifyIn(serializers.Serializer):
    tender = serializers.IntegerField()
    bid = serializers.IntegerField()
    sha256 = serializers.RegexField(r"^[0-9a-f]{64}$")
    received_at = serializers.CharField(max_length=64)
    signature = serializers.RegexField(r"^[0-9a-fA-F]{128}$")
    key_id = serializers.RegexField(r"^[0-9a-f]{16}$", required=False, help_text=(
        "The receipt's `key_id`; without it every key of the platform's keyring is tried"))


class VerifyOut(serializers.Serializer):
    valid = serializers.BooleanField()
    key_id = serializers.CharField(allow_null=True, help_text="The key that signed it (null when not valid)")
    public_key = serializers.CharField(help_text="That key's public key (the current one when not valid)")


class KeyOut(serializers.Serializer):
    key_id = serializers.CharField()
    public_key = serializers.CharField(help_text="Ed25519 public key (hex)")
    current = serializers.BooleanField(help_text="Signs new receipts; the others verify older ones")


class PublicKeyOut(serializers.Serializer):
    algorithm = serializers.CharField()
    key_id = serializers.CharField(help_text="The current key's id")
    public_key = serializers.CharField(help_text="The current platform Ed25519 public key (hex)")
    keys = KeyOut(many=True, help_text="Every key that verifies receipts (current first, then retired keys)")
    message = serializers.CharField(help_text="What a receipt's signature is over")


def offers_of(bid) -> list[dict]:
    """An opened bid's offers by lot (prefetch ``offers``)."""
    return [{"lot": o.lot_id, "amount": f"{o.amount:.2f}"} for o in bid.offers.all()]


def bid_data(bid, *, versions=None) -> dict:
    supplier = bid.supplier
    data = {
        "id": bid.pk, "status": bid.status, "sealed": bid.opened_at is None,
        "needs_confirmation": bid.needs_confirmation,
        "supplier": {"id": supplier.pk, "name": supplier.name, "tax_id": supplier.tax_id},
        "received_at": iso(bid.current.received_at), "sha256": bid.current.sha256,
    }
    if bid.opened_at is not None:
        data.update(amount=f"{bid.amount:.2f}", lots=offers_of(bid), currency=bid.currency, answers=bid.answers, nonce=bid.nonce,
                    documents=[{**d, "url": f"/api/tenders/{bid.tender_id}/bids/{bid.pk}/documents/{i}/"}
                               for i, d in enumerate(bid.documents or [])])
    if versions is not None:
        data["versions"] = [{"number": v.number, "sha256": v.sha256, "received_at": iso(v.received_at),
                             "signature": v.signature} for v in versions]
    return data
