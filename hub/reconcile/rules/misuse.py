"""Rules on a permit let through when it should not have been: used again after its
single exit, or used after its revocation (an edge that had not heard yet).

Only allowed ``in`` and ``check`` scans count: an ``out`` is never refused, so being
let out says nothing about what the edge knew; and refused scans did what they
should. The misuses of one permit on one Shanghai day make one alert, like the other
scan rules, so a day's alert keeps its id as late scans of that day add to it.
"""

from __future__ import annotations

from collections.abc import Mapping

from protocol.verdict import Direction, Outcome

from ..context import ReconcileContext
from ..model import Alert, AlertKind, Fact, Observation, PermitRecord, make_alert
from ..timeline import Timeline
from .common import evidence, shanghai_day


def _let_in(obs: Observation) -> bool:
    return obs.verdict == Outcome.ALLOW and obs.direction != Direction.OUT


def _by_day(uses: list[Observation]) -> dict[int, list[Observation]]:
    days: dict[int, list[Observation]] = {}
    for obs in uses:
        days.setdefault(shanghai_day(obs.at_ms), []).append(obs)
    return days


def _first_exits(
    timeline: Timeline, permits: Mapping[str, PermitRecord]
) -> dict[str, tuple[Observation, int]]:
    """Per single-exit permit that left, its first exit and the index from which its
    scans are uses (0 when it left in the settled past)."""
    found = {
        o.permit_id or "": (o, 0) for o in (timeline.settled.used_up if timeline.settled else ())
    }
    for stay in timeline.stays:
        exit_ = stay.exit
        if exit_ is not None and permits[exit_.permit_id or ""].single_exit:
            found.setdefault(exit_.permit_id or "", (exit_, stay.end))
    return found


def reused_after_exit(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """An allowed scan of a single-exit permit after its first exit from China.
    Evidence: the exit, then the day's uses. Facts: ``exit_ms``, ``uses``."""
    alerts = []
    genuine = timeline.genuine
    for permit_id, (exit_, after) in _first_exits(timeline, permits).items():
        indices = timeline.by_permit.get(permit_id, ())
        uses = [genuine[i] for i in indices if i >= after and _let_in(genuine[i])]
        for day, scans in _by_day(uses).items():
            alerts.append(
                make_alert(
                    AlertKind.REUSED_AFTER_EXIT,
                    (timeline.worker_id, permit_id, day),
                    at_ms=scans[0].at_ms,
                    evidence=evidence([exit_, *scans], ctx.settings.max_evidence),
                    facts={"exit_ms": exit_.at_ms, "uses": len(scans)},
                    permit_id=permit_id,
                    worker_id=timeline.worker_id,
                    site=scans[0].site,
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
        for day, scans in _by_day([obs for obs in uses if _let_in(obs)]).items():
            facts: dict[str, Fact] = {
                "revocation": revocation.kind.value,
                "revoked_subject": revocation.subject,
                "revoked_ms": revoked_ms,
                "uses": len(scans),
            }
            alerts.append(
                make_alert(
                    AlertKind.REVOKED_BUT_USED,
                    (timeline.worker_id, permit_id, revocation.kind, revocation.subject, day),
                    at_ms=scans[0].at_ms,
                    evidence=evidence(scans, ctx.settings.max_evidence),
                    facts=facts,
                    permit_id=permit_id,
                    worker_id=timeline.worker_id,
                    site=scans[0].site,
                )
            )
    return alerts
