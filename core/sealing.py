"""Sealing, with PyNaCl (libsodium), no home-made cryptography.

- Each tender gets an X25519 key pair at publication. Bid content is a NaCl
  sealed box to the tender's public key: anyone can seal, only the private
  key opens.
- The tender's private key is stored in a NaCl secret box under a key derived
  from PROCUREMENT_PLATFORM_KEY (BLAKE2b with a purpose label), so the
  database alone never holds a usable private key.
- Receipts are signed with an Ed25519 key derived from the same platform key
  under another label.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import cache

import nacl.encoding
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from nacl.signing import SigningKey


@cache
def _platform_secret(value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("PROCUREMENT_PLATFORM_KEY must be base64 (32 to 64 bytes).") from exc
    if not 32 <= len(raw) <= 64:
        raise ImproperlyConfigured("PROCUREMENT_PLATFORM_KEY must decode to 32 to 64 bytes.")
    return raw


def _derive(purpose: bytes) -> bytes:
    return blake2b(b"", digest_size=32, key=_platform_secret(settings.PROCUREMENT_PLATFORM_KEY),
                   person=purpose, encoder=nacl.encoding.RawEncoder)


@cache
def _key_box(platform_key: str) -> SecretBox:
    return SecretBox(_derive(b"tender-key-seal"))


@cache
def _signing_key(platform_key: str) -> SigningKey:
    return SigningKey(_derive(b"receipt-signing"))


def key_box() -> SecretBox:
    return _key_box(settings.PROCUREMENT_PLATFORM_KEY)


def signing_key() -> SigningKey:
    return _signing_key(settings.PROCUREMENT_PLATFORM_KEY)


def tender_secret(purpose: bytes, tender_id: int) -> str:
    """A per-tender secret (hex) derived from the platform key under a purpose
    label: reproducible by the platform, unguessable without its key."""
    return blake2b(str(tender_id).encode(), digest_size=16, key=_derive(purpose),
                   encoder=nacl.encoding.HexEncoder).decode()


def mac(purpose: bytes, message: bytes) -> str:
    """A keyed hash (hex) of ``message`` under a key derived from the platform
    key for ``purpose``: comparable by the platform, not reversible by trying
    candidate messages without its key."""
    return blake2b(message, digest_size=32, key=_derive(purpose), encoder=nacl.encoding.HexEncoder).decode()


@dataclass(frozen=True)
class TenderKeys:
    public_key: bytes
    sealed_private_key: bytes


def new_tender_keys() -> TenderKeys:
    private = PrivateKey.generate()
    return TenderKeys(public_key=bytes(private.public_key),
                      sealed_private_key=bytes(key_box().encrypt(bytes(private))))


# A sealed box is 48 bytes longer than what it seals, so its length would
# tell the length of a bid's content, and with it how many digits the price
# has. Content is padded before sealing: up to 64 KiB to the next KiB, above
# that to the next 64 KiB (a document's size shows only at that grain).
_PADDED = b"PADv1\0"
_HEADER = len(_PADDED) + 4


def _pad(content: bytes) -> bytes:
    size = _HEADER + len(content)
    grain = 1024 if size <= 65536 else 65536
    return _PADDED + len(content).to_bytes(4, "big") + content + bytes(-size % grain)


def _unpad(plain: bytes) -> bytes:
    if not plain.startswith(_PADDED):
        return plain  # sealed before padding was introduced
    length = int.from_bytes(plain[len(_PADDED):_HEADER], "big")
    return plain[_HEADER:_HEADER + length]


def seal(public_key: bytes, content: bytes) -> bytes:
    return bytes(SealedBox(PublicKey(bytes(public_key))).encrypt(_pad(content)))


class Unreadable(Exception):
    """A sealed box that the tender's key does not open."""


class Opener:
    """Opens a tender's sealed boxes; made only at the opening."""

    def __init__(self, sealed_private_key: bytes) -> None:
        self._box = SealedBox(PrivateKey(key_box().decrypt(bytes(sealed_private_key))))

    def open(self, sealed: bytes) -> bytes:
        try:
            return _unpad(self._box.decrypt(bytes(sealed)))
        except CryptoError:
            raise Unreadable from None
