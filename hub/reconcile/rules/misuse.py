"""Rules on a permit let through when it should not have been: used again after its
single exit, or used after its revocation (an edge that had not heard yet).

Only allowed ``in`` and ``check`` scans count: an ``out`` is never refused, so being
let out says nothing about what the edge knew; and refused scans did what they
should. Each permit makes at most one alert of each kind, with every misuse as
evidence, so the alert keeps its id as late scans add to it.
"""

from __future__ import annotations

from collections.abc import Mapping

from protocol.verdict import Direction, Outcome

from ..context import ReconcileContext
from ..model import Alert, AlertKind, Observation, PermitRecord, make_alert
from ..timeline import Timeline
from .common import evidence


def _let_in(obs: Observation) -> bool:
    return obs.verdict == Outcome.ALLOW and obs.direction != Direction.OUT


def reused_after_exit(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """An allowed scan of a single-exit permit after its first exit from China.
    Evidence: the exit, then the uses. Facts: ``exit_ms``, ``uses``."""
    first_exit: dict[str, int] = {}
    for stay in timeline.stays:
        if stay.exit is not None and permits[stay.exit.permit_id or ""].single_exit:
            first_exit.setdefault(stay.exit.permit_id or "", stay.end - 1)
    alerts = []
    genuine = timeline.genuine
    for permit_id, exit_index in first_exit.items():
        uses = [
            genuine[i]
            for i in timeline.by_permit[permit_id]
            if i > exit_index and _let_in(genuine[i])
        ]
        if not uses:
            continue
        exit_ = genuine[exit_index]
        alerts.append(
            make_alert(
                AlertKind.REUSED_AFTER_EXIT,
                (timeline.worker_id, permit_id),
                at_ms=uses[0].at_ms,
                evidence=evidence([exit_, *uses], ctx.settings.max_evidence),
                facts={"exit_ms": exit_.at_ms, "uses": len(uses)},
                permit_id=permit_id,
                worker_id=timeline.worker_id,
                site=uses[0].site,
            )
        )
    return alerts


def revoked_but_used(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """An allowed scan after the earliest revocation covering the permit (of the
    permit, its worker or its employer: ``Revocation.covers``). Facts:
    ``revocation`` (its kind), ``revoked_subject``, ``revoked_ms``, ``uses``."""
    alerts = []
    genuine = timeline.genuine
    for permit_id, indices in timeline.by_permit.items():
        revocation = ctx.revocation_of(permits[permit_id].permit)
        if revocation is None:
            continue
        revoked_ms = revocation.revoked_at * 1000
        uses = [genuine[i] for i in indices if genuine[i].at_ms > revoked_ms]
        uses = [obs for obs in uses if _let_in(obs)]
        if not uses:
            continue
        alerts.append(
            make_alert(
                AlertKind.REVOKED_BUT_USED,
                (timeline.worker_id, permit_id, revocation.kind, revocation.subject, revoked_ms),
                at_ms=uses[0].at_ms,
                evidence=evidence(uses, ctx.settings.max_evidence),
                facts={
                    "revocation": revocation.kind.value,
                    "revoked_subject": revocation.subject,
                    "revoked_ms": revoked_ms,
                    "uses": len(uses),
                },
                permit_id=permit_id,
                worker_id=timeline.worker_id,
                site=uses[0].site,
            )
        )
    return alerts
