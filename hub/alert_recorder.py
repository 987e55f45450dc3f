"""Write what a reconciliation computed into the alerts store, inside one writer
transaction: the diff against the standing alerts applied with the lifecycle rules of
:mod:`hub.alert_lifecycle`, each change in the alert's history, urgent alerts queued
for the webhook, the workers' watch rows saved.

The diff is taken here, in the writer, against the rows as they are at that moment, so
a person's acknowledge or resolve committed meanwhile is never overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from borderpass.sqlite import Transaction
from hub.alert_lifecycle import (
    RECOMPUTED_NOTE,
    RECONCILER,
    RETRACTED_NOTE,
    Change,
    after_reraise,
    confirmation_change,
    resolves_on_retraction,
)
from hub.api.alert_shapes import alert_json
from hub.reconcile import (
    EDGE_KINDS,
    Alert,
    AlertDiff,
    Retraction,
    Settled,
    Severity,
    Timeline,
)
from hub.reconcile import diff_alerts as engine_diff
from hub.store import alert_queues as queues
from hub.store import alerts as store

EmployerOf = Callable[[Alert], str | None]
"""The employer an alert is filed under (None: an edge's alert)."""


@dataclass(frozen=True, slots=True)
class WorkerOutcome:
    """One worker's reconciliation: the timeline, the alerts, whose permit each
    permit id is (for the alerts' employer), and what time will do next."""

    worker_id: str
    timeline: Timeline
    alerts: tuple[Alert, ...]
    employers: Mapping[str, str]
    """Employer id per permit id of the worker's permits."""
    newest_employer: str | None
    """The employer of the worker's newest permit."""
    watch: queues.WorkerWatch
    scope: Settled | None = None
    """The settled cut this computation started from: only the standing alerts it
    covers are diffed (the others are final). None: every standing alert."""

    def employer_of(self, alert: Alert) -> str | None:
        if alert.permit_id is not None and alert.permit_id in self.employers:
            return self.employers[alert.permit_id]
        return self.newest_employer


@dataclass
class Tally:
    """What a run changed (for logs, tests and the benchmark)."""

    workers: int = 0
    raised: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    queued: int = 0
    """Webhook deliveries queued."""
    failed: list[str] = field(default_factory=list)
    """Workers whose computation failed (left for the next run)."""

    def add(self, other: Tally) -> None:
        self.workers += other.workers
        self.raised += other.raised
        self.updated += other.updated
        self.retracted += other.retracted
        self.reopened += other.reopened
        self.queued += other.queued
        self.failed += other.failed


@dataclass(frozen=True, slots=True)
class Recorder:
    """Applies diffs; ``webhook`` says whether urgent alerts are queued for it."""

    webhook: bool

    def record_workers(
        self, tx: Transaction, outcomes: Sequence[WorkerOutcome], now_ms: int
    ) -> Tally:
        ids = [o.worker_id for o in outcomes]
        standing: dict[str, list[Alert]] = {w: [] for w in ids}
        for record in store.standing_alerts_of_workers(tx.conn, ids):
            standing[record.worker_id or ""].append(record.as_alert())
        tally = Tally(workers=len(outcomes))
        for o in outcomes:
            scope = o.scope
            before = [a for a in standing[o.worker_id] if scope is None or scope.covers(a)]
            diff = engine_diff(before, o.alerts, o.timeline)
            if not diff.empty:
                self._apply(tx, diff, o.employer_of, now_ms, tally)
        queues.save_watches(tx, [o.watch for o in outcomes])
        return tally

    def record_edges(self, tx: Transaction, computed: Iterable[Alert], now_ms: int) -> Tally:
        standing = [r.as_alert() for r in store.standing_edge_alerts(tx.conn, EDGE_KINDS)]
        tally = Tally()
        self._apply(tx, engine_diff(standing, computed), lambda _: None, now_ms, tally)
        return tally

    def _apply(
        self, tx: Transaction, diff: AlertDiff, employer_of: EmployerOf, now: int, tally: Tally
    ) -> None:
        for alert in diff.insert:
            self._insert(tx, alert, employer_of(alert), now, tally)
        for alert in diff.update:
            self._update(tx, alert, employer_of(alert), now, tally)
        for retraction in diff.retract:
            self._retract(tx, retraction, now, tally)

    def _insert(
        self, tx: Transaction, alert: Alert, employer: str | None, now: int, tally: Tally
    ) -> None:
        before = store.get_alert(tx.conn, alert.alert_id)
        detail: dict[str, object] = {"provisional": alert.provisional}
        if before is None:
            store.insert_alert(tx, alert, employer, now)
            detail["evidence"] = len(alert.evidence)
            store.record_change(tx, alert.alert_id, now, RECONCILER, Change.RAISED, detail)
            tally.raised.append(alert.alert_id)
        elif not before.retracted:  # standing under another scope: just refresh it
            self._update(tx, alert, employer, now, tally)
            return
        else:
            status = after_reraise(before.status, before.resolved_by)
            store.reraise(tx, alert, employer, status, now)
            detail["status"] = status.value
            store.record_change(tx, alert.alert_id, now, RECONCILER, Change.REOPENED, detail)
            tally.reopened.append(alert.alert_id)
        if self.webhook and alert.severity is Severity.URGENT:
            self._queue(tx, alert.alert_id, now, tally)

    def _update(
        self, tx: Transaction, alert: Alert, employer: str | None, now: int, tally: Tally
    ) -> None:
        before = store.get_alert(tx.conn, alert.alert_id)
        was_provisional = before.provisional if before is not None else alert.provisional
        store.update_computation(tx, alert, employer, now)
        change = confirmation_change(was_provisional, alert.provisional)
        detail = {"provisional": alert.provisional, "evidence": len(alert.evidence)}
        store.record_change(tx, alert.alert_id, now, RECONCILER, change, detail)
        tally.updated.append(alert.alert_id)

    def _retract(self, tx: Transaction, retraction: Retraction, now: int, tally: Tally) -> None:
        alert_id = retraction.alert.alert_id
        before = store.get_alert(tx.conn, alert_id)
        if before is None:
            return
        note = RETRACTED_NOTE if retraction.evidence else RECOMPUTED_NOTE
        resolution = (RECONCILER, note) if resolves_on_retraction(before.status) else None
        store.retract(tx, alert_id, retraction.evidence, now, resolution)
        detail = {
            "cause": retraction.cause.value,
            "evidence": [list(ref) for ref in retraction.evidence],
            "resolved": resolution is not None,
        }
        store.record_change(tx, alert_id, now, RECONCILER, Change.RETRACTED, detail, note)
        tally.retracted.append(alert_id)

    def _queue(self, tx: Transaction, alert_id: str, now: int, tally: Tally) -> None:
        record = store.get_alert(tx.conn, alert_id)
        if record is None:
            return
        payload = json.dumps({"event": "alert.raised", "alert": alert_json(record)})
        queues.enqueue_delivery(tx, alert_id, payload, now)
        tally.queued += 1
