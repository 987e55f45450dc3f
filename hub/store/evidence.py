"""What reconciliation and the timeline read from the other table groups, read-only:
scans (``events``) as :class:`~hub.reconcile.Observation`, permits with their
employer's park and hiring permit as :class:`~hub.reconcile.PermitRecord`, the active
revocations, the edges' watermarks and the integrity incidents.

Run a reconciliation's reads inside :func:`snapshot`, so that every query sees the
same committed state.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from hub.reconcile import EdgeWatermark, IntegrityIncident, Observation, PermitRecord
from hub.store import registry
from protocol.refs import Revocation, RevocationKind
from protocol.sync.ingest import IncidentKind
from protocol.verdict import Direction, Outcome

CHUNK = 500
"""Workers per ``IN (...)`` query."""
PERMIT_MEMO = 65_536
"""Permit records kept built (about 2 kB each)."""

_DIRECTIONS = {d.value: d for d in Direction}
_OUTCOMES = {o.value: o for o in Outcome}
_OBSERVATION = (
    "edge_id, seq, site, direction, verdict, reasons, permit_id, worker_id, employer_id, "
    "verified, at_ms, hlc, qr_digest"
)


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction: every query inside sees the same committed state (inside
    one already, it just joins it)."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def _chunks(ids: Sequence[str]) -> Iterator[tuple[str, tuple[str, ...]]]:
    for start in range(0, len(ids), CHUNK):
        chunk = tuple(ids[start : start + CHUNK])
        yield ", ".join("?" * len(chunk)), chunk


def _observation(row: Sequence[Any]) -> Observation:
    edge, seq, site, direction, verdict, reasons, pid, wid, eid, ok, at, hlc, digest = row
    return Observation(
        edge, seq, site, _DIRECTIONS[direction], _OUTCOMES[verdict],
        tuple(reasons.split(",")) if reasons else (), pid, wid, eid, bool(ok), at, hlc,
        bytes(digest),
    )  # fmt: skip


def observations_of(
    conn: sqlite3.Connection, worker_ids: Sequence[str], since_ms: int | None = None
) -> dict[str, list[Observation]]:
    """Every scan that names one of these workers (verified or not), per worker; with
    ``since_ms``, only those from that instant on."""
    found: dict[str, list[Observation]] = {w: [] for w in worker_ids}
    since = "" if since_ms is None else "AND at_ms >= ?"
    extra = () if since_ms is None else (since_ms,)
    for marks, chunk in _chunks(worker_ids):
        rows = conn.execute(
            f"SELECT {_OBSERVATION} FROM events WHERE worker_id IN ({marks}) {since}",
            (*chunk, *extra),
        )
        for row in rows:
            found[row[7]].append(_observation(row))
    return found


_PERMIT = (
    "p.permit_id, p.worker_name, p.worker_name_zh, p.border_pass_no, w.birth_date, w.sex, "
    "p.employer_id, p.zones, p.valid_from, p.valid_until, p.health_cert_until, "
    "p.insurance_until, p.single_exit, p.issued_at_s, p.key_id, e.park_zone, "
    "e.hiring_permit_valid_until"
)
_PERMIT_FROM = (
    "FROM permits p JOIN workers w USING (border_pass_no) "
    "JOIN employers e ON e.employer_id = p.employer_id"
)


@lru_cache(maxsize=PERMIT_MEMO)
def _permit_record(row: tuple[object, ...]) -> PermitRecord:
    """The record of a permit row, memoised by the whole row (a changed row is a new
    key): building and checking a Permit costs more than reading it."""
    park, hiring_until = row[15:]
    permit = registry.permit_of(row)
    return PermitRecord(permit, str(park), date.fromisoformat(str(hiring_until)))


def permit_records_of(
    conn: sqlite3.Connection, worker_ids: Sequence[str]
) -> dict[str, list[PermitRecord]]:
    """Every permit of these workers, with its employer's park and hiring permit end."""
    found: dict[str, list[PermitRecord]] = {w: [] for w in worker_ids}
    for marks, chunk in _chunks(worker_ids):
        rows = conn.execute(
            f"SELECT {_PERMIT} {_PERMIT_FROM} WHERE p.border_pass_no IN ({marks})", chunk
        )
        for row in rows:
            found[str(row[3])].append(_permit_record(tuple(row)))
    return found


def active_revocations(conn: sqlite3.Connection) -> list[Revocation]:
    """The revocations in force (a lifted one no longer counts: what edges hold)."""
    rows = conn.execute(
        "SELECT kind, subject, revoked_at_s, reason FROM revocations "
        "WHERE reinstated_at_s IS NULL ORDER BY revocation_id"
    )
    return [Revocation(RevocationKind(k), s, int(at), r) for k, s, at, r in rows]


def watermarks(conn: sqlite3.Connection) -> list[EdgeWatermark]:
    """The enrolled, unrevoked edges: how far each one's log is known (an edge that
    never pushed is known up to its enrolment: it held nothing before), when it was
    last heard, and its clock offset at the last sync."""
    rows = conn.execute(
        "SELECT edge_id, site_id, COALESCE(synced_through_ms, enrolled_at_ms), "
        "COALESCE(last_seen_ms, enrolled_at_ms), clock_offset_ms FROM edges "
        "WHERE public_key IS NOT NULL AND revoked_at_ms IS NULL ORDER BY edge_id"
    )
    return [EdgeWatermark(e, s, int(t), int(h), o) for e, s, t, h, o in rows]


def incidents(conn: sqlite3.Connection) -> list[IntegrityIncident]:
    """Every integrity incident, with the first and last sequence numbers it names as
    its evidence."""
    rows = conn.execute(
        "SELECT edge_id, kind, detail, first_seq, last_seq, at_ms FROM incidents "
        "ORDER BY incident_id"
    )
    found = []
    for edge, kind, detail, first, last, at in rows:
        refs = ((edge, first),) if first == last else ((edge, first), (edge, last))
        found.append(IntegrityIncident(edge, IncidentKind(kind), detail, at, refs))
    return found


@dataclass(frozen=True, slots=True)
class Scan:
    """One scan of a worker's timeline, as the API shows it."""

    edge_id: str
    seq: int
    site: str
    direction: str
    verdict: str
    reasons: tuple[str, ...]
    permit_id: str | None
    employer_id: str | None
    verified: bool
    at_ms: int
    clock_suspect: bool
    received_ms: int


def worker_scans(
    conn: sqlite3.Connection, worker_id: str, employer_id: str | None = None, limit: int = 5000
) -> list[Scan]:
    """The worker's scans in timeline order (instant, hybrid clock, edge, sequence);
    with ``employer_id`` only the verified scans of that employer's permits."""
    scope = "AND employer_id = ? AND verified = 1" if employer_id is not None else ""
    params = (worker_id, employer_id) if employer_id is not None else (worker_id,)
    rows = conn.execute(
        "SELECT edge_id, seq, site, direction, verdict, reasons, permit_id, employer_id, "
        f"verified, at_ms, clock_suspect, received_ms FROM events WHERE worker_id = ? {scope} "
        "ORDER BY at_ms, hlc, edge_id, seq LIMIT ?",
        (*params, limit),
    )
    return [
        Scan(e, s, site, d, v, tuple(r.split(",")) if r else (), p, emp, bool(ok), at,
             bool(suspect), received)
        for e, s, site, d, v, r, p, emp, ok, at, suspect, received in rows
    ]  # fmt: skip
