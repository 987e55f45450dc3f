"""Settled pasts: recompute a worker from a cut instead of from their first scan.

Recomputing a worker over their whole history after every batch costs time in
proportion to that history. Most of it cannot change any more: once every edge has
synced past an instant (``ReconcileContext.settled_ms``), no scan can arrive before
it. :func:`settle` finds, in a computed timeline, the latest *cut* that separates a
settled past from the rest so cleanly that the alerts of the past can never change
and the alerts after it need only a few facts about the past (a :class:`Settled`):

* the cut is the start of a Shanghai day, at or before ``settled_ms``;
* the worker is out of China across it (their last stay before it ended with an exit),
  so no stay straddles it;
* their last scan before it is at least the longest trip between two sites earlier,
  so no impossible-travel pair straddles it; and alerts grouped by day (inland
  attempt, out of area, impossible travel, reuse, revoked use) do not either.

Then every alert of the worker's full computation with ``at_ms`` before the cut is an
alert of the past, final; every alert at or after it is an alert of
``reconcile_worker(..., settled=...)`` over the scans from the cut on. The hub keeps the
stored alerts before the cut and diffs the rest (:meth:`Settled.covers`). When the
worker's permits or the revocations touching them change, the past can change too:
recompute from the first scan then, and settle again.

A worker in China across every day boundary (living in China on a single-exit permit)
has no cut: they are recomputed over their history, which is one stay of at most 180
days.
"""

from __future__ import annotations

from collections.abc import Mapping

from protocol.days import DAY_MS, SHANGHAI_OFFSET_MS

from .context import ReconcileContext
from .model import Observation, PermitRecord, Settled
from .timeline import Timeline


def _day_start(instant_ms: int) -> int:
    return (instant_ms + SHANGHAI_OFFSET_MS) // DAY_MS * DAY_MS - SHANGHAI_OFFSET_MS


def settle(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> Settled | None:
    """The latest cut in ``timeline`` (computed from the worker's first scan or from
    ``timeline.settled``) that the context's watermarks settle; None when there is
    none later than the timeline's own start."""
    window = ctx.geography.max_travel_ms
    times = timeline.times
    for stay in reversed(timeline.stays):
        exit_ = stay.exit
        if exit_ is None:
            continue
        following = times[stay.end] if stay.end < len(times) else ctx.settled_ms
        cut = _day_start(min(following, ctx.settled_ms))
        if cut >= exit_.at_ms + window:
            return Settled(cut, exit_, _used_up(timeline, permits, stay.end))
    return None


def _used_up(
    timeline: Timeline, permits: Mapping[str, PermitRecord], end: int
) -> tuple[Observation, ...]:
    """The first exit of each single-exit permit up to ``genuine[end - 1]``."""
    first = {o.permit_id or "": o for o in (timeline.settled.used_up if timeline.settled else ())}
    for stay in timeline.stays:
        if stay.end > end:
            break
        exit_ = stay.exit
        if exit_ is not None and permits[exit_.permit_id or ""].single_exit:
            first.setdefault(exit_.permit_id or "", exit_)
    return tuple(first[permit_id] for permit_id in sorted(first))
