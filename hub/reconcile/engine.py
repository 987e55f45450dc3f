"""Reconciliation: the evidence so far in, the alerts that are its right answer out.

Alerts are a function of (observations, permits, revocations, now, watermarks,
incidents): the same whatever the order, batching or duplication in which
observations arrived. The hub recomputes a worker whenever a batch brings scans of
theirs, and everyone on a periodic tick for the time-based kinds, then stores
:func:`~hub.reconcile.diff.diff_alerts` of what it held and what it computed::

    geography = Geography.of(site_map)                 # once per site map
    ctx = ReconcileContext.build(geography, now_ms, watermarks, revocations, settings)
    result = reconcile_worker(worker_id, observations, permit_records, ctx)
    diff = diff_alerts(stored_alerts_of_worker, result.alerts, result.timeline)
    edge_diff = diff_alerts(stored_edge_alerts, edge_alerts(ctx, incidents))

The cheaper way for a worker with a long history (see ``hub.reconcile.settle``): keep
the worker's latest :class:`~hub.reconcile.model.Settled` cut, load only the scans
from it on, and diff only the stored alerts it covers::

    result = reconcile_worker(worker_id, scans_since_cut, permit_records, ctx, cut)
    diff = diff_alerts([a for a in stored if cut.covers(a)], result.alerts, result.timeline)
    cut = settle(result.timeline, permits_by_id, ctx) or cut   # keep it for next time
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .context import ReconcileContext
from .model import Alert, IntegrityIncident, Observation, PermitRecord, Settled
from .rules import WORKER_RULES, clock_skew, edge_silent, log_integrity
from .timeline import Timeline, build_timeline


@dataclass(frozen=True, slots=True)
class WorkerReconciliation:
    timeline: Timeline
    alerts: tuple[Alert, ...]
    """Sorted by instant, then id."""


def _unique_in_order(alerts: Iterable[Alert]) -> tuple[Alert, ...]:
    unique: dict[str, Alert] = {}
    for alert in alerts:
        unique.setdefault(alert.alert_id, alert)
    return tuple(sorted(unique.values(), key=lambda a: (a.at_ms, a.alert_id)))


def reconcile_worker(
    worker_id: str,
    observations: Iterable[Observation],
    permits: Iterable[PermitRecord],
    ctx: ReconcileContext,
    settled: Settled | None = None,
) -> WorkerReconciliation:
    """The worker's timeline and alerts. ``observations``: every scan of the worker's
    permits known so far (any order, duplicates allowed), or with ``settled`` at least
    every scan from its cut on; ``permits``: all the worker's permits. With
    ``settled`` (see ``hub.reconcile.settle``), only the alerts from the cut on.
    Raises ``ValueError`` for a permit of another worker."""
    book = {}
    for record in permits:
        if record.worker_id != worker_id:
            raise ValueError(f"permit {record.permit_id} is not worker {worker_id}'s")
        book[record.permit_id] = record
    timeline = build_timeline(worker_id, observations, book, ctx.geography, settled)
    if not timeline.genuine and not timeline.stays:
        return WorkerReconciliation(timeline, ())
    alerts = [alert for rule in WORKER_RULES.values() for alert in rule(timeline, book, ctx)]
    return WorkerReconciliation(timeline, _unique_in_order(alerts))


def worker_alerts(
    worker_id: str,
    observations: Iterable[Observation],
    permits: Iterable[PermitRecord],
    ctx: ReconcileContext,
    settled: Settled | None = None,
) -> tuple[Alert, ...]:
    """The worker's alerts (see :func:`reconcile_worker`)."""
    return reconcile_worker(worker_id, observations, permits, ctx, settled).alerts


def edge_alerts(
    ctx: ReconcileContext, incidents: Iterable[IntegrityIncident] = ()
) -> tuple[Alert, ...]:
    """The alerts about edges: silent ones and skewed clocks from the context's
    watermarks, and one per integrity incident."""
    return _unique_in_order([*edge_silent(ctx), *clock_skew(ctx), *log_integrity(incidents, ctx)])
