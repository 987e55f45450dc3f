"""What changed between the alerts the store holds and the alerts just computed.

:func:`diff_alerts` says what to insert (a new id), update (same id, anything else
different: provisional to confirmed, more evidence, a new fact) and retract (an id no
longer computed). A retraction names the scans that retracted it when a late scan in
the timeline contradicts the alert (the exit that ends an overstay, the entry that
settles a missing entry); otherwise its cause is a recomputation: time passed, or the
permits, revocations, watermarks or incidents changed.

``stored`` is what the engine produced last time for the same scope (one worker, or
the edges), whatever people did with those alerts since: the store keeps the
lifecycle, and reopens an alert whose id is inserted again after a retraction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .model import Alert, AlertKind, EvidenceRef, Observation
from .timeline import Timeline


class RetractionCause(StrEnum):
    LATE_EVIDENCE = "late_evidence"
    RECOMPUTED = "recomputed"


@dataclass(frozen=True, slots=True)
class Retraction:
    alert: Alert
    """The alert as stored."""
    cause: RetractionCause
    evidence: tuple[EvidenceRef, ...]
    """The scans that retracted it (empty unless ``cause`` is ``late_evidence``)."""


@dataclass(frozen=True, slots=True)
class AlertDiff:
    insert: tuple[Alert, ...]
    update: tuple[Alert, ...]
    """The new versions of alerts whose id is stored."""
    retract: tuple[Retraction, ...]

    @property
    def empty(self) -> bool:
        return not (self.insert or self.update or self.retract)


def diff_alerts(
    stored: Iterable[Alert], computed: Iterable[Alert], timeline: Timeline | None = None
) -> AlertDiff:
    """Compare by ``alert_id``; every part is sorted by id. Give the worker's
    ``timeline`` to have retractions name the scans that caused them."""
    before = {a.alert_id: a for a in stored}
    after = {a.alert_id: a for a in computed}
    insert = [after[i] for i in sorted(after.keys() - before.keys())]
    update = [after[i] for i in sorted(after.keys() & before.keys()) if after[i] != before[i]]
    retract = []
    for gone in sorted(before.keys() - after.keys()):
        alert = before[gone]
        refs = retraction_evidence(alert, timeline) if timeline is not None else ()
        cause = RetractionCause.LATE_EVIDENCE if refs else RetractionCause.RECOMPUTED
        retract.append(Retraction(alert, cause, refs))
    return AlertDiff(tuple(insert), tuple(update), tuple(retract))


def _fact_ms(alert: Alert, key: str) -> int | None:
    value = alert.facts.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def retraction_evidence(alert: Alert, timeline: Timeline) -> tuple[EvidenceRef, ...]:
    """The scan in ``timeline`` that contradicts ``alert``, if any: for an overstay or
    an exit due, the first exit since the stay began; for a missing entry, the entry
    found before its first scan; for a double entry, the exit found between the two
    entries; for not seen at work, the first scan at the park since last seen."""
    since = _fact_ms(alert, "since_ms")
    found: Observation | None = None
    if alert.kind in (AlertKind.OVERSTAY, AlertKind.EXIT_DUE) and since is not None:
        found = next((o for o in timeline.exits() if o.at_ms >= since), None)
    elif alert.kind is AlertKind.MISSING_ENTRY and since is not None:
        after = _fact_ms(alert, "previous_exit_ms")
        low = -1 if after is None else after
        found = next((o for o in timeline.entries() if low < o.at_ms <= since), None)
    elif alert.kind is AlertKind.DOUBLE_ENTRY:
        first = _fact_ms(alert, "previous_entry_ms")
        if first is not None:
            found = next((o for o in timeline.exits() if first < o.at_ms < alert.at_ms), None)
    elif alert.kind is AlertKind.NOT_SEEN_AT_WORK:
        found = _seen_at_park(alert, timeline)
    return () if found is None else (found.ref,)


def _seen_at_park(alert: Alert, timeline: Timeline) -> Observation | None:
    zone = alert.facts.get("park_zone")
    last = _fact_ms(alert, "last_seen_ms")
    since = _fact_ms(alert, "since_ms") if last is None else last
    if since is None:
        return None
    gates = timeline.geography.park_gates.get(str(zone), frozenset())
    return next((o for o in timeline.genuine if o.site in gates and o.at_ms > since), None)
