"""When time alone can next change a worker's alerts, so that the periodic tick
recomputes only the workers that are due. Pure.

Three rules read ``now`` (see ``hub.reconcile.rules.presence``), and only for a worker
in China: ``exit_due`` starts on the first day of the warning window and ends after
the permit's last day, ``overstay`` starts after that last day, ``not_seen_at_work``
starts ``not_seen_days`` after the last scan at the employer's park (or the stay's
start). A worker who is not in China has no alert that time can change. Watermarks
(provisional to confirmed) are the tick's other concern, handled apart.

Keep :func:`next_due_ms` in step with those rules: a new time-based rule needs its
instant here, or the tick will not look at the worker in time.
"""

from __future__ import annotations

from datetime import timedelta

from hub.reconcile import ReconcileContext, Timeline
from protocol.days import DAY_MS, start_of_day_ms


def next_due_ms(timeline: Timeline, ctx: ReconcileContext) -> int | None:
    """The first instant after ``ctx.now_ms`` at which a time-based rule could raise
    or retract one of this worker's alerts; None when no rule could."""
    stay = timeline.current_stay
    if stay is None:
        return None
    record, settings = stay.permit, ctx.settings
    warn_from = record.end_date - timedelta(days=settings.exit_due_days)
    moments = [start_of_day_ms(warn_from), record.end_ms + 1]
    if record.park_zone is not None:
        seen = timeline.last_seen_in(stay, record.park_zone) or stay.start
        moments.append(seen.at_ms + settings.not_seen_days * DAY_MS + 1)
    return min((m for m in moments if m > ctx.now_ms), default=None)
