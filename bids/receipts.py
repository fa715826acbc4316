"""Signed receipts: ``sha256`` of the bid's canonical content and the server's
``received_at``, signed with the platform's Ed25519 key.

The signed message is the canonical JSON (sorted keys, no spaces, UTF-8) of
``{"bid": <id>, "received_at": "<ISO 8601 UTC, Z>", "sha256": "<hex>",
"tender": <id>}``; the signature is hex. Anyone can check one with the public
key from ``GET /api/receipts/public-key/`` or ``GET /api/receipts/verify/``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from decimal import Decimal

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from core import sealing
from core.isotime import iso


def canonical(value) -> bytes:
    """Sorted keys, no whitespace, UTF-8. Refuses NaN and Infinity (ValueError):
    they are not JSON, and a sealed bid holding one could not be stored at
    the opening."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def new_nonce() -> str:
    """128 random bits (hex) for one submission's canonical content."""
    return secrets.token_hex(16)


def canonical_bid(*, tender_id: int, supplier_tax_id: str, amount: Decimal, currency: str, answers: dict,
                  documents: list[dict], nonce: str) -> bytes:
    """The exact bytes that are sealed and hashed. A bidder can rebuild them:
    amount as a string with two decimals, answers keyed by criterion id (as
    strings), documents by name, size, content type and SHA-256, and the
    ``nonce`` the platform chose (returned in the receipt's content).

    Without the nonce the hash would be of guessable content (the tender, the
    bidder's tax id, a price): anyone holding it before the opening (a
    database dump, the admin) could find the price by trying candidates."""
    return canonical({
        "tender": tender_id,
        "supplier": supplier_tax_id,
        "amount": f"{amount:.2f}",
        "currency": currency,
        "answers": {str(k): v for k, v in answers.items()},
        "documents": documents,
        "nonce": nonce,
    })


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def message(*, tender_id: int, bid_id: int, sha256: str, received_at: str) -> bytes:
    return canonical({"bid": bid_id, "received_at": received_at, "sha256": sha256, "tender": tender_id})


def sign(*, tender_id: int, bid_id: int, sha256: str, received_at: datetime) -> str:
    msg = message(tender_id=tender_id, bid_id=bid_id, sha256=sha256, received_at=iso(received_at))
    return sealing.signing_key().sign(msg).signature.hex()


def public_key_hex() -> str:
    return bytes(sealing.signing_key().verify_key).hex()


def verify(*, tender_id: int, bid_id: int, sha256: str, received_at: str, signature: str) -> bool:
    try:
        signature_bytes = bytes.fromhex(signature)
        VerifyKey(bytes.fromhex(public_key_hex())).verify(
            message(tender_id=tender_id, bid_id=bid_id, sha256=sha256, received_at=received_at), signature_bytes
        )
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True
