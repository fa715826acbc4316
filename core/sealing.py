"""Sealing, with PyNaCl (libsodium), no home-made cryptography.

- Each tender gets an X25519 key pair at publication. Bid content is a NaCl
  sealed box to the tender's public key: anyone can seal, only the private
  key opens.
- The tender's private key is stored in a NaCl secret box under a key derived
  from the platform key (BLAKE2b with a purpose label), so the database alone
  never holds a usable private key. The stored box starts with the id of the
  platform key that sealed it.
- Receipts are signed with an Ed25519 key derived from the same platform key
  under another label.

The platform key is a keyring: ``PROCUREMENT_PLATFORM_KEY`` is the current
key (it seals new tender keys, signs new receipts, keys the MACs), and
``PROCUREMENT_PLATFORM_RETIRED_KEYS`` lists earlier ones (comma-separated
base64), which still open tender keys sealed under them and verify the
receipts they signed. A key's id is public: the first 16 hex digits of
BLAKE2b over its receipt-verification key. ``manage.py rotate_platform_key``
re-seals every tender key under the current key, after which a retired key
is needed only to verify its old receipts.
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
from nacl.signing import SigningKey, VerifyKey


def _decode(value: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("A platform key must be base64 (32 to 64 bytes).") from exc
    if not 32 <= len(raw) <= 64:
        raise ImproperlyConfigured("A platform key must decode to 32 to 64 bytes.")
    return raw


def _derive_from(secret: bytes, purpose: bytes) -> bytes:
    return blake2b(b"", digest_size=32, key=secret, person=purpose, encoder=nacl.encoding.RawEncoder)


@dataclass(frozen=True)
class PlatformKey:
    """One key of the ring, with everything derived from it."""

    key_id: str
    secret: bytes
    box: SecretBox
    signing: SigningKey

    @classmethod
    def of(cls, value: str) -> "PlatformKey":
        secret = _decode(value)
        signing = SigningKey(_derive_from(secret, b"receipt-signing"))
        return cls(key_id=key_id_of(bytes(signing.verify_key)), secret=secret,
                   box=SecretBox(_derive_from(secret, b"tender-key-seal")), signing=signing)

    @property
    def verify_key(self) -> VerifyKey:
        return self.signing.verify_key

    def derive(self, purpose: bytes) -> bytes:
        return _derive_from(self.secret, purpose)


def key_id_of(verify_key: bytes) -> str:
    """A key's public id: derived from its receipt-verification key, so anyone
    holding the public key can compute it."""
    return blake2b(verify_key, digest_size=8, person=b"platform-key-id", encoder=nacl.encoding.HexEncoder).decode()


@dataclass(frozen=True)
class KeyRing:
    current: PlatformKey
    retired: tuple[PlatformKey, ...]

    @property
    def keys(self) -> tuple[PlatformKey, ...]:
        return (self.current, *self.retired)

    def get(self, key_id: str) -> PlatformKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)


@cache
def _ring(current: str, retired: str) -> KeyRing:
    current_key = PlatformKey.of(current)
    seen = {current_key.key_id}
    old = []
    for value in retired.split(","):
        if value.strip():
            key = PlatformKey.of(value)
            if key.key_id not in seen:
                seen.add(key.key_id)
                old.append(key)
    return KeyRing(current=current_key, retired=tuple(old))


def keyring() -> KeyRing:
    return _ring(settings.PROCUREMENT_PLATFORM_KEY, getattr(settings, "PROCUREMENT_PLATFORM_RETIRED_KEYS", ""))


def _derive(purpose: bytes) -> bytes:
    return keyring().current.derive(purpose)


def key_box() -> SecretBox:
    return keyring().current.box


def signing_key() -> SigningKey:
    return keyring().current.signing


def current_key_id() -> str:
    return keyring().current.key_id


def tender_secret(purpose: bytes, sealed_private_key: bytes) -> str:
    """A per-tender secret (hex) derived from the tender's own private key
    under a purpose label: reproducible by the platform, unguessable without
    its key, and the same whichever platform key seals the tender key."""
    private = _unseal_private_key(sealed_private_key)
    return blake2b(b"", digest_size=16, key=private, person=purpose[:16],
                   encoder=nacl.encoding.HexEncoder).decode()


def mac(purpose: bytes, message: bytes) -> str:
    """A keyed hash (hex) of ``message`` under a key derived from the platform
    key for ``purpose``: comparable by the platform, not reversible by trying
    candidate messages without its key."""
    return macs(purpose, message)[0]


def macs(purpose: bytes, message: bytes) -> list[str]:
    """``mac`` under every key of the ring, the current one first: what a
    record written before a rotation may hold."""
    return [blake2b(message, digest_size=32, key=k.derive(purpose), encoder=nacl.encoding.HexEncoder).decode()
            for k in keyring().keys]


# A sealed tender key: this prefix, the sealing platform key's id (8 bytes),
# then the secret box. Boxes sealed before key ids have no prefix and are
# tried under every key of the ring (a secret box is authenticated: a wrong
# key fails, it never decrypts to garbage).
_KEYED = b"PK1:"


def seal_private_key(private: bytes) -> bytes:
    current = keyring().current
    return _KEYED + bytes.fromhex(current.key_id) + bytes(current.box.encrypt(private))


def sealing_key_id(sealed_private_key: bytes) -> str | None:
    """The id of the platform key a tender key is sealed under (None for a box
    sealed before key ids)."""
    sealed = bytes(sealed_private_key)
    if sealed.startswith(_KEYED) and len(sealed) > len(_KEYED) + 8:
        return sealed[len(_KEYED):len(_KEYED) + 8].hex()
    return None


def _unseal_private_key(sealed_private_key: bytes) -> bytes:
    sealed = bytes(sealed_private_key)
    ring = keyring()
    kid = sealing_key_id(sealed)
    if kid is not None and (key := ring.get(kid)) is not None:
        return key.box.decrypt(sealed[len(_KEYED) + 8:])
    if kid is not None:
        raise ImproperlyConfigured(f"This tender key is sealed under platform key {kid}, which is not in the "
                                   "keyring (PROCUREMENT_PLATFORM_KEY, PROCUREMENT_PLATFORM_RETIRED_KEYS).")
    for key in ring.keys:
        try:
            return key.box.decrypt(sealed)
        except CryptoError:
            continue
    # authenticated encryption refused it under every key: damaged, or sealed under a key not in the ring
    raise CryptoError("No platform key in the keyring opens this tender key.")


def reseal_private_key(sealed_private_key: bytes) -> bytes | None:
    """The tender key sealed under the current platform key, or None when it
    already is."""
    if sealing_key_id(sealed_private_key) == current_key_id():
        return None
    return seal_private_key(_unseal_private_key(sealed_private_key))


@dataclass(frozen=True)
class TenderKeys:
    public_key: bytes
    sealed_private_key: bytes


def new_tender_keys() -> TenderKeys:
    private = PrivateKey.generate()
    return TenderKeys(public_key=bytes(private.public_key),
                      sealed_private_key=seal_private_key(bytes(private)))


# A sealed box is 48 bytes longer than what it seals, so its length would
# tell the length of a bid's content, and with it how many digits the price
# has. Content is padded before sealing: up to 64 KiB to the next KiB, above
# that to the next 64 KiB (a document's size shows only at that grain).
_PADDED = b"PADv1\0"
_HEADER = len(_PADDED) + 4


def _pad(content: bytes, at_least: int = 0) -> bytes:
    size = max(_HEADER + len(content), at_least)
    grain = 1024 if size <= 65536 else 65536
    return _PADDED + len(content).to_bytes(4, "big") + content + bytes(size - _HEADER - len(content) + (-size % grain))


def _unpad(plain: bytes) -> bytes:
    if not plain.startswith(_PADDED):
        return plain  # sealed before padding was introduced
    length = int.from_bytes(plain[len(_PADDED):_HEADER], "big")
    return plain[_HEADER:_HEADER + length]


def seal(public_key: bytes, content: bytes, *, at_least: int = 0) -> bytes:
    """Seal ``content`` padded to at least ``at_least`` bytes (then to the
    grain above): a caller whose content's length would tell something (how
    many lots a bid covers) pads every box to the largest it could be."""
    return bytes(SealedBox(PublicKey(bytes(public_key))).encrypt(_pad(content, at_least)))


class Unreadable(Exception):
    """A sealed box that the tender's key does not open."""


class Opener:
    """Opens a tender's sealed boxes; made only at the opening."""

    def __init__(self, sealed_private_key: bytes) -> None:
        self._box = SealedBox(PrivateKey(_unseal_private_key(sealed_private_key)))

    def open(self, sealed: bytes) -> bytes:
        try:
            return _unpad(self._box.decrypt(bytes(sealed)))
        except CryptoError:
            raise Unreadable from None
