"""The alert rules of DESIGN.md section 5, one small pure function per kind.

Worker rules read a :class:`~hub.reconcile.timeline.Timeline`, the worker's permits
and the run's :class:`~hub.reconcile.context.ReconcileContext`; edge rules read the
context's watermarks and the integrity incidents. :data:`WORKER_RULES` is the whole
table of worker rules; a kind not in it is not computed from a timeline.

Cards that fail verification (bad signature, unknown key, malformed text) raise no
worker alert: their permit and worker ids are only what the card claims, and anyone
with a printer could otherwise put an innocent worker on the urgent list by scanning
a forged card at Hengjiang. The edge already denied them; they stay in the timeline
as evidence (``Timeline.observations``) and for the edge-level view. The same holds
for a genuine card an edge could not verify because its trust list was stale: the hub
has only the QR's digest, not its text, and cannot verify it after the fact.
"""

from __future__ import annotations

from ..model import AlertKind
from .common import WorkerRule
from .edges import clock_skew, edge_silent, log_integrity
from .misuse import reused_after_exit, revoked_but_used
from .presence import double_entry, exit_due, late_exit, missing_entry, not_seen_at_work, overstay
from .scans import impossible_travel, inland_attempt, out_of_area

WORKER_RULES: dict[AlertKind, WorkerRule] = {
    AlertKind.INLAND_ATTEMPT: inland_attempt,
    AlertKind.OUT_OF_AREA: out_of_area,
    AlertKind.OVERSTAY: overstay,
    AlertKind.LATE_EXIT: late_exit,
    AlertKind.EXIT_DUE: exit_due,
    AlertKind.MISSING_ENTRY: missing_entry,
    AlertKind.DOUBLE_ENTRY: double_entry,
    AlertKind.REUSED_AFTER_EXIT: reused_after_exit,
    AlertKind.REVOKED_BUT_USED: revoked_but_used,
    AlertKind.IMPOSSIBLE_TRAVEL: impossible_travel,
    AlertKind.NOT_SEEN_AT_WORK: not_seen_at_work,
}

__all__ = [
    "WORKER_RULES",
    "WorkerRule",
    "clock_skew",
    "double_entry",
    "edge_silent",
    "exit_due",
    "impossible_travel",
    "inland_attempt",
    "late_exit",
    "log_integrity",
    "missing_entry",
    "not_seen_at_work",
    "out_of_area",
    "overstay",
    "reused_after_exit",
    "revoked_but_used",
]
