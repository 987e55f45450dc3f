"""Rules on the edges themselves: silent, clock off, log damaged.

These read the watermarks and the ingest's integrity incidents, never a worker's
timeline. Scans that are not genuine (a card that failed verification) belong here
in spirit: they say something about a gate, nothing reliable about a worker (see
``hub.reconcile.rules``).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..context import ReconcileContext
from ..model import Alert, AlertKind, IntegrityIncident, make_alert

HOUR_MS = 3_600_000


def edge_silent(ctx: ReconcileContext) -> list[Alert]:
    """An edge not heard from for ``edge_silent_hours``. One alert per silence: the
    anchor is the last contact, so the edge heard again retracts it. Facts:
    ``last_heard_ms``."""
    limit = ctx.settings.edge_silent_hours * HOUR_MS
    return [
        make_alert(
            AlertKind.EDGE_SILENT,
            (mark.edge_id, mark.last_heard_ms),
            at_ms=mark.last_heard_ms + limit,
            evidence=(),
            facts={"last_heard_ms": mark.last_heard_ms},
            site=mark.site,
            edge_id=mark.edge_id,
        )
        for mark in ctx.watermarks.values()
        if ctx.now_ms - mark.last_heard_ms > limit
    ]


def clock_skew(ctx: ReconcileContext) -> list[Alert]:
    """An edge whose clock was off by more than ``clock_skew_ms`` at its last sync.
    Facts: ``offset_ms``, ``threshold_ms``; ``at_ms`` is that sync."""
    threshold = ctx.settings.clock_skew_ms
    return [
        make_alert(
            AlertKind.CLOCK_SKEW,
            (mark.edge_id,),
            at_ms=mark.last_heard_ms,
            evidence=(),
            facts={"offset_ms": mark.clock_offset_ms, "threshold_ms": threshold},
            site=mark.site,
            edge_id=mark.edge_id,
        )
        for mark in ctx.watermarks.values()
        if mark.clock_offset_ms is not None and abs(mark.clock_offset_ms) > threshold
    ]


def log_integrity(incidents: Iterable[IntegrityIncident], ctx: ReconcileContext) -> list[Alert]:
    """One alert per integrity incident (a gap, a broken chain, a bad signature, a
    forked log). Facts: ``incident`` (its kind), ``detail``."""
    alerts = []
    for incident in incidents:
        mark = ctx.watermarks.get(incident.edge_id)
        alerts.append(
            make_alert(
                AlertKind.LOG_INTEGRITY,
                (incident.edge_id, incident.kind, incident.at_ms, incident.detail),
                at_ms=incident.at_ms,
                evidence=incident.evidence[: ctx.settings.max_evidence],
                facts={"incident": incident.kind.value, "detail": incident.detail},
                site=mark.site if mark else None,
                edge_id=incident.edge_id,
            )
        )
    return alerts
