"""Edges, their pushed logs, integrity incidents, replay nonces, and the change log
that edges pull reference data from.

The change log is the state of every pulled dataset: a dataset's live entries are, per
key, the newest change whose value is not NULL. ``scope`` narrows a change to the
edges that need it (a roster entry to the park it belongs to); NULL means every edge.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from borderpass.sqlite import Transaction
from protocol.events import GENESIS
from protocol.sync.ingest import AcceptedEvent, Incident, LogCursor

MIGRATIONS = sqlite_utils.Migrations("hub.sync")


@MIGRATIONS()
def create_sync_tables(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE edges (
            edge_id TEXT PRIMARY KEY,
            site_id TEXT NOT NULL,
            label TEXT NOT NULL,
            public_key BLOB UNIQUE,
            enrol_token_digest TEXT UNIQUE,
            enrol_expires_ms INTEGER,
            created_at_ms INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            enrolled_at_ms INTEGER,
            revoked_at_ms INTEGER,
            software TEXT,
            acked_seq INTEGER NOT NULL DEFAULT 0,
            head_hash BLOB NOT NULL,
            last_seen_ms INTEGER,
            last_push_ms INTEGER,
            last_pull_ms INTEGER,
            clock_offset_ms INTEGER,
            pending INTEGER,
            trust_version INTEGER,
            synced_through_ms INTEGER
        );
        CREATE TABLE events (
            edge_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            wall_ms INTEGER NOT NULL,
            at_ms INTEGER NOT NULL,
            clock_suspect INTEGER NOT NULL,
            site TEXT NOT NULL,
            direction TEXT NOT NULL,
            verdict TEXT NOT NULL,
            reasons TEXT NOT NULL,
            permit_id TEXT,
            worker_id TEXT,
            employer_id TEXT,
            verified INTEGER NOT NULL,
            qr_digest BLOB NOT NULL,
            hash BLOB NOT NULL,
            body BLOB NOT NULL,
            received_ms INTEGER NOT NULL,
            PRIMARY KEY (edge_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX events_by_worker ON events(worker_id, at_ms);
        CREATE INDEX events_by_site_time ON events(site, at_ms);
        CREATE TABLE incidents (
            incident_id INTEGER PRIMARY KEY,
            edge_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            first_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            at_ms INTEGER NOT NULL
        );
        CREATE TABLE nonces (
            edge_id TEXT NOT NULL,
            nonce BLOB NOT NULL,
            at_ms INTEGER NOT NULL,
            PRIMARY KEY (edge_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX nonces_by_time ON nonces(at_ms);
        CREATE TABLE changes (
            version INTEGER PRIMARY KEY AUTOINCREMENT,
            dataset TEXT NOT NULL,
            key TEXT NOT NULL,
            value BLOB,
            scope TEXT,
            at_ms INTEGER NOT NULL
        );
        CREATE INDEX changes_by_dataset ON changes(dataset, version);
        CREATE INDEX changes_by_key ON changes(dataset, key, version);
        CREATE TABLE change_floors (
            dataset TEXT PRIMARY KEY,
            floor_version INTEGER NOT NULL
        );
        """
    )


@MIGRATIONS()
def events_in_a_rowid_table(db: sqlite_utils.Database) -> None:
    """A scan's row is a few hundred bytes: SQLite appends such rows faster to a rowid
    table (WITHOUT ROWID suits rows of a few dozen bytes), with (edge, seq) unique."""
    db.executescript(
        """
        CREATE TABLE events_by_rowid (
            edge_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            wall_ms INTEGER NOT NULL,
            at_ms INTEGER NOT NULL,
            clock_suspect INTEGER NOT NULL,
            site TEXT NOT NULL,
            direction TEXT NOT NULL,
            verdict TEXT NOT NULL,
            reasons TEXT NOT NULL,
            permit_id TEXT,
            worker_id TEXT,
            employer_id TEXT,
            verified INTEGER NOT NULL,
            qr_digest BLOB NOT NULL,
            hash BLOB NOT NULL,
            body BLOB NOT NULL,
            received_ms INTEGER NOT NULL,
            UNIQUE (edge_id, seq)
        );
        INSERT INTO events_by_rowid SELECT * FROM events ORDER BY edge_id, seq;
        DROP TABLE events;
        ALTER TABLE events_by_rowid RENAME TO events;
        CREATE INDEX events_by_worker ON events(worker_id, at_ms);
        CREATE INDEX events_by_site_time ON events(site, at_ms);
        """
    )


@dataclass(frozen=True, slots=True)
class EdgeRecord:
    edge_id: str
    site_id: str
    label: str
    public_key: bytes | None
    enrol_expires_ms: int | None
    created_at_ms: int
    enrolled_at_ms: int | None
    revoked_at_ms: int | None
    acked_seq: int
    head_hash: bytes
    last_seen_ms: int | None
    last_push_ms: int | None
    last_pull_ms: int | None
    clock_offset_ms: int | None
    pending: int | None
    trust_version: int | None
    synced_through_ms: int | None

    @property
    def enrolled(self) -> bool:
        return self.public_key is not None

    @property
    def cursor(self) -> LogCursor:
        return LogCursor(self.acked_seq, self.head_hash)


_EDGE_COLUMNS = (
    "edge_id, site_id, label, public_key, enrol_expires_ms, created_at_ms, enrolled_at_ms, "
    "revoked_at_ms, acked_seq, head_hash, last_seen_ms, last_push_ms, last_pull_ms, "
    "clock_offset_ms, pending, trust_version, synced_through_ms"
)


def _edge(row: Sequence[Any]) -> EdgeRecord:
    values = list(row)
    values[3] = bytes(values[3]) if values[3] is not None else None
    values[9] = bytes(values[9])
    return EdgeRecord(*values)


# -- edges -------------------------------------------------------------------------------


def insert_edge(
    tx: Transaction,
    edge_id: str,
    site_id: str,
    label: str,
    token_digest: str,
    expires_ms: int,
    at_ms: int,
    created_by: str,
) -> None:
    tx.conn.execute(
        "INSERT INTO edges (edge_id, site_id, label, enrol_token_digest, enrol_expires_ms, "
        "created_at_ms, created_by, head_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (edge_id, site_id, label, token_digest, expires_ms, at_ms, created_by, GENESIS),
    )


def get_edge(conn: sqlite3.Connection, edge_id: str) -> EdgeRecord | None:
    row = conn.execute(f"SELECT {_EDGE_COLUMNS} FROM edges WHERE edge_id = ?", (edge_id,))
    found = row.fetchone()
    return _edge(found) if found else None


def edge_for_token(conn: sqlite3.Connection, token_digest: str) -> EdgeRecord | None:
    row = conn.execute(
        f"SELECT {_EDGE_COLUMNS} FROM edges WHERE enrol_token_digest = ?", (token_digest,)
    ).fetchone()
    return _edge(row) if row else None


def list_edges(conn: sqlite3.Connection) -> list[EdgeRecord]:
    rows = conn.execute(f"SELECT {_EDGE_COLUMNS} FROM edges ORDER BY site_id, edge_id")
    return [_edge(r) for r in rows]


def count_edges(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM edges").fetchone()[0])


def enrol_edge(tx: Transaction, edge_id: str, public_key: bytes, software: str, at_ms: int) -> None:
    """Bind the edge's public key and burn its one-time token."""
    tx.conn.execute(
        "UPDATE edges SET public_key = ?, software = ?, enrolled_at_ms = ?, last_seen_ms = ?, "
        "enrol_token_digest = NULL, enrol_expires_ms = NULL WHERE edge_id = ?",
        (public_key, software, at_ms, at_ms, edge_id),
    )


def revoke_edge(tx: Transaction, edge_id: str, at_ms: int) -> bool:
    cursor = tx.conn.execute(
        "UPDATE edges SET revoked_at_ms = ?, enrol_token_digest = NULL "
        "WHERE edge_id = ? AND revoked_at_ms IS NULL",
        (at_ms, edge_id),
    )
    return cursor.rowcount == 1


def record_contact(
    tx: Transaction,
    edge_id: str,
    at_ms: int,
    *,
    pushed: bool = False,
    pulled: bool = False,
    clock_offset_ms: int | None = None,
    pending: int | None = None,
    trust_version: int | None = None,
) -> None:
    tx.conn.execute(
        "UPDATE edges SET last_seen_ms = ?, "
        "last_push_ms = CASE WHEN ? THEN ? ELSE last_push_ms END, "
        "last_pull_ms = CASE WHEN ? THEN ? ELSE last_pull_ms END, "
        "clock_offset_ms = COALESCE(?, clock_offset_ms), pending = COALESCE(?, pending), "
        "trust_version = COALESCE(?, trust_version) WHERE edge_id = ?",
        (at_ms, pushed, at_ms, pulled, at_ms, clock_offset_ms, pending, trust_version, edge_id),
    )


def remember_nonce(tx: Transaction, edge_id: str, nonce: bytes, at_ms: int) -> bool:
    """Record a request nonce; False if the edge already used it (a replay)."""
    cursor = tx.conn.execute(
        "INSERT OR IGNORE INTO nonces VALUES (?, ?, ?)", (edge_id, nonce, at_ms)
    )
    return cursor.rowcount == 1


def forget_nonces(tx: Transaction, before_ms: int) -> int:
    return tx.conn.execute("DELETE FROM nonces WHERE at_ms < ?", (before_ms,)).rowcount


# -- events ------------------------------------------------------------------------------

EVENT_INSERT = "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event as the hub stores it: the edge's event plus the hub's instant."""

    edge_id: str
    accepted: AcceptedEvent
    at_ms: int
    clock_suspect: bool
    received_ms: int

    def values(self) -> tuple[object, ...]:
        e = self.accepted.event
        return (
            self.edge_id, e.seq, e.hlc, e.wall_ms, self.at_ms, int(self.clock_suspect),
            e.site, e.direction, e.verdict, ",".join(e.reasons), e.permit_id, e.worker_id,
            e.employer_id, int(e.verified), e.qr_digest, self.accepted.hash,
            self.accepted.encoded, self.received_ms,
        )  # fmt: skip


def store_events(tx: Transaction, edge_id: str, rows: Sequence[EventRow], cursor: LogCursor) -> int:
    """Insert the events (idempotent by edge and seq) and advance the edge's cursor."""
    before = tx.conn.total_changes
    tx.conn.executemany(EVENT_INSERT, [r.values() for r in rows])
    inserted = tx.conn.total_changes - before
    tx.conn.execute(
        "UPDATE edges SET acked_seq = ?, head_hash = ?, "
        "synced_through_ms = MAX(COALESCE(synced_through_ms, 0), ?) WHERE edge_id = ?",
        (cursor.acked_seq, cursor.head_hash, max((r.at_ms for r in rows), default=0), edge_id),
    )
    return inserted


def advance_watermark(tx: Transaction, edge_id: str, through_ms: int) -> None:
    """Every event of this edge before ``through_ms`` is known to the hub (it pushed
    everything it had, at that instant)."""
    tx.conn.execute(
        "UPDATE edges SET synced_through_ms = MAX(COALESCE(synced_through_ms, 0), ?) "
        "WHERE edge_id = ?",
        (through_ms, edge_id),
    )


def insert_incident(tx: Transaction, edge_id: str, incident: Incident, at_ms: int) -> None:
    tx.conn.execute(
        "INSERT INTO incidents (edge_id, kind, detail, first_seq, last_seq, at_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (edge_id, incident.kind.value, incident.detail, incident.first_seq,
         incident.last_seq, at_ms),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    incident_id: int
    edge_id: str
    kind: str
    detail: str
    first_seq: int
    last_seq: int
    at_ms: int


def list_incidents(conn: sqlite3.Connection) -> list[IncidentRecord]:
    rows = conn.execute(
        "SELECT incident_id, edge_id, kind, detail, first_seq, last_seq, at_ms FROM incidents "
        "ORDER BY incident_id"
    )
    return [IncidentRecord(*r) for r in rows]


def event_bodies(conn: sqlite3.Connection, edge_id: str) -> list[tuple[int, bytes]]:
    rows = conn.execute("SELECT seq, body FROM events WHERE edge_id = ? ORDER BY seq", (edge_id,))
    return [(seq, bytes(body)) for seq, body in rows]


def count_events(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


# -- the change log ----------------------------------------------------------------------


def append_change(
    tx: Transaction,
    dataset: str,
    key: str,
    value: bytes | None,
    at_ms: int,
    scope: str | None = None,
) -> int:
    cursor = tx.conn.execute(
        "INSERT INTO changes (dataset, key, value, scope, at_ms) VALUES (?, ?, ?, ?, ?)",
        (dataset, key, value, scope, at_ms),
    )
    return int(cursor.lastrowid or 0)


def latest_version(conn: sqlite3.Connection, dataset: str) -> int:
    row = conn.execute("SELECT MAX(version) FROM changes WHERE dataset = ?", (dataset,))
    return int(row.fetchone()[0] or 0)


def floor_version(conn: sqlite3.Connection, dataset: str) -> int:
    row = conn.execute(
        "SELECT floor_version FROM change_floors WHERE dataset = ?", (dataset,)
    ).fetchone()
    return int(row[0]) if row else 0


def _scope_clause(scope: str | None) -> tuple[str, tuple[object, ...]]:
    return ("AND (scope IS NULL OR scope = ?)", (scope,)) if scope else ("AND scope IS NULL", ())


def changes_after(
    conn: sqlite3.Connection, dataset: str, since: int, scope: str | None, limit: int
) -> list[tuple[int, str, bytes | None]]:
    clause, args = _scope_clause(scope)
    rows = conn.execute(
        f"SELECT version, key, value FROM changes WHERE dataset = ? AND version > ? {clause} "
        "ORDER BY version LIMIT ?",
        (dataset, since, *args, limit),
    )
    return [(v, k, bytes(val) if val is not None else None) for v, k, val in rows]


def live_entries(
    conn: sqlite3.Connection, dataset: str, scope: str | None, as_of: int
) -> list[tuple[str, bytes]]:
    """The dataset's entries as they stood at version ``as_of``."""
    clause, args = _scope_clause(scope)
    rows = conn.execute(
        "SELECT key, value FROM changes c WHERE dataset = ? AND version <= ? "
        f"{clause} AND version = (SELECT MAX(version) FROM changes d WHERE d.dataset = "
        f"c.dataset AND d.key = c.key AND d.version <= ? {clause.replace('scope', 'd.scope')})",
        (dataset, as_of, *args, as_of, *args),
    )
    return [(k, bytes(v)) for k, v in rows if v is not None]


def version_before(conn: sqlite3.Connection, dataset: str, at_ms: int) -> int:
    """The newest version of ``dataset`` written before ``at_ms`` (0 if none)."""
    row = conn.execute(
        "SELECT MAX(version) FROM changes WHERE dataset = ? AND at_ms < ?", (dataset, at_ms)
    ).fetchone()
    return int(row[0] or 0)


def compact_changes(tx: Transaction, dataset: str, through_version: int) -> int:
    """Drop changes at or below ``through_version`` that a later change of the same key
    supersedes; edges whose cursor is older than the new floor get a snapshot."""
    cursor = tx.conn.execute(
        "DELETE FROM changes WHERE dataset = ? AND version <= ? AND (value IS NULL OR "
        "EXISTS (SELECT 1 FROM changes d WHERE d.dataset = changes.dataset AND "
        "d.key = changes.key AND d.version > changes.version))",
        (dataset, through_version),
    )
    tx.conn.execute(
        "INSERT INTO change_floors VALUES (?, ?) ON CONFLICT(dataset) DO UPDATE SET "
        "floor_version = MAX(floor_version, excluded.floor_version)",
        (dataset, through_version),
    )
    return cursor.rowcount


def latest_entries(
    conn: sqlite3.Connection, dataset: str, keys: Iterable[str]
) -> dict[str, tuple[bytes, str | None]]:
    """For each of ``keys`` that is live in ``dataset``: its value and scope."""
    found: dict[str, tuple[bytes, str | None]] = {}
    for chunk in _chunks(list(keys)):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT key, value, scope FROM (SELECT key, value, scope, ROW_NUMBER() OVER "
            "(PARTITION BY key ORDER BY version DESC) AS newest FROM changes "
            f"WHERE dataset = ? AND key IN ({marks})) WHERE newest = 1",
            (dataset, *chunk),
        )
        for key, value, scope in rows:
            if value is not None:
                found[key] = (bytes(value), scope)
    return found


def keys_in(conn: sqlite3.Connection, dataset: str, keys: Iterable[str]) -> dict[str, bytes]:
    """The current value of each of ``keys`` (absent keys are left out)."""
    return {k: v for k, (v, _) in latest_entries(conn, dataset, keys).items()}


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def last_border_directions(
    conn: sqlite3.Connection, worker_ids: Iterable[str], border_sites: Sequence[str]
) -> dict[str, str]:
    """Per worker, the direction of their latest allowed, genuine scan at a border gate
    (``in``: in China), by the hub's instant."""
    sites = ",".join("?" * len(border_sites))
    found: dict[str, str] = {}
    for chunk in _chunks(list(worker_ids)):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT worker_id, direction FROM (SELECT worker_id, direction, ROW_NUMBER() "
            "OVER (PARTITION BY worker_id ORDER BY at_ms DESC, hlc DESC) AS newest "
            f"FROM events WHERE worker_id IN ({marks}) AND site IN ({sites}) "
            "AND verdict = 'allow' AND verified = 1 AND direction IN ('in', 'out')) "
            "WHERE newest = 1",
            (*chunk, *border_sites),
        )
        found.update(rows)
    return found


def count_edges_at(conn: sqlite3.Connection, site_id: str) -> int:
    row = conn.execute("SELECT COUNT(*) FROM edges WHERE site_id = ?", (site_id,))
    return int(row.fetchone()[0])
