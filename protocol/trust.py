"""The trust list: which issuer keys an edge accepts, when, and for which zones.

The hub's root key signs the list; an edge pins the root's public key when it is
enrolled and accepts a new list only if the root signed it and its version is newer.
Key rotation lives in the validity windows:

* a new key is listed with ``not_before`` in the future, so every edge holds it before
  the first permit it signs is scanned;
* an old key stays listed until ``not_after``, and no permit it signs may end after
  ``not_after``, so it can leave the list once its last permit has expired;
* key ids are 8 bytes and may collide; :meth:`TrustList.keys_with_id` returns every
  candidate and the verifier tries each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import codec
from .errors import CredentialError, DecodeReason
from .keys import PUBLIC_KEY_LEN, SIGNATURE_LEN, SigningKey, key_id_for, verify_signature
from .permit import valid_zone

TRUST_CONTEXT = b"borderpass/trust/v1\x00"
BUNDLE_MAGIC = "borderpass-trust-bundle/v1"
MAX_TRUST_BYTES = 256 * 1024
MAX_KEYS = 1024
_MAX_SECONDS = 253_402_300_799


@dataclass(frozen=True, slots=True)
class IssuerKey:
    """A public key that may sign permits issued in [not_before, not_after] for zones
    under ``scope``; a permit it signs may not end after ``not_after``."""

    public_key: bytes
    not_before: int
    not_after: int
    scope: tuple[str, ...]
    key_id: bytes = field(init=False)
    _scope_prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.public_key) != PUBLIC_KEY_LEN:
            raise ValueError("an Ed25519 public key is 32 bytes")
        if self.not_after < self.not_before:
            raise ValueError("not_after is before not_before")
        if not self.scope or not all(valid_zone(z) for z in self.scope):
            raise ValueError("scope must name at least one zone path")
        object.__setattr__(self, "key_id", key_id_for(self.public_key))
        object.__setattr__(self, "_scope_prefixes", tuple(z + "/" for z in self.scope))

    def valid_at(self, seconds: int) -> bool:
        return self.not_before <= seconds <= self.not_after

    def covers(self, zone: str) -> bool:
        """True when ``zone`` is one of the scope's zones or lies under one."""
        return zone in self.scope or zone.startswith(self._scope_prefixes)


@dataclass(frozen=True, slots=True)
class TrustList:
    """A versioned set of issuer keys, as signed by the root key."""

    version: int
    issued_at: int
    keys: tuple[IssuerKey, ...]
    _by_id: dict[bytes, tuple[IssuerKey, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        by_id: dict[bytes, tuple[IssuerKey, ...]] = {}
        for key in self.keys:
            by_id[key.key_id] = (*by_id.get(key.key_id, ()), key)
        object.__setattr__(self, "_by_id", by_id)

    def keys_with_id(self, key_id: bytes) -> tuple[IssuerKey, ...]:
        return self._by_id.get(key_id, ())

    def sign(self, root: SigningKey) -> bytes:
        """The signed wire form: msgpack body followed by the root's 64-byte signature."""
        body = codec.pack(
            [
                self.version,
                self.issued_at,
                [[k.public_key, k.not_before, k.not_after, list(k.scope)] for k in self.keys],
            ]
        )
        return body + root.sign(TRUST_CONTEXT, body)


def choose_issuer_key(
    keys: Iterable[IssuerKey], issued_at: int, permit_ends_at: int
) -> IssuerKey | None:
    """The key to sign a permit issued at ``issued_at`` that ends at ``permit_ends_at``
    (both in seconds): the newest key valid now that outlives the permit."""
    usable = [k for k in keys if k.valid_at(issued_at) and k.not_after >= permit_ends_at]
    return max(usable, key=lambda k: (k.not_before, k.public_key), default=None)


def decode_trust_list(data: bytes, root_public_key: bytes) -> TrustList:
    """Verify the root's signature, then parse; refuse with :class:`CredentialError`."""
    e = CredentialError
    if len(data) > MAX_TRUST_BYTES:
        raise e(DecodeReason.TOO_LARGE, f"trust list over {MAX_TRUST_BYTES} bytes")
    if len(data) <= SIGNATURE_LEN:
        raise e(DecodeReason.MALFORMED, "trust list too short")
    body, signature = data[:-SIGNATURE_LEN], data[-SIGNATURE_LEN:]
    if not verify_signature(root_public_key, TRUST_CONTEXT, body, signature):
        raise e(DecodeReason.BAD_SIGNATURE, "trust list not signed by the pinned root key")
    raw = codec.unpack(body, max_bytes=MAX_TRUST_BYTES, error=e, max_items=MAX_KEYS)
    version, issued_at, entries = codec.expect_tuple(raw, 3, "trust list", e)
    keys = []
    for entry in codec.expect_array(entries, "keys", e, MAX_KEYS):
        public, not_before, not_after, scope = codec.expect_tuple(entry, 4, "key", e)
        try:
            keys.append(
                IssuerKey(
                    public_key=codec.expect_bytes(public, "public key", e, PUBLIC_KEY_LEN),
                    not_before=codec.expect_int(not_before, "not_before", e, 0, _MAX_SECONDS),
                    not_after=codec.expect_int(not_after, "not_after", e, 0, _MAX_SECONDS),
                    scope=tuple(
                        codec.expect_str(z, "scope", e, 64)
                        for z in codec.expect_array(scope, "scope", e, 16)
                    ),
                )
            )
        except ValueError as exc:
            raise e(DecodeReason.MALFORMED, str(exc)) from exc
    return TrustList(
        version=codec.expect_int(version, "version", e, 0, 2**53),
        issued_at=codec.expect_int(issued_at, "issued_at", e, 0, _MAX_SECONDS),
        keys=tuple(keys),
    )


def encode_trust_bundle(root_public_key: bytes, signed_list: bytes) -> bytes:
    """A file an administrator carries to a standalone edge: the root key to pin and a
    signed trust list. The edge shows the root's fingerprint so it can be compared."""
    return codec.pack([BUNDLE_MAGIC, root_public_key, signed_list])


def decode_trust_bundle(data: bytes) -> tuple[bytes, TrustList, bytes]:
    """Return (root public key, trust list, signed list bytes) from a bundle file."""
    e = CredentialError
    raw = codec.unpack(data, max_bytes=MAX_TRUST_BYTES + 1024, error=e, max_items=4)
    magic, root, signed = codec.expect_tuple(raw, 3, "trust bundle", e)
    if magic != BUNDLE_MAGIC:
        raise e(DecodeReason.UNSUPPORTED_VERSION, "not a borderpass trust bundle v1")
    root = codec.expect_bytes(root, "root key", e, PUBLIC_KEY_LEN)
    if not isinstance(signed, bytes):
        raise e(DecodeReason.MALFORMED, "signed trust list must be bytes")
    return root, decode_trust_list(signed, root), signed
