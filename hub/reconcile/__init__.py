"""The hub's reconciliation engine, pure: every edge's scans, the registry's permits,
the revocations, the edges' watermarks and ``now`` in; one timeline per worker and
the alerts of DESIGN.md section 5 out. No I/O, no clock reads.

Modules: ``model`` (the values), ``context`` (what a run shares, indexed once),
``timeline`` (a worker's scans in order and their stays in China), ``rules`` (one
function per alert kind), ``engine`` (a worker's or the edges' alerts), ``diff``
(what to insert, update and retract in the store), ``settle`` (recompute a worker
from a settled cut instead of their first scan).
"""

from .context import Geography, ReconcileContext
from .diff import AlertDiff, Retraction, RetractionCause, diff_alerts
from .engine import WorkerReconciliation, edge_alerts, reconcile_worker, worker_alerts
from .model import (
    EDGE_KINDS,
    SEVERITY,
    WORKER_KINDS,
    Alert,
    AlertKind,
    EdgeWatermark,
    EvidenceRef,
    IntegrityIncident,
    Observation,
    PermitRecord,
    ReconcileSettings,
    RevocationRecord,
    Settled,
    Severity,
)
from .settle import settle
from .timeline import Stay, Timeline, build_timeline

__all__ = [
    "EDGE_KINDS",
    "SEVERITY",
    "WORKER_KINDS",
    "Alert",
    "AlertDiff",
    "AlertKind",
    "EdgeWatermark",
    "EvidenceRef",
    "Geography",
    "IntegrityIncident",
    "Observation",
    "PermitRecord",
    "ReconcileContext",
    "ReconcileSettings",
    "Retraction",
    "RetractionCause",
    "RevocationRecord",
    "Settled",
    "Severity",
    "Stay",
    "Timeline",
    "WorkerReconciliation",
    "build_timeline",
    "diff_alerts",
    "edge_alerts",
    "reconcile_worker",
    "settle",
    "worker_alerts",
]
