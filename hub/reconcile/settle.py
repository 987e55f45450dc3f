"""Settled pasts: recompute a worker from a cut instead of from their first scan.

Recomputing a worker over their whole history after every batch costs time (and
store reads) in proportion to that history. Most of it cannot change any more: once
every edge has synced past an instant (``ReconcileContext.settled_ms``), no scan can
arrive before it. :func:`settle` finds the latest *cut* that separates such a past
from the rest cleanly:

* the cut is the start of a Shanghai day, at or before ``settled_ms``, so alerts
  grouped by day (inland attempt, out of area, impossible travel, reuse, revoked use)
  never straddle it;
* the worker's last scan before it is at least the longest trip between two sites
  earlier, so no impossible-travel pair straddles it.

What the rest needs of the past is small, a :class:`~hub.reconcile.model.Settled`:
the last exit, the first exit of each single-exit permit, and, when the worker is in
China across the cut, the stay's start, first and latest entries, the permits shown
and when, its last scan at each park and its last scan
(:class:`~hub.reconcile.model.CarriedStay`). Then every alert of the worker's full
computation that :meth:`Settled.covers` (at or after the cut, or about the current
stay) is an alert of ``reconcile_worker(..., settled=cut)`` over the scans from the cut
on, and every other alert is final: the hub keeps those as stored and diffs the
covered ones. ``tests/hub/test_reconcile_engine.py`` checks this against the full
computation after every batch of random deliveries.

When the worker's permits or the revocations touching them change, the past can
change too: recompute from the first scan then, and settle again. A new edge must
start with a watermark at its enrolment, not at zero, or nothing settles until it
syncs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping

from protocol.days import DAY_MS, SHANGHAI_OFFSET_MS

from .context import ReconcileContext
from .model import CarriedStay, Observation, PermitRecord, Settled
from .timeline import Stay, Timeline


def _day_start(instant_ms: int) -> int:
    return (instant_ms + SHANGHAI_OFFSET_MS) // DAY_MS * DAY_MS - SHANGHAI_OFFSET_MS


def settle(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> Settled | None:
    """The latest cut in ``timeline`` (computed from the worker's first scan or from
    ``timeline.settled``) that the context's watermarks settle, with what its past
    leaves; None when no cut is later than the timeline's own start."""
    times, window = timeline.times, ctx.geography.max_travel_ms
    cut = _day_start(ctx.settled_ms)
    while True:
        count = bisect_left(times, cut)  # the scans before the cut
        if count == 0:
            return None
        if times[count - 1] <= cut - window:
            break
        cut = _day_start(times[count - 1])
    stay = next((s for s in reversed(timeline.stays) if s.first < count), None)
    used_up = _used_up(timeline, permits, count)
    if stay is not None and (stay.exit is None or stay.end > count):
        return Settled(cut, stay.previous_exit, used_up, _carried(timeline, stay, count, cut))
    previous = stay.exit if stay is not None else None
    if previous is None and timeline.settled is not None:
        previous = timeline.settled.previous_exit
    return Settled(cut, previous, used_up)


def _carried(timeline: Timeline, stay: Stay, count: int, cut: int) -> CarriedStay:
    """The part of ``stay`` before the cut (its scans ``genuine[stay.first:count]``)."""
    before = stay.before
    scans = timeline.genuine[stay.first : count]
    extras = [e for e in stay.extra_entries if e.at_ms < cut]
    entry = stay.entry if stay.entry is not None and stay.entry.at_ms < cut else None
    last_entry = before.last_entry if before is not None and before.entry is not None else entry
    shown = dict(before.shown if before else ())
    shown.update((obs.permit_id or "", obs.at_ms) for obs in scans)
    if scans:
        last = scans[-1]
    else:
        assert before is not None  # a stay with no scan since the last cut began before it
        last = before.last
    return CarriedStay(
        start=stay.start,
        entry=entry,
        last_entry=extras[-1] if extras else last_entry,
        shown=tuple(sorted(shown.items())),
        seen=_seen(timeline, before.seen if before else (), scans),
        last=last,
    )


def _seen(
    timeline: Timeline, earlier: tuple[Observation, ...], scans: tuple[Observation, ...]
) -> tuple[Observation, ...]:
    """The last scan at each park zone, of ``earlier`` and then ``scans``."""
    sites = timeline.geography.sites
    last = {sites[obs.site].zone: obs for obs in earlier}
    last.update((sites[obs.site].zone, obs) for obs in scans if sites[obs.site].is_park)
    return tuple(last[zone] for zone in sorted(last))


def _used_up(
    timeline: Timeline, permits: Mapping[str, PermitRecord], count: int
) -> tuple[Observation, ...]:
    """The first exit of each single-exit permit among the first ``count`` scans."""
    first = {o.permit_id or "": o for o in (timeline.settled.used_up if timeline.settled else ())}
    for stay in timeline.stays:
        exit_ = stay.exit
        if exit_ is None or stay.end > count:
            break
        if permits[exit_.permit_id or ""].single_exit:
            first.setdefault(exit_.permit_id or "", exit_)
    return tuple(first[permit_id] for permit_id in sorted(first))
