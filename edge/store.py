"""The edge's SQLite store: schema, migrations and every query. The only module with SQL.

Durability comes from :mod:`borderpass.sqlite` (WAL, ``synchronous=FULL``, one
group-committing writer): write functions here take the writer's connection and run
inside its transaction; read functions take any connection.

The scan log (``events``) is append-only, and SQLite itself enforces it: triggers
refuse an ``UPDATE``, an insert that does not continue the chain (seq = head + 1,
prev_hash = head's hash), and a ``DELETE`` of any event the hub has not acknowledged
(``sync_state.acknowledged_seq``). Only :func:`prune_acknowledged` deletes, and it
always keeps the newest event, so the head survives for the next append.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlite_utils

from protocol.events import GENESIS, ScanEvent
from protocol.refs import Revocation, RevocationKind

from .records import (
    EdgeIdentity,
    Employer,
    LoggedScan,
    Presence,
    RosterEntry,
    StoredEvent,
    SyncKey,
    SyncStatus,
    TrustRecord,
    UsedUp,
    UsedUpSource,
)

migrations = sqlite_utils.Migrations("borderpass-edge")


_SCHEMA_V1 = (
    "CREATE TABLE edge_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY, hlc INTEGER NOT NULL, wall_ms INTEGER NOT NULL,
        prev_hash BLOB NOT NULL, hash BLOB NOT NULL, body BLOB NOT NULL,
        site TEXT NOT NULL, direction TEXT NOT NULL, verdict TEXT NOT NULL,
        reasons TEXT NOT NULL, permit_id TEXT, worker_id TEXT, employer_id TEXT,
        verified INTEGER NOT NULL, trust_age_s INTEGER, operator TEXT NOT NULL,
        qr_digest BLOB NOT NULL, worker_name TEXT, worker_name_zh TEXT)""",
    "CREATE INDEX events_worker ON events (worker_id, seq)",
    "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE trust_list (id INTEGER PRIMARY KEY CHECK (id = 1), signed BLOB NOT NULL,
        version INTEGER NOT NULL, issued_at INTEGER NOT NULL, refreshed_ms INTEGER NOT NULL)""",
    """CREATE TABLE site_map (id INTEGER PRIMARY KEY CHECK (id = 1), toml TEXT NOT NULL,
        version INTEGER NOT NULL)""",
    """CREATE TABLE revocations (kind TEXT NOT NULL, subject TEXT NOT NULL,
        revoked_at INTEGER NOT NULL, reason TEXT, PRIMARY KEY (kind, subject))""",
    """CREATE TABLE used_up (permit_id TEXT PRIMARY KEY, exit_ms INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('local', 'hub')))""",
    "CREATE TABLE employers (employer_id TEXT PRIMARY KEY, name TEXT NOT NULL)",
    """CREATE TABLE roster (worker_id TEXT PRIMARY KEY, name TEXT NOT NULL, name_zh TEXT,
        employer_id TEXT NOT NULL, permit_id TEXT NOT NULL, end_date TEXT,
        in_china INTEGER NOT NULL)""",
    """CREATE TABLE datasets (name TEXT PRIMARY KEY, version INTEGER NOT NULL,
        applied_ms INTEGER NOT NULL)""",
    # The log is append-only: SQLite itself refuses to change it.
    """CREATE TRIGGER events_append_only BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the scan log is append-only'); END""",
    """CREATE TRIGGER events_continue_chain BEFORE INSERT ON events
        WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM events)
          OR NEW.prev_hash IS NOT COALESCE(
               (SELECT hash FROM events ORDER BY seq DESC LIMIT 1), zeroblob(32))
        BEGIN SELECT RAISE(ABORT, 'an event must continue the chain at the log head'); END""",
    """CREATE TRIGGER events_delete_acknowledged_only BEFORE DELETE ON events
        WHEN OLD.seq > COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state
                                 WHERE key = 'acknowledged_seq'), 0)
        BEGIN SELECT RAISE(ABORT, 'only events the hub acknowledged may be deleted'); END""",
)


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    for statement in _SCHEMA_V1:
        db.execute(statement)


@migrations()
def m002_pulled(db: sqlite_utils.Database) -> None:
    """What the hub sent, exactly: the bytes the pull digests are computed over."""
    db.execute(
        """CREATE TABLE pulled (dataset TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
            PRIMARY KEY (dataset, key)) WITHOUT ROWID"""
    )


@migrations()
def m003_sessions(db: sqlite_utils.Database) -> None:
    """Browser logins: the digest of a random session id, whose account, until when."""
    db.execute(
        """CREATE TABLE sessions (session_digest TEXT PRIMARY KEY, account TEXT NOT NULL,
            created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL)"""
    )


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the schema up to date (``borderpass.sqlite.Database`` calls this at open)."""
    migrations.apply(db)


# -- identity ----------------------------------------------------------------------------


def write_identity(conn: sqlite3.Connection, identity: EdgeIdentity) -> None:
    values = {
        "site_id": identity.site_id,
        "root_public_key": identity.root_public_key.hex(),
        "token_digest": identity.token_digest,
        "created_ms": str(identity.created_ms),
    }
    conn.executemany("INSERT INTO edge_info (key, value) VALUES (?, ?)", values.items())


def read_identity(conn: sqlite3.Connection) -> EdgeIdentity | None:
    values = dict(conn.execute("SELECT key, value FROM edge_info").fetchall())
    if "site_id" not in values:
        return None
    return EdgeIdentity(
        site_id=values["site_id"],
        root_public_key=bytes.fromhex(values["root_public_key"]),
        token_digest=values["token_digest"],
        created_ms=int(values["created_ms"]),
    )


# -- trust list and site map -------------------------------------------------------------


def write_trust(conn: sqlite3.Connection, record: TrustRecord) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO trust_list (id, signed, version, issued_at, refreshed_ms) "
        "VALUES (1, ?, ?, ?, ?)",
        (record.signed, record.version, record.issued_at, record.refreshed_ms),
    )


def touch_trust(conn: sqlite3.Connection, refreshed_ms: int) -> None:
    conn.execute("UPDATE trust_list SET refreshed_ms = ? WHERE id = 1", (refreshed_ms,))


def read_trust(conn: sqlite3.Connection) -> TrustRecord | None:
    row = conn.execute(
        "SELECT signed, version, issued_at, refreshed_ms FROM trust_list WHERE id = 1"
    ).fetchone()
    return None if row is None else TrustRecord(*row)


def write_site_map(conn: sqlite3.Connection, toml_text: str, version: int) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO site_map (id, toml, version) VALUES (1, ?, ?)",
        (toml_text, version),
    )


def read_site_map(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT toml FROM site_map WHERE id = 1").fetchone()
    return None if row is None else str(row[0])


def set_dataset_version(conn: sqlite3.Connection, name: str, version: int, at_ms: int) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO datasets (name, version, applied_ms) VALUES (?, ?, ?)",
        (name, version, at_ms),
    )


def read_dataset_versions(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT name, version FROM datasets").fetchall())


# -- revocations and used-up permits -----------------------------------------------------


def put_revocation(conn: sqlite3.Connection, revocation: Revocation) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO revocations (kind, subject, revoked_at, reason) "
        "VALUES (?, ?, ?, ?)",
        (revocation.kind.value, revocation.subject, revocation.revoked_at, revocation.reason),
    )


def delete_revocation(conn: sqlite3.Connection, kind: RevocationKind, subject: str) -> None:
    conn.execute("DELETE FROM revocations WHERE kind = ? AND subject = ?", (kind, subject))


def read_revocations(conn: sqlite3.Connection) -> list[Revocation]:
    rows = conn.execute("SELECT kind, subject, revoked_at, reason FROM revocations")
    return [Revocation(RevocationKind(k), s, at, reason or "") for k, s, at, reason in rows]


def put_used_up(conn: sqlite3.Connection, used: UsedUp) -> None:
    """Record an exit; of two exits of one permit the earliest counts."""
    conn.execute(
        "INSERT INTO used_up (permit_id, exit_ms, source) VALUES (?, ?, ?) "
        "ON CONFLICT (permit_id) DO UPDATE SET exit_ms = excluded.exit_ms, "
        "source = excluded.source WHERE excluded.exit_ms < used_up.exit_ms",
        (used.permit_id, used.exit_ms, used.source.value),
    )


def delete_used_up(conn: sqlite3.Connection, permit_id: str) -> None:
    conn.execute("DELETE FROM used_up WHERE permit_id = ?", (permit_id,))


def read_used_up(conn: sqlite3.Connection) -> list[UsedUp]:
    rows = conn.execute("SELECT permit_id, exit_ms, source FROM used_up")
    return [UsedUp(p, ms, UsedUpSource(source)) for p, ms, source in rows]


# -- employers and the park roster -------------------------------------------------------


def put_employers(conn: sqlite3.Connection, employers: Iterable[Employer]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO employers (employer_id, name) VALUES (?, ?)",
        [(e.employer_id, e.name) for e in employers],
    )


def delete_employers(conn: sqlite3.Connection, employer_ids: Iterable[str] | None) -> None:
    """Delete the given employers, or every employer when ``employer_ids`` is None."""
    if employer_ids is None:
        conn.execute("DELETE FROM employers")
    else:
        conn.executemany(
            "DELETE FROM employers WHERE employer_id = ?", [(i,) for i in employer_ids]
        )


def read_employers(conn: sqlite3.Connection) -> list[Employer]:
    return [Employer(*row) for row in conn.execute("SELECT employer_id, name FROM employers")]


def put_roster(conn: sqlite3.Connection, entries: Iterable[RosterEntry]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO roster (worker_id, name, name_zh, employer_id, permit_id, "
        "end_date, in_china) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                e.worker_id,
                e.name,
                e.name_zh,
                e.employer_id,
                e.permit_id,
                None if e.end_date is None else e.end_date.isoformat(),
                int(e.in_china),
            )
            for e in entries
        ],
    )


def delete_roster(conn: sqlite3.Connection, worker_ids: Iterable[str] | None) -> None:
    """Delete the given workers, or the whole roster when ``worker_ids`` is None."""
    if worker_ids is None:
        conn.execute("DELETE FROM roster")
    else:
        conn.executemany("DELETE FROM roster WHERE worker_id = ?", [(i,) for i in worker_ids])


def read_roster(conn: sqlite3.Connection) -> list[RosterEntry]:
    rows = conn.execute(
        "SELECT worker_id, name, name_zh, employer_id, permit_id, end_date, in_china "
        "FROM roster ORDER BY worker_id"
    )
    return [
        RosterEntry(w, n, nz, emp, p, None if end is None else date.fromisoformat(end), bool(c))
        for w, n, nz, emp, p, end, c in rows
    ]


# -- the scan log ------------------------------------------------------------------------


def append_event(
    conn: sqlite3.Connection,
    event: ScanEvent,
    encoded: bytes,
    digest: bytes,
    names: tuple[str | None, str | None],
) -> None:
    """Insert ``event`` with its exact encoded bytes, hash and the names shown on screen."""
    conn.execute(
        "INSERT INTO events (seq, hlc, wall_ms, prev_hash, hash, body, site, direction, "
        "verdict, reasons, permit_id, worker_id, employer_id, verified, trust_age_s, "
        "operator, qr_digest, worker_name, worker_name_zh) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event.seq,
            event.hlc,
            event.wall_ms,
            event.prev_hash,
            digest,
            encoded,
            event.site,
            event.direction,
            event.verdict,
            json.dumps(list(event.reasons)),
            event.permit_id,
            event.worker_id,
            event.employer_id,
            int(event.verified),
            event.trust_age_s,
            event.operator,
            event.qr_digest,
            *names,
        ),
    )


def read_head(conn: sqlite3.Connection) -> tuple[int, bytes, int]:
    """(seq, hash, packed hlc) of the newest event; (0, GENESIS, 0) for an empty log."""
    row = conn.execute("SELECT seq, hash, hlc FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS, 0) if row is None else (row[0], row[1], row[2])


def count_events(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


_SCAN_COLUMNS = (
    "seq, wall_ms, direction, verdict, reasons, permit_id, worker_id, employer_id, "
    "verified, operator, worker_name, worker_name_zh"
)


def _logged_scan(row: Any) -> LoggedScan:
    seq, wall_ms, direction, verdict, reasons, permit_id, worker_id, employer_id, *rest = row
    verified, operator, name, name_zh = rest
    return LoggedScan(
        seq, wall_ms, direction, verdict, tuple(json.loads(reasons)),
        permit_id, worker_id, employer_id, bool(verified), operator, name, name_zh,
    )  # fmt: skip


def recent_scans(conn: sqlite3.Connection, limit: int) -> list[LoggedScan]:
    rows = conn.execute(
        f"SELECT {_SCAN_COLUMNS} FROM events ORDER BY seq DESC LIMIT ?",
        (limit,),
    )
    return [_logged_scan(row) for row in rows]


def events_after(conn: sqlite3.Connection, after_seq: int, limit: int) -> list[StoredEvent]:
    """Up to ``limit`` events with seq > ``after_seq``, oldest first (what sync pushes)."""
    rows = conn.execute(
        "SELECT seq, body, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        (after_seq, limit),
    )
    return [StoredEvent(*row) for row in rows]


def on_site(conn: sqlite3.Connection) -> list[Presence]:
    """Workers whose last allowed, verified scan here is ``in`` or ``check``."""
    rows = conn.execute(_ON_SITE)
    return [Presence(*row) for row in rows]


_ON_SITE = """
WITH scans AS (
  SELECT seq, worker_id, direction, wall_ms FROM events
  WHERE verdict = 'allow' AND verified = 1 AND worker_id IS NOT NULL),
outs AS (SELECT worker_id, MAX(seq) AS out_seq FROM scans WHERE direction = 'out'
         GROUP BY worker_id),
stays AS (
  SELECT s.worker_id, MIN(s.wall_ms) AS since_ms, MAX(s.seq) AS last_seq
  FROM scans s LEFT JOIN outs o ON o.worker_id = s.worker_id
  WHERE s.seq > COALESCE(o.out_seq, 0) GROUP BY s.worker_id)
SELECT e.worker_id, e.permit_id, e.employer_id, e.worker_name, e.worker_name_zh,
       stays.since_ms, e.wall_ms, e.direction
FROM stays JOIN events e ON e.seq = stays.last_seq
ORDER BY stays.since_ms
"""


def prune_acknowledged(conn: sqlite3.Connection, before_ms: int) -> int:
    """Delete acknowledged events logged before ``before_ms``, keeping the newest event
    (the chain's head); return how many went. Call it with now - retention."""
    cursor = conn.execute(
        "DELETE FROM events WHERE wall_ms < ? AND seq < (SELECT MAX(seq) FROM events) "
        "AND seq <= COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state "
        "WHERE key = 'acknowledged_seq'), 0)",
        (before_ms,),
    )
    return cursor.rowcount


# -- sync state --------------------------------------------------------------------------


def write_sync_state(conn: sqlite3.Connection, values: Mapping[SyncKey, object]) -> None:
    """Set keys of ``sync_state``; a None value deletes the key (back to its default)."""
    for key, value in values.items():
        if value is None:
            conn.execute("DELETE FROM sync_state WHERE key = ?", (SyncKey(key).value,))
        else:
            conn.execute(
                "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                (SyncKey(key).value, json.dumps(value)),
            )


def read_sync_state(conn: sqlite3.Connection) -> SyncStatus:
    known = {k.value for k in SyncKey}
    values = {
        key: json.loads(value)
        for key, value in conn.execute("SELECT key, value FROM sync_state")
        if key in known
    }
    return SyncStatus(**values)


# -- pulled datasets ---------------------------------------------------------------------


def read_pulled(conn: sqlite3.Connection, dataset: str) -> dict[str, bytes]:
    """A pulled dataset's entries as the hub sent them."""
    rows = conn.execute("SELECT key, value FROM pulled WHERE dataset = ?", (dataset,))
    return {key: bytes(value) for key, value in rows}


def write_pulled(
    conn: sqlite3.Connection, dataset: str, upserts: Mapping[str, bytes], removals: Iterable[str]
) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO pulled (dataset, key, value) VALUES (?, ?, ?)",
        [(dataset, key, value) for key, value in upserts.items()],
    )
    conn.executemany(
        "DELETE FROM pulled WHERE dataset = ? AND key = ?", [(dataset, key) for key in removals]
    )


def oldest_seq(conn: sqlite3.Connection) -> int:
    """The oldest event still held (after pruning); 1 for an empty log."""
    row = conn.execute("SELECT MIN(seq) FROM events").fetchone()
    return int(row[0]) if row[0] is not None else 1


# -- browser sessions --------------------------------------------------------------------


def open_session(
    conn: sqlite3.Connection, digest: str, account: str, now_ms: int, expires_ms: int
) -> None:
    """Store a new session (and forget the expired ones)."""
    conn.execute("DELETE FROM sessions WHERE expires_ms <= ?", (now_ms,))
    conn.execute(
        "INSERT INTO sessions (session_digest, account, created_ms, expires_ms) "
        "VALUES (?, ?, ?, ?)",
        (digest, account, now_ms, expires_ms),
    )


def session_account(conn: sqlite3.Connection, digest: str, now_ms: int) -> str | None:
    """The account of the live session with this digest, or None."""
    row = conn.execute(
        "SELECT account FROM sessions WHERE session_digest = ? AND expires_ms > ?",
        (digest, now_ms),
    ).fetchone()
    return None if row is None else str(row[0])


def end_session(conn: sqlite3.Connection, digest: str) -> None:
    conn.execute("DELETE FROM sessions WHERE session_digest = ?", (digest,))


def end_account_sessions(conn: sqlite3.Connection, account: str) -> int:
    """End every session of an account; return how many there were."""
    return conn.execute("DELETE FROM sessions WHERE account = ?", (account,)).rowcount
