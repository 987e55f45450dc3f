"""The hub's keys and trust list in use: ``hub init``, ``hub rotate-key``, the signed
list sync serves, and the bundle ``hub export-trust`` writes.

Key files are written before the rows that name them, so the database never lists a
key whose private half is missing (an orphan file from a failed commit is harmless).
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from borderpass.sqlite import Transaction
from hub import rotation
from hub.keyring import Keyring
from hub.store import access
from hub.store import trust as store
from protocol.keys import SigningKey, fingerprint
from protocol.trust import IssuerKey, TrustList, decode_trust_list, encode_trust_bundle


class TrustStateError(Exception):
    """The hub has no identity or trust list yet (run ``borderpass hub init``)."""


@dataclass(frozen=True, slots=True)
class Rotation:
    key: IssuerKey
    trust: store.SignedTrustList


def _sign_and_store(tx: Transaction, root: SigningKey, trust: TrustList) -> store.SignedTrustList:
    signed = store.SignedTrustList(trust.version, trust.issued_at, trust.sign(root))
    store.insert_trust_list(tx, signed)
    return signed


def initialise(
    tx: Transaction, keyring: Keyring, now_ms: int, years: int
) -> tuple[store.HubIdentity, Rotation]:
    """Make the root key, the first issuer key and trust list version 1."""
    if store.get_identity(tx.conn) is not None:
        raise TrustStateError("this hub is already initialised")
    root = keyring.create_root()
    identity = store.HubIdentity(epoch=secrets.token_hex(8), root_public_key=root.public_key)
    store.insert_identity(tx, identity, now_ms)
    rotation_ = _add_issuer_key(tx, keyring, root, 0, now_ms, lead_days=0, years=years)
    access.audit(tx, "cli", "hub.init", identity.epoch, {"root": fingerprint(root.public_key)},
                 now_ms)  # fmt: skip
    return identity, rotation_


def rotate(
    tx: Transaction, keyring: Keyring, now_ms: int, lead_days: int, years: int, actor: str
) -> Rotation:
    """Add an issuer key usable from ``lead_days`` ahead; sign the next trust list."""
    current = store.current_trust_list(tx.conn)
    if current is None:
        raise TrustStateError("no trust list yet: run 'borderpass hub init' first")
    done = _add_issuer_key(tx, keyring, keyring.root(), current.version, now_ms, lead_days, years)
    detail: dict[str, object] = {
        "key_id": done.key.key_id.hex(),
        "not_before": done.key.not_before,
        "not_after": done.key.not_after,
        "trust_version": done.trust.version,
    }
    access.audit(tx, actor, "key.rotate", done.key.key_id.hex(), detail, now_ms)
    return done


def _add_issuer_key(
    tx: Transaction,
    keyring: Keyring,
    root: SigningKey,
    version: int,
    now_ms: int,
    lead_days: int,
    years: int,
) -> Rotation:
    now_s = now_ms // 1000
    not_before, not_after = rotation.issuer_key_window(now_s, lead_days, years)
    private = keyring.create_issuer()
    key = IssuerKey(private.public_key, not_before, not_after, rotation.DEFAULT_SCOPE)
    store.insert_issuer_key(tx, key, now_ms)
    trust = rotation.next_trust_list(version, [*store.issuer_keys(tx.conn)], now_s)
    return Rotation(key, _sign_and_store(tx, root, trust))


def signed_trust_list(conn: sqlite3.Connection) -> store.SignedTrustList:
    """The current signed trust list bytes and version (what sync serves to edges)."""
    current = store.current_trust_list(conn)
    if current is None:
        raise TrustStateError("no trust list yet: run 'borderpass hub init' first")
    return current


def trusted_keys(conn: sqlite3.Connection) -> tuple[store.HubIdentity, TrustList]:
    """The hub's identity and its current trust list, checked against the root key."""
    identity = store.get_identity(conn)
    if identity is None:
        raise TrustStateError("this hub is not initialised: run 'borderpass hub init'")
    current = signed_trust_list(conn)
    return identity, decode_trust_list(current.signed, identity.root_public_key)


def trust_bundle(conn: sqlite3.Connection) -> bytes:
    """The file a standalone edge pins: root public key and the current signed list."""
    identity = store.get_identity(conn)
    if identity is None:
        raise TrustStateError("this hub is not initialised: run 'borderpass hub init'")
    return encode_trust_bundle(identity.root_public_key, signed_trust_list(conn).signed)
