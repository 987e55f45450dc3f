"""The reconciler's and the webhook's work tables (made by :mod:`hub.store.alerts`'s
migrations).

* ``dirty_log``: one row per scan stored, permit issued or revocation made or lifted,
  naming the worker whose alerts may have changed, appended by triggers in the very
  transaction that made the change, so a crash between a push and its reconciliation
  loses nothing. ``at_ms`` is the scan's instant (-1 for a registry change): earlier
  than the worker's settled cut, it asks for a recomputation from the first scan. The
  reconciler reads the log up to a ``seq``, recomputes those workers, then clears the
  log up to that ``seq``: rows appended meanwhile stay.
* ``worker_watch``: what the last reconciliation of a worker left: in China or not,
  ``due_ms`` (the next instant at which time alone could change the worker's alerts:
  the periodic tick recomputes the workers that are due), and the settled cut
  (``hub.reconcile.settle``) to recompute from next time.
* ``alert_outbox``: urgent alerts waiting to be posted to the webhook.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
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
    """The earliest instant among the worker's rows (-1: a registry change)."""


def dirty_log_end(conn: sqlite3.Connection) -> int:
    """The ``seq`` of the log's last row (0: empty)."""
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM dirty_log").fetchone()[0])


def dirty_workers(conn: sqlite3.Connection, through_seq: int) -> list[DirtyWorker]:
    """The workers the log names up to ``through_seq``, by worker id."""
    rows = conn.execute(
        "SELECT worker_id, MIN(at_ms) FROM dirty_log WHERE seq <= ? GROUP BY worker_id "
        "ORDER BY worker_id",
        (through_seq,),
    )
    return [DirtyWorker(str(w), int(at)) for w, at in rows]


def count_dirty(conn: sqlite3.Connection) -> int:
    """How many workers the log names."""
    return int(conn.execute("SELECT COUNT(DISTINCT worker_id) FROM dirty_log").fetchone()[0])


def clear_dirty(tx: Transaction, through_seq: int, again: Iterable[str] = ()) -> None:
    """Forget the log up to ``through_seq``; name the workers ``again`` anew (their
    recomputation failed: next time, from their first scan)."""
    tx.conn.execute("DELETE FROM dirty_log WHERE seq <= ?", (through_seq,))
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


_WATCH = "worker_id, in_china, since_ms, due_ms, reconciled_at_ms, settled"


def save_watches(tx: Transaction, watches: Iterable[WorkerWatch]) -> None:
    tx.conn.executemany(
        "INSERT INTO worker_watch (worker_id, in_china, since_ms, due_ms, reconciled_at_ms, "
        "cut_ms, settled) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (worker_id) DO UPDATE "
        "SET in_china = excluded.in_china, since_ms = excluded.since_ms, "
        "due_ms = excluded.due_ms, reconciled_at_ms = excluded.reconciled_at_ms, "
        "cut_ms = excluded.cut_ms, settled = excluded.settled",
        [(w.worker_id, int(w.in_china), w.since_ms, w.due_ms, w.reconciled_at_ms,
          w.settled.cut_ms if w.settled else None, settled_json(w.settled))
         for w in watches],
    )  # fmt: skip


def _watch(row: Sequence[Any]) -> WorkerWatch:
    worker_id, in_china, since, due, at, settled = row
    return WorkerWatch(worker_id, bool(in_china), since, due, at, settled_from_json(settled))


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
# Observations as {"obs": {field: value}} (the QR digest in hex); the dataclasses
# around them as {"type": name, "fields": {...}}. A stored value that no longer decodes
# (the engine's values changed) is treated as no cut: a recomputation from the first
# scan, which then settles again.

_DATACLASSES: dict[str, type[Any]] = {"Settled": Settled, "CarriedStay": CarriedStay}


def _encode(value: Any) -> Any:
    if isinstance(value, Observation):
        found = {f.name: getattr(value, f.name) for f in fields(value)}
        found["qr_digest"] = value.qr_digest.hex()
        return {"obs": found}
    if is_dataclass(value) and not isinstance(value, type):
        encoded = {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
        return {"type": type(value).__name__, "fields": encoded}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _observation(found: dict[str, Any]) -> Observation:
    return Observation(**{
        **found, "direction": Direction(found["direction"]),
        "verdict": Outcome(found["verdict"]), "reasons": tuple(found["reasons"]),
        "qr_digest": bytes.fromhex(found["qr_digest"]),
    })  # fmt: skip


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "obs" in value:
        return _observation(value["obs"])
    if isinstance(value, dict):
        kind = _DATACLASSES[value["type"]]
        return kind(**{k: _decode(v) for k, v in value["fields"].items()})
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def settled_json(settled: Settled | None) -> str | None:
    return None if settled is None else json.dumps(_encode(settled))


def settled_from_json(text: str | None) -> Settled | None:
    if not text:
        return None
    try:
        found = _decode(json.loads(text))
    except (KeyError, TypeError, ValueError):
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
