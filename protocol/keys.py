"""Ed25519 keys: signing, verifying, and the 8-byte key id that names a public key.

Every signature borderpass makes covers a *context* (a short byte string naming what is
signed) followed by the exact bytes sent, so a signature made for one purpose can never
be replayed as another (a batch signature as a permit, say).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey as _NaclSigningKey
from nacl.signing import VerifyKey as _NaclVerifyKey

from .permit import KEY_ID_LEN

PUBLIC_KEY_LEN = 32
SIGNATURE_LEN = 64


def key_id_for(public_key: bytes) -> bytes:
    """The first 8 bytes of SHA-256 of the public key. Two keys may share one (it is
    short on purpose, to keep QR codes small): verifiers try every candidate."""
    return hashlib.sha256(public_key).digest()[:KEY_ID_LEN]


def fingerprint(public_key: bytes) -> str:
    """A human-comparable fingerprint: SHA-256 of the key, first 16 hex digits, grouped."""
    digest = hashlib.sha256(public_key).hexdigest()[:16]
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


@lru_cache(maxsize=256)
def _verify_key(public_key: bytes) -> _NaclVerifyKey:
    return _NaclVerifyKey(public_key)


def verify_signature(public_key: bytes, context: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``public_key``'s Ed25519 signature of context+message."""
    if len(public_key) != PUBLIC_KEY_LEN or len(signature) != SIGNATURE_LEN:
        return False
    try:
        _verify_key(public_key).verify(context + message, signature)
    except BadSignatureError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 private key. Its ``repr`` never shows the secret."""

    seed: bytes = field(repr=False)
    public_key: bytes = field(init=False)

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        public = bytes(_NaclSigningKey(self.seed).verify_key)
        object.__setattr__(self, "public_key", public)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(_NaclSigningKey.generate()))

    @property
    def key_id(self) -> bytes:
        return key_id_for(self.public_key)

    def sign(self, context: bytes, message: bytes) -> bytes:
        return bytes(_NaclSigningKey(self.seed).sign(context + message).signature)
