"""Alerts and their history: what reconciliation raised, and what people and the
reconciler did with each one since.

An alert row holds the engine's latest computation (kind, severity, provisional,
subject, instant, evidence, facts; its id is the engine's deterministic ``alert_id``)
and, apart from it, the lifecycle (:class:`hub.alert_lifecycle.AlertStatus`, who
acknowledged or resolved it, the note). ``retracted`` marks an alert the evidence no
longer supports, with the scans that retracted it. ``alert_history`` has one entry per
change: raised, updated, confirmed, retracted, reopened, acknowledged, resolved.

The tables are made by :mod:`hub.store.alert_schema`, with the reconciler's work
tables (``dirty_log`` filled by triggers on ``events``, ``permits`` and
``revocations``, ``worker_watch``, the webhook's ``alert_outbox``), whose queries are
in :mod:`hub.store.alert_queues`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from borderpass.sqlite import Transaction
from hub.alert_lifecycle import AlertStatus, Change
from hub.reconcile import Alert, AlertKind, EvidenceRef, Severity
from hub.reconcile.model import Fact
from hub.store.alert_schema import MIGRATIONS as MIGRATIONS


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert as the store holds it: the engine's computation and its lifecycle."""

    alert_id: str
    kind: AlertKind
    severity: Severity
    status: AlertStatus
    provisional: bool
    permit_id: str | None
    worker_id: str | None
    employer_id: str | None
    """The employer of the alert's permit (None for an edge alert)."""
    site: str | None
    edge_id: str | None
    at_ms: int
    """When the situation began (the scan, the deadline passed)."""
    evidence: tuple[EvidenceRef, ...]
    facts: Mapping[str, Fact]
    raised_at_ms: int
    updated_at_ms: int
    acknowledged_at_ms: int | None
    acknowledged_by: str | None
    resolved_at_ms: int | None
    resolved_by: str | None
    """A person (``user:NAME``, ``token:ID``) or ``reconciler``."""
    resolution_note: str | None
    retracted: bool
    """The evidence no longer supports it."""
    retracted_by: tuple[EvidenceRef, ...]
    """The scans that retracted it (empty when none could be named)."""

    def as_alert(self) -> Alert:
        """The engine's value, for diffing against a new computation."""
        return Alert(
            alert_id=self.alert_id,
            kind=self.kind,
            severity=self.severity,
            at_ms=self.at_ms,
            provisional=self.provisional,
            evidence=self.evidence,
            facts=self.facts,
            permit_id=self.permit_id,
            worker_id=self.worker_id,
            site=self.site,
            edge_id=self.edge_id,
        )


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One entry of an alert's history."""

    change_id: int
    alert_id: str
    at_ms: int
    actor: str
    change: Change
    detail: Mapping[str, Any]
    note: str | None


_COLUMNS = (
    "alert_id, kind, severity, status, provisional, permit_id, worker_id, employer_id, "
    "site, edge_id, at_ms, evidence, facts, raised_at_ms, updated_at_ms, "
    "acknowledged_at_ms, acknowledged_by, resolved_at_ms, resolved_by, resolution_note, "
    "retracted, retracted_by"
)


def evidence_json(refs: Iterable[EvidenceRef]) -> str:
    return json.dumps([[edge, seq] for edge, seq in refs])


def _refs(text: str | None) -> tuple[EvidenceRef, ...]:
    return tuple((str(e), int(s)) for e, s in json.loads(text)) if text else ()


def _record(row: Sequence[Any]) -> AlertRecord:
    (aid, kind, severity, status, provisional, permit_id, worker_id, employer_id, site,
     edge_id, at_ms, evidence, facts, raised, updated, ack_at, ack_by, res_at, res_by,
     note, retracted, retracted_by) = row  # fmt: skip
    return AlertRecord(
        aid, AlertKind(kind), Severity(severity), AlertStatus(status), bool(provisional),
        permit_id, worker_id, employer_id, site, edge_id, at_ms, _refs(evidence),
        json.loads(facts), raised, updated, ack_at, ack_by, res_at, res_by, note,
        bool(retracted), _refs(retracted_by),
    )  # fmt: skip


# -- reads -----------------------------------------------------------------------------


def list_alerts(
    conn: sqlite3.Connection,
    *,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    site: str | None = None,
    worker_id: str | None = None,
    employer_id: str | None = None,
    limit: int = 500,
) -> list[AlertRecord]:
    """Alerts, newest situation first, filtered by any of the arguments (each an
    exact match; ``employer_id`` also leaves out the edges' alerts, which have none)."""
    where, params = ["1 = 1"], []
    for column, value in (("kind", kind), ("severity", severity), ("status", status),
                          ("site", site), ("worker_id", worker_id),
                          ("employer_id", employer_id)):  # fmt: skip
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE {' AND '.join(where)} "
        "ORDER BY at_ms DESC, alert_id LIMIT ?",
        (*params, limit),
    )
    return [_record(r) for r in rows]


def get_alert(conn: sqlite3.Connection, alert_id: str) -> AlertRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM alerts WHERE alert_id = ?", (alert_id,))
    found = row.fetchone()
    return _record(found) if found else None


def alert_history(conn: sqlite3.Connection, alert_id: str) -> list[AlertChange]:
    """Every change of the alert, oldest first."""
    rows = conn.execute(
        "SELECT change_id, alert_id, at_ms, actor, change, detail, note FROM alert_history "
        "WHERE alert_id = ? ORDER BY change_id",
        (alert_id,),
    )
    return [
        AlertChange(cid, aid, at, actor, Change(change), json.loads(detail), note)
        for cid, aid, at, actor, change, detail, note in rows
    ]


def open_counts_by_severity(
    conn: sqlite3.Connection, employer_id: str | None = None
) -> dict[str, int]:
    """How many alerts are ``open`` (neither acknowledged nor resolved), per severity;
    every severity is a key. With ``employer_id``, only that employer's."""
    scope, params = ("AND employer_id = ?", (employer_id,)) if employer_id else ("", ())
    rows = conn.execute(
        f"SELECT severity, COUNT(*) FROM alerts WHERE status = 'open' {scope} GROUP BY severity",
        params,
    )
    counts = {severity.value: 0 for severity in Severity}
    counts.update({str(severity): int(n) for severity, n in rows})
    return counts


def alerts_for_worker(conn: sqlite3.Connection, worker_id: str) -> list[AlertRecord]:
    """Every alert about the worker, retracted ones included, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE worker_id = ? ORDER BY at_ms, alert_id",
        (worker_id,),
    )
    return [_record(r) for r in rows]


def standing_alerts_of_workers(
    conn: sqlite3.Connection, worker_ids: Sequence[str]
) -> list[AlertRecord]:
    """The alerts of these workers that the evidence still supports (not retracted):
    what the engine computed last time, to diff against."""
    found: list[AlertRecord] = []
    for start in range(0, len(worker_ids), 500):
        chunk = worker_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM alerts WHERE worker_id IN ({marks}) AND retracted = 0",
            tuple(chunk),
        )
        found.extend(_record(r) for r in rows)
    return found


def standing_edge_alerts(conn: sqlite3.Connection, kinds: Iterable[AlertKind]) -> list[AlertRecord]:
    values = tuple(k.value for k in kinds)
    marks = ", ".join("?" for _ in values)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE kind IN ({marks}) AND retracted = 0", values
    )
    return [_record(r) for r in rows]


# -- writes (inside the single writer) --------------------------------------------------


def _computed(alert: Alert, employer_id: str | None) -> tuple[object, ...]:
    return (
        alert.kind.value, alert.severity.value, int(alert.provisional), alert.permit_id,
        alert.worker_id, employer_id, alert.site, alert.edge_id, alert.at_ms,
        evidence_json(alert.evidence), json.dumps(dict(alert.facts), sort_keys=True),
    )  # fmt: skip


def insert_alert(tx: Transaction, alert: Alert, employer_id: str | None, now_ms: int) -> None:
    """A new alert, open."""
    tx.conn.execute(
        "INSERT INTO alerts (kind, severity, provisional, permit_id, worker_id, employer_id, "
        "site, edge_id, at_ms, evidence, facts, alert_id, status, raised_at_ms, updated_at_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        (*_computed(alert, employer_id), alert.alert_id, now_ms, now_ms),
    )


def update_computation(tx: Transaction, alert: Alert, employer_id: str | None, now_ms: int) -> None:
    """The engine's new version of a standing alert; the lifecycle is left alone."""
    tx.conn.execute(
        "UPDATE alerts SET kind = ?, severity = ?, provisional = ?, permit_id = ?, "
        "worker_id = ?, employer_id = ?, site = ?, edge_id = ?, at_ms = ?, evidence = ?, "
        "facts = ?, updated_at_ms = ? WHERE alert_id = ?",
        (*_computed(alert, employer_id), now_ms, alert.alert_id),
    )


def reraise(
    tx: Transaction, alert: Alert, employer_id: str | None, status: AlertStatus, now_ms: int
) -> None:
    """A retracted alert computed again: its new computation, no longer retracted, in
    ``status`` (reopened: the automatic resolution is cleared)."""
    update_computation(tx, alert, employer_id, now_ms)
    tx.conn.execute(
        "UPDATE alerts SET retracted = 0, retracted_by = NULL, status = ? WHERE alert_id = ?",
        (status.value, alert.alert_id),
    )
    if status is AlertStatus.OPEN:
        tx.conn.execute(
            "UPDATE alerts SET resolved_at_ms = NULL, resolved_by = NULL, "
            "resolution_note = NULL, acknowledged_at_ms = NULL, acknowledged_by = NULL "
            "WHERE alert_id = ?",
            (alert.alert_id,),
        )


def retract(
    tx: Transaction,
    alert_id: str,
    evidence: Iterable[EvidenceRef],
    now_ms: int,
    resolution: tuple[str, str] | None,
) -> None:
    """Mark the alert retracted by ``evidence``; with ``resolution`` (actor, note) it
    is also resolved."""
    tx.conn.execute(
        "UPDATE alerts SET retracted = 1, retracted_by = ?, updated_at_ms = ? WHERE alert_id = ?",
        (evidence_json(evidence), now_ms, alert_id),
    )
    if resolution is not None:
        set_resolved(tx, alert_id, resolution[0], now_ms, resolution[1])


def set_acknowledged(tx: Transaction, alert_id: str, actor: str, now_ms: int) -> None:
    tx.conn.execute(
        "UPDATE alerts SET status = 'acknowledged', acknowledged_at_ms = ?, "
        "acknowledged_by = ? WHERE alert_id = ?",
        (now_ms, actor, alert_id),
    )


def set_resolved(tx: Transaction, alert_id: str, actor: str, now_ms: int, note: str) -> None:
    tx.conn.execute(
        "UPDATE alerts SET status = 'resolved', resolved_at_ms = ?, resolved_by = ?, "
        "resolution_note = ? WHERE alert_id = ?",
        (now_ms, actor, note, alert_id),
    )


def record_change(
    tx: Transaction,
    alert_id: str,
    at_ms: int,
    actor: str,
    change: Change,
    detail: Mapping[str, Any],
    note: str | None = None,
) -> None:
    """Append one entry to the alert's history."""
    tx.conn.execute(
        "INSERT INTO alert_history (alert_id, at_ms, actor, change, detail, note) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (alert_id, at_ms, actor, change.value, json.dumps(dict(detail), sort_keys=True), note),
    )
