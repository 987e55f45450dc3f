"""The hub's identity (epoch id, root public key), its issuer keys' public halves and
validity windows, and every trust list it has signed. The private halves live only in
key files (:mod:`hub.keyring`)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import sqlite_utils

from borderpass.sqlite import Transaction
from hub.store import access
from protocol.trust import IssuerKey

MIGRATIONS = sqlite_utils.Migrations("hub.trust")


@MIGRATIONS()
def create_trust_tables(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE hub_identity (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            epoch TEXT NOT NULL,
            root_public_key BLOB NOT NULL,
            created_at_ms INTEGER NOT NULL
        );
        CREATE TABLE issuer_keys (
            public_key BLOB PRIMARY KEY,
            key_id TEXT NOT NULL,
            not_before_s INTEGER NOT NULL,
            not_after_s INTEGER NOT NULL,
            scope TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL
        );
        CREATE TABLE trust_lists (
            version INTEGER PRIMARY KEY,
            issued_at_s INTEGER NOT NULL,
            signed BLOB NOT NULL
        );
        """
    )


@dataclass(frozen=True, slots=True)
class HubIdentity:
    epoch: str
    """A random id made at ``hub init``; sync cursors carry it, so a hub restored from
    an older copy is recognised."""
    root_public_key: bytes


@dataclass(frozen=True, slots=True)
class SignedTrustList:
    version: int
    issued_at: int
    signed: bytes
    """The wire form: body and the root's signature (protocol.trust.TrustList.sign)."""


def insert_identity(tx: Transaction, identity: HubIdentity, at_ms: int) -> None:
    tx.conn.execute(
        "INSERT INTO hub_identity VALUES (1, ?, ?, ?)",
        (identity.epoch, identity.root_public_key, at_ms),
    )


def set_epoch(tx: Transaction, epoch: str, at_ms: int) -> None:
    """Give the hub a new epoch (after a restore from a backup): edges then resend what
    the restored copy lacks. Audited."""
    tx.conn.execute("UPDATE hub_identity SET epoch = ?", (epoch,))
    access.audit(tx, "cli", "hub.new_epoch", epoch, {}, at_ms)


def get_identity(conn: sqlite3.Connection) -> HubIdentity | None:
    row = conn.execute("SELECT epoch, root_public_key FROM hub_identity").fetchone()
    return HubIdentity(row[0], bytes(row[1])) if row else None


def insert_issuer_key(tx: Transaction, key: IssuerKey, at_ms: int) -> None:
    tx.conn.execute(
        "INSERT INTO issuer_keys VALUES (?, ?, ?, ?, ?, ?)",
        (key.public_key, key.key_id.hex(), key.not_before, key.not_after,
         json.dumps(list(key.scope)), at_ms),
    )  # fmt: skip


def issuer_keys(conn: sqlite3.Connection) -> list[IssuerKey]:
    """Every issuer key the hub ever made, oldest first."""
    rows = conn.execute(
        "SELECT public_key, not_before_s, not_after_s, scope FROM issuer_keys "
        "ORDER BY not_before_s, public_key"
    )
    return [IssuerKey(bytes(pk), nb, na, tuple(json.loads(scope))) for pk, nb, na, scope in rows]


def insert_trust_list(tx: Transaction, trust: SignedTrustList) -> None:
    tx.conn.execute(
        "INSERT INTO trust_lists VALUES (?, ?, ?)", (trust.version, trust.issued_at, trust.signed)
    )


def current_trust_list(conn: sqlite3.Connection) -> SignedTrustList | None:
    """The newest signed trust list (what edges must hold), or None before init."""
    row = conn.execute(
        "SELECT version, issued_at_s, signed FROM trust_lists ORDER BY version DESC LIMIT 1"
    ).fetchone()
    return SignedTrustList(row[0], row[1], bytes(row[2])) if row else None
