"""The reconciler's and the webhook's work tables (made by
:mod:`hub.store.alert_schema`).

* What is not reconciled yet: the scans after each edge's ``reconciled_logs.seq``
  (an edge's events are stored in sequence order together with its ``acked_seq``,
  so that position splits its log exactly), and the ``dirty_log``, where triggers
  name the workers of a permit issued or a revocation made or lifted, in the very
  transaction of the change. Both survive a crash; the reconciler moves the positions
  and clears the log only once the workers are recomputed.
* A worker's ``earliest_ms``: the earliest instant among what is new (-1 for a
  registry change). Earlier than the worker's settled cut, it asks for a
  recomputation from the first scan.
* ``worker_watch``: what the last reconciliation of a worker left: in China or not,
  ``due_ms`` (the next instant at which time alone could change the worker's alerts:
  the periodic tick recomputes the workers that are due), and the settled cut
  (``hub.reconcile.settle``) to recompute from next time.
* ``alert_outbox``: urgent alerts waiting to be posted to the webhook.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from borderpass.sqlite import Transaction
from hub.reconcile import Observation, Settled
from hub.reconcile.model import CarriedStay
from protocol.verdict import Direction, Outcome

REGISTRY_CHANGE = -1
"""The ``at_ms`` of a dirty-log row made by a registry change: before every cut."""


@dataclass(frozen=True, slots=True)
class DirtyWorker:
    worker_id: str
    earliest_ms: int
    """The earliest instant among what is new for the worker (-1: a registry change)."""


@dataclass(frozen=True, slots=True)
class Backlog:
    """What is not reconciled yet, as read in one snapshot."""

    log_end: int
    """The dirty log's last ``seq`` (0: empty)."""
    logs: tuple[tuple[str, int], ...]
    """(edge id, acked seq) of each edge with scans after its reconciled position."""
    workers: tuple[DirtyWorker, ...]
    """By worker id."""

    @property
    def empty(self) -> bool:
        return not (self.log_end or self.logs)


def backlog(conn: sqlite3.Connection) -> Backlog:
    """Read inside one snapshot (:func:`hub.store.evidence.snapshot`)."""
    end = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM dirty_log").fetchone()[0])
    earliest: dict[str, int] = {}
    rows = conn.execute(
        "SELECT worker_id, MIN(at_ms) FROM dirty_log WHERE seq <= ? GROUP BY worker_id", (end,)
    )
    earliest.update(rows)
    logs = conn.execute(
        "SELECT e.edge_id, COALESCE(r.seq, 0), e.acked_seq FROM edges e "
        "LEFT JOIN reconciled_logs r USING (edge_id) WHERE e.acked_seq > COALESCE(r.seq, 0)"
    ).fetchall()
    for edge_id, after, through in logs:
        scans = conn.execute(
            "SELECT worker_id, MIN(at_ms) FROM events WHERE edge_id = ? AND seq > ? "
            "AND seq <= ? AND worker_id IS NOT NULL GROUP BY worker_id",
            (edge_id, after, through),
        )
        for worker_id, at_ms in scans:
            earliest[worker_id] = min(at_ms, earliest.get(worker_id, at_ms))
    workers = tuple(DirtyWorker(w, earliest[w]) for w in sorted(earliest))
    return Backlog(end, tuple((e, through) for e, _, through in logs), workers)


def count_dirty(conn: sqlite3.Connection) -> int:
    """How many workers wait for a reconciliation."""
    return len(backlog(conn).workers)


def clear_backlog(tx: Transaction, done: Backlog, again: Iterable[str] = ()) -> None:
    """Mark what ``done`` read as reconciled; name the workers ``again`` anew (their
    recomputation failed: next time, from their first scan)."""
    tx.conn.execute("DELETE FROM dirty_log WHERE seq <= ?", (done.log_end,))
    tx.conn.executemany(
        "INSERT INTO reconciled_logs VALUES (?, ?) "
        "ON CONFLICT (edge_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
        done.logs,
    )
    tx.conn.executemany(
        "INSERT INTO dirty_log (worker_id, at_ms) VALUES (?, ?)",
        [(w, REGISTRY_CHANGE) for w in again],
    )


@dataclass(frozen=True, slots=True)
class WorkerWatch:
    worker_id: str
    in_china: bool
    since_ms: int | None
    """The first evidence of the current stay in China (None: not in China)."""
    due_ms: int | None
    """When time alone can next change the worker's alerts (None: it cannot)."""
    reconciled_at_ms: int
    settled: Settled | None = None
    """Where to recompute from next time (None: the first scan)."""
    settled_text: str | None = field(default=None, compare=False, repr=False)
    """``settled`` as stored, when it is known already (saves encoding it again)."""


_WATCH = "worker_id, in_china, since_ms, due_ms, reconciled_at_ms, settled"


def save_watches(tx: Transaction, watches: Iterable[WorkerWatch]) -> None:
    tx.conn.executemany(
        "INSERT INTO worker_watch (worker_id, in_china, since_ms, due_ms, reconciled_at_ms, "
        "cut_ms, settled) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (worker_id) DO UPDATE "
        "SET in_china = excluded.in_china, since_ms = excluded.since_ms, "
        "due_ms = excluded.due_ms, reconciled_at_ms = excluded.reconciled_at_ms, "
        "cut_ms = excluded.cut_ms, settled = excluded.settled",
        [(w.worker_id, int(w.in_china), w.since_ms, w.due_ms, w.reconciled_at_ms,
          w.settled.cut_ms if w.settled else None,
          w.settled_text if w.settled_text is not None else settled_json(w.settled))
         for w in watches],
    )  # fmt: skip


def _watch(row: Sequence[Any]) -> WorkerWatch:
    worker_id, in_china, since, due, at, text = row
    settled = settled_from_json(text)
    kept = text if settled is not None else None
    return WorkerWatch(worker_id, bool(in_china), since, due, at, settled, kept)


def get_watch(conn: sqlite3.Connection, worker_id: str) -> WorkerWatch | None:
    row = conn.execute(f"SELECT {_WATCH} FROM worker_watch WHERE worker_id = ?", (worker_id,))
    found = row.fetchone()
    return _watch(found) if found else None


def watches_of(conn: sqlite3.Connection, worker_ids: Sequence[str]) -> dict[str, WorkerWatch]:
    found: dict[str, WorkerWatch] = {}
    for start in range(0, len(worker_ids), 500):
        chunk = tuple(worker_ids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT {_WATCH} FROM worker_watch WHERE worker_id IN ({marks})", chunk
        )
        found.update((row[0], _watch(row)) for row in rows)
    return found


def due_workers(conn: sqlite3.Connection, now_ms: int) -> list[str]:
    """Workers whose alerts time may have changed by ``now_ms``."""
    rows = conn.execute(
        "SELECT worker_id FROM worker_watch WHERE due_ms IS NOT NULL AND due_ms <= ? "
        "ORDER BY worker_id",
        (now_ms,),
    )
    return [str(r[0]) for r in rows]


def provisional_workers(conn: sqlite3.Connection) -> list[str]:
    """Workers with a standing provisional alert (the edges' watermarks may confirm
    it)."""
    rows = conn.execute(
        "SELECT DISTINCT worker_id FROM alerts WHERE provisional = 1 AND retracted = 0 "
        "AND worker_id IS NOT NULL ORDER BY worker_id"
    )
    return [str(r[0]) for r in rows]


def workers_in_china(conn: sqlite3.Connection) -> list[WorkerWatch]:
    """The workers the last reconciliation found in China, by the start of their stay."""
    rows = conn.execute(
        f"SELECT {_WATCH} FROM worker_watch WHERE in_china = 1 ORDER BY since_ms, worker_id"
    )
    return [_watch(r) for r in rows]


# -- a settled past, as JSON -------------------------------------------------------------
# Compact and positional: an Observation is {"O": [its fields in order]} (the QR digest
# in hex), a CarriedStay {"C": [...]}, a Settled {"S": [...]}, a tuple a list. The
# document carries a digest of the three types' field names: a value stored before
# the engine's values changed does not decode, and counts as no cut (a recomputation
# from the first scan, which then settles again).

_TYPES: dict[str, type[Any]] = {"O": Observation, "C": CarriedStay, "S": Settled}
_CODES = {kind: code for code, kind in _TYPES.items()}
_SHAPE = hashlib.sha256(
    repr([[f.name for f in fields(kind)] for kind in _TYPES.values()]).encode()
).hexdigest()[:12]
_DIRECTIONS = {d.value: d for d in Direction}
_OUTCOMES = {o.value: o for o in Outcome}


def _encode(value: Any) -> Any:
    if isinstance(value, Observation):
        *head, digest = (getattr(value, f.name) for f in fields(value))
        return {"O": [*head, digest.hex()]}
    code = _CODES.get(type(value))
    if code is not None:
        return {code: [_encode(getattr(value, f.name)) for f in fields(value)]}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _observation(v: list[Any]) -> Observation:
    edge, seq, site, direction, verdict, reasons, pid, wid, eid, ok, at, hlc, digest = v
    return Observation(
        edge, seq, site, _DIRECTIONS[direction], _OUTCOMES[verdict], tuple(reasons), pid,
        wid, eid, ok, at, hlc, bytes.fromhex(digest),
    )  # fmt: skip


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        ((code, values),) = value.items()
        if code == "O":
            return _observation(values)
        return _TYPES[code](*(_decode(v) for v in values))
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def settled_json(settled: Settled | None) -> str | None:
    if settled is None:
        return None
    return json.dumps({"shape": _SHAPE, "value": _encode(settled)}, separators=(",", ":"))


def settled_from_json(text: str | None) -> Settled | None:
    if not text:
        return None
    try:
        document = json.loads(text)
        if document.get("shape") != _SHAPE:
            return None
        found = _decode(document["value"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return found if isinstance(found, Settled) else None


# -- the webhook's outbox ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: int
    alert_id: str
    payload: str
    """The JSON body to post, fixed when the alert was raised."""
    created_at_ms: int
    attempts: int
    last_error: str | None
    delivered_at_ms: int | None


_DELIVERY = "delivery_id, alert_id, payload, created_at_ms, attempts, last_error, delivered_at_ms"


def enqueue_delivery(tx: Transaction, alert_id: str, payload: str, now_ms: int) -> int:
    cursor = tx.conn.execute(
        "INSERT INTO alert_outbox (alert_id, payload, created_at_ms) VALUES (?, ?, ?)",
        (alert_id, payload, now_ms),
    )
    return int(cursor.lastrowid or 0)


def pending_deliveries(conn: sqlite3.Connection, limit: int = 100) -> list[Delivery]:
    """Deliveries not yet acknowledged by the receiver, oldest first."""
    rows = conn.execute(
        f"SELECT {_DELIVERY} FROM alert_outbox WHERE delivered_at_ms IS NULL "
        "ORDER BY delivery_id LIMIT ?",
        (limit,),
    )
    return [Delivery(*r) for r in rows]


def list_deliveries(conn: sqlite3.Connection, alert_id: str | None = None) -> list[Delivery]:
    where, params = ("WHERE alert_id = ?", (alert_id,)) if alert_id else ("", ())
    rows = conn.execute(
        f"SELECT {_DELIVERY} FROM alert_outbox {where} ORDER BY delivery_id", params
    )
    return [Delivery(*r) for r in rows]


def mark_delivered(tx: Transaction, delivery_id: int, now_ms: int) -> None:
    tx.conn.execute(
        "UPDATE alert_outbox SET attempts = attempts + 1, last_attempt_ms = ?, "
        "delivered_at_ms = ?, last_error = NULL WHERE delivery_id = ?",
        (now_ms, now_ms, delivery_id),
    )


def mark_failed(tx: Transaction, delivery_id: int, now_ms: int, error: str) -> None:
    tx.conn.execute(
        "UPDATE alert_outbox SET attempts = attempts + 1, last_attempt_ms = ?, "
        "last_error = ? WHERE delivery_id = ?",
        (now_ms, error[:500], delivery_id),
    )
