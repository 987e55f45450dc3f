"""Rules on presence in China: stays, their entries and exits, and their deadlines.

A stay (see ``timeline``) ends on the last day of its governing permit; those rules
that rest on the *absence* of an event (an exit, an entry, a scan at work) are
provisional until every edge that could hold that event has synced past the instant
that matters, then confirmed. Late evidence retracts them: the exit that arrives ends
an overstay, the entry that arrives settles a missing entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from protocol.days import DAY_MS, shanghai_date, start_of_day_ms

from ..context import ReconcileContext
from ..model import Alert, AlertKind, PermitRecord, make_alert
from ..timeline import Timeline
from .common import evidence


def overstay(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """In China (an open stay) after the end of its permit's last day. Provisional
    until every border gate has synced past that deadline (one of them could hold the
    exit). ``at_ms``: the deadline, or the stay's start when it began after it.
    Evidence: the stay's first and last scans; ``site``: where last seen.
    Facts: ``end_date``, ``since_ms`` (the stay's first evidence), ``entered`` (the
    stay began with an entry)."""
    stay = timeline.current_stay
    if stay is None or ctx.now_ms <= stay.permit.end_ms:
        return []
    record, last = stay.permit, stay.last
    return [
        make_alert(
            AlertKind.OVERSTAY,
            (timeline.worker_id, record.permit_id, record.end_date.isoformat()),
            at_ms=max(record.end_ms + 1, stay.start.at_ms),
            provisional=ctx.border_horizon_ms <= record.end_ms,
            evidence=evidence([stay.start, last], 2),
            facts={
                "end_date": record.end_date.isoformat(),
                "since_ms": stay.start.at_ms,
                "entered": stay.entered,
            },
            permit_id=record.permit_id,
            worker_id=timeline.worker_id,
            site=last.site,
        )
    ]


def late_exit(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """An exit after the end of the stay's permit's last day. Facts: ``end_date``,
    ``days_late`` (Shanghai calendar days)."""
    alerts = []
    for stay in timeline.stays:
        exit_, record = stay.exit, stay.permit
        if exit_ is None or exit_.at_ms <= record.end_ms:
            continue
        days_late = (shanghai_date(exit_.at_ms) - record.end_date).days
        alerts.append(
            make_alert(
                AlertKind.LATE_EXIT,
                (timeline.worker_id, exit_.edge_id, exit_.seq),
                at_ms=exit_.at_ms,
                evidence=evidence([exit_], 1),
                facts={"end_date": record.end_date.isoformat(), "days_late": days_late},
                permit_id=exit_.permit_id,
                worker_id=timeline.worker_id,
                site=exit_.site,
            )
        )
    return alerts


def exit_due(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """In China and the permit's last day is today or within ``exit_due_days``: the
    employer must organise the exit. Not provisional: it speaks of what the employer
    must do next, not of a fact. Facts: ``end_date``, ``employer_id``, ``since_ms``."""
    stay = timeline.current_stay
    if stay is None:
        return []
    record, now = stay.permit, ctx.now_ms
    due_from = record.end_date - timedelta(days=ctx.settings.exit_due_days)
    if now > record.end_ms or shanghai_date(now) < due_from:
        return []
    return [
        make_alert(
            AlertKind.EXIT_DUE,
            (timeline.worker_id, record.permit_id, record.end_date.isoformat()),
            at_ms=max(start_of_day_ms(due_from), stay.start.at_ms),
            evidence=evidence([stay.start], 1),
            facts={
                "end_date": record.end_date.isoformat(),
                "employer_id": record.employer_id,
                "since_ms": stay.start.at_ms,
            },
            permit_id=record.permit_id,
            worker_id=timeline.worker_id,
        )
    ]


def missing_entry(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """A stay whose first evidence is not an entry: a scan in China or an exit with no
    entry since the previous exit. One per stay, anchored on that previous exit, so
    late scans inside the stay do not move it. Provisional until every border gate
    has synced past the first scan. Facts: ``since_ms``, ``previous_exit_ms``."""
    alerts = []
    for stay in timeline.stays:
        if stay.entered or stay.before is not None:  # a settled stay's alert is final
            continue
        first, before = stay.start, stay.previous_exit
        alerts.append(
            make_alert(
                AlertKind.MISSING_ENTRY,
                (timeline.worker_id, *(before.ref if before else ("", 0))),
                at_ms=first.at_ms,
                provisional=ctx.border_horizon_ms <= first.at_ms,
                evidence=evidence([first], 1),
                facts={
                    "since_ms": first.at_ms,
                    "previous_exit_ms": before.at_ms if before else None,
                },
                permit_id=first.permit_id,
                worker_id=timeline.worker_id,
                site=first.site,
            )
        )
    return alerts


def double_entry(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """An entry while the worker's last border event is an entry. Provisional until
    every border gate has synced past the second entry (an exit between could be
    there). Evidence: the previous entry and this one. Facts: ``previous_entry_ms``."""
    alerts = []
    for stay in timeline.stays:
        previous = stay.latest_entry
        if previous is None:
            continue
        for entry in stay.extra_entries:
            alerts.append(
                make_alert(
                    AlertKind.DOUBLE_ENTRY,
                    (timeline.worker_id, entry.edge_id, entry.seq),
                    at_ms=entry.at_ms,
                    provisional=ctx.border_horizon_ms <= entry.at_ms,
                    evidence=evidence([previous, entry], 2),
                    facts={"previous_entry_ms": previous.at_ms},
                    permit_id=entry.permit_id,
                    worker_id=timeline.worker_id,
                    site=entry.site,
                )
            )
            previous = entry
    return alerts


def not_seen_at_work(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """In China, with no scan at the governing permit's employer's park for
    ``not_seen_days`` (counted from the last scan there in this stay, or from the
    stay's start). Provisional until every gate of that park has synced past the
    deadline. Facts: ``park_zone``, ``last_seen_ms`` (None: not this stay),
    ``since_ms``."""
    stay = timeline.current_stay
    if stay is None or stay.permit.park_zone is None:
        return []
    zone = stay.permit.park_zone
    seen = timeline.last_seen_in(stay, zone)
    reference = seen or stay.start
    deadline = reference.at_ms + ctx.settings.not_seen_days * DAY_MS
    if ctx.now_ms <= deadline:
        return []
    parks = ctx.geography.park_sites(zone)
    return [
        make_alert(
            AlertKind.NOT_SEEN_AT_WORK,
            (timeline.worker_id, zone, *reference.ref),
            at_ms=deadline + 1,
            provisional=ctx.park_horizon(zone) <= deadline,
            evidence=evidence([reference], 1),
            facts={
                "park_zone": zone,
                "last_seen_ms": seen.at_ms if seen else None,
                "since_ms": stay.start.at_ms,
            },
            permit_id=stay.permit.permit_id,
            worker_id=timeline.worker_id,
            site=parks[0] if parks else None,
        )
    ]
