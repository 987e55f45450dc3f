"""The reconciler's and the webhook's work tables (made by :mod:`hub.store.alerts`'s
migrations).

* ``dirty_workers``: a worker whose evidence changed and who is not reconciled since.
  A trigger on ``events`` marks them in the very transaction that stores the scan, so
  a crash between a push and its reconciliation loses nothing: the next run finds the
  mark. The mark counts insertions; clearing one only succeeds if no scan arrived
  since it was read.
* ``worker_watch``: what the last reconciliation of a worker said about time: in
  China or not, and ``due_ms``, the next instant at which time alone could change the
  worker's alerts (the periodic tick recomputes the workers that are due).
* ``alert_outbox``: urgent alerts waiting to be posted to the webhook.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from borderpass.sqlite import Transaction

DirtyMark = tuple[str, int]
"""A worker id and the mark read with it."""


def dirty_workers(conn: sqlite3.Connection, limit: int) -> list[DirtyMark]:
    rows = conn.execute("SELECT worker_id, mark FROM dirty_workers LIMIT ?", (limit,))
    return [(str(w), int(m)) for w, m in rows]


def count_dirty(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM dirty_workers").fetchone()[0])


def clear_dirty(tx: Transaction, marks: Iterable[DirtyMark]) -> None:
    """Forget the marks that did not change since they were read."""
    tx.conn.executemany("DELETE FROM dirty_workers WHERE worker_id = ? AND mark = ?", marks)


@dataclass(frozen=True, slots=True)
class WorkerWatch:
    worker_id: str
    in_china: bool
    since_ms: int | None
    """The first evidence of the current stay in China (None: not in China)."""
    due_ms: int | None
    """When time alone can next change the worker's alerts (None: it cannot)."""
    reconciled_at_ms: int


def save_watches(tx: Transaction, watches: Iterable[WorkerWatch]) -> None:
    tx.conn.executemany(
        "INSERT INTO worker_watch VALUES (?, ?, ?, ?, ?) ON CONFLICT (worker_id) DO UPDATE "
        "SET in_china = excluded.in_china, since_ms = excluded.since_ms, "
        "due_ms = excluded.due_ms, reconciled_at_ms = excluded.reconciled_at_ms",
        [(w.worker_id, int(w.in_china), w.since_ms, w.due_ms, w.reconciled_at_ms)
         for w in watches],
    )  # fmt: skip


def get_watch(conn: sqlite3.Connection, worker_id: str) -> WorkerWatch | None:
    row = conn.execute(
        "SELECT worker_id, in_china, since_ms, due_ms, reconciled_at_ms FROM worker_watch "
        "WHERE worker_id = ?",
        (worker_id,),
    ).fetchone()
    if row is None:
        return None
    return WorkerWatch(row[0], bool(row[1]), row[2], row[3], row[4])


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
        "SELECT worker_id, in_china, since_ms, due_ms, reconciled_at_ms FROM worker_watch "
        "WHERE in_china = 1 ORDER BY since_ms, worker_id"
    )
    return [WorkerWatch(w, bool(c), s, d, r) for w, c, s, d, r in rows]


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
