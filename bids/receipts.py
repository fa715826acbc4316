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


def canonical_bid(*, tender_id: int, supplier_tax_id: str, amount: Decimal | None, currency: str, answers: dict,
                  documents: list[dict], nonce: str, lots: list[tuple[int, Decimal]] | None = None) -> bytes:
    """The exact bytes that are sealed and hashed. A bidder can rebuild them:
    amount as a string with two decimals, answers keyed by criterion id (as
    strings), documents by name, size, content type and SHA-256, and the
    ``nonce`` the platform chose (returned in the receipt's content).

    Without the nonce the hash would be of guessable content (the tender, the
    bidder's tax id, a price): anyone holding it before the opening (a
    database dump, the admin) could find the price by trying candidates.

    A bid by lots has ``"lots": [{"amount": "…", "lot": <id>}, …]`` (by lot
    id) in place of ``"amount"``; a flat bid keeps the form above, so its
    receipts stay as they were before lots existed."""
    body = {
        "tender": tender_id,
        "supplier": supplier_tax_id,
        "currency": currency,
        "answers": {str(k): v for k, v in answers.items()},
        "documents": documents,
        "nonce": nonce,
    }
    if lots is None:
        body["amount"] = f"{amount:.2f}"
    else:
        body["lots"] = [{"lot": lot, "amount": f"{value:.2f}"} for lot, value in sorted(lots)]
    return canonical(body)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def message(*, tender_id: int, bid_id: int, sha256: str, received_at: str) -> bytes:
    return canonical({"bid": bid_id, "received_at": received_at, "sha256": sha256, "tender": tender_id})


def sign(*, tender_id: int, bid_id: int, sha256: str, received_at: datetime) -> str:
    msg = message(tender_id=tender_id, bid_id=bid_id, sha256=sha256, received_at=iso(received_at))
    return sealing.signing_key().sign(msg).signature.hex()


def public_key_hex() -> str:
    """The current platform key's receipt-verification key."""
    return bytes(sealing.signing_key().verify_key).hex()


def signer(*, tender_id: int, bid_id: int, sha256: str, received_at: str, signature: str,
           key_id: str | None = None) -> sealing.PlatformKey | None:
    """The key of the ring whose signature this is (only ``key_id`` when it is
    given), or None: the receipt is not valid."""
    try:
        signature_bytes = bytes.fromhex(signature)
    except (ValueError, TypeError):
        return None
    msg = message(tender_id=tender_id, bid_id=bid_id, sha256=sha256, received_at=received_at)
    ring = sealing.keyring()
    candidates = ring.keys if key_id is None else tuple(k for k in ring.keys if k.key_id == key_id)
    for key in candidates:
        try:
            key.verify_key.verify(msg, signature_bytes)
        except (BadSignatureError, ValueError, TypeError):
            continue
        return key
    return None


def verify(*, tender_id: int, bid_id: int, sha256: str, received_at: str, signature: str,
           key_id: str | None = None) -> bool:
    return signer(tender_id=tender_id, bid_id=bid_id, sha256=sha256, received_at=received_at,
                  signature=signature, key_id=key_id) is not None
