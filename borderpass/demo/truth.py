"""Ground truth: which alerts the hub must hold at the end of a run, and which it must
have raised and then retracted, computed from the plan alone.

The model is the one DESIGN.md section 5 states, applied to planned scans with their
planned verdicts, by a deliberately plain walk through each worker's day (not the
hub's engine): a border ``in`` that is allowed opens a stay in China, a border ``out``
closes it, any scan at a park or checkpoint shows the worker inside. Alerts are
compared as (kind, subject) pairs, the subject being the worker, or the site of an
edge. Planned times stand in for logged ones; the plan keeps every instant that
matters (trips, deadlines, days) hours away from its threshold.

Three sets come out: ``final`` (what the hub must hold, not retracted, at ``now``),
``retracted`` (what it must have raised while the offline gate's log was missing, and
retracted since: the state an hour and a half before the gate syncs again, less the
final state, and the gate's silence), ``late`` (final alerts only the late log can
raise, so raised after it arrived).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from protocol.days import DAY_MS, end_of_day_ms, shanghai_date
from protocol.sites import Site, SiteKind, SiteMap, permitted_area
from protocol.verdict import Direction, Outcome

from .population import WorkerSpec
from .schedule import HOUR_MS, MINUTE_MS, Plan, PlannedScan

INLAND = "inland"
PLANTED: Mapping[str, tuple[str, ...]] = {
    "overstayer": ("overstay",),
    "late_leaver": ("late_exit",),
    "reentrant": ("reused_after_exit",),
    "revoked": ("revoked_but_used",),
    "wanderer": ("out_of_area",),
    "hengjiang": ("inland_attempt",),
    "maoling": ("inland_attempt",),
    "cloned": ("impossible_travel",),
}
"""The alerts each planted incident must leave standing."""
PLANTED_RETRACTED: Mapping[str, tuple[str, ...]] = {
    "switch_out": ("double_entry",),
    "switch_in": ("missing_entry",),
    "edge_offline": ("edge_silent",),
}
"""The alerts each planted incident must raise, and the late log then retract."""
BEFORE_RESYNC_MS = 90 * MINUTE_MS


class Expected(NamedTuple):
    kind: str
    subject: str


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The hub's rule settings the truth assumes (the hub's defaults)."""

    exit_due_days: int = 7
    not_seen_days: int = 3
    edge_silent_hours: int = 6


@dataclass(frozen=True, slots=True)
class PermitFacts:
    end_date: date
    end_ms: int
    area: frozenset[str]
    single_exit: bool
    park_zone: str
    revoked_ms: int | None


@dataclass(frozen=True, slots=True)
class Truth:
    final: frozenset[Expected]
    planted: frozenset[Expected]
    """The final alerts the incidents were planted for (the rest are incidental)."""
    retracted: frozenset[Expected]
    planted_retracted: frozenset[Expected]
    late: frozenset[Expected]
    offline_scans: int
    """Scans the offline gate logged while it could not reach the hub."""


def permit_facts(worker: WorkerSpec, border_city: str, revoked_ms: int | None) -> PermitFacts:
    """The permit the hub issues for the worker: the park's zone and the border city."""
    return PermitFacts(
        end_date=worker.valid_until,
        end_ms=end_of_day_ms(worker.valid_until),
        area=permitted_area((border_city, worker.park.zone)),
        single_exit=worker.single_exit,
        park_zone=worker.park.zone,
        revoked_ms=revoked_ms,
    )


def zones_shown(site: Site, scan: PlannedScan) -> tuple[str, ...]:
    """Where a scan shows the worker was (DESIGN.md section 3): the site's zone; at a
    border gate only once let in; coming out of a checkpoint, also the zone beyond."""
    if site.kind is SiteKind.BORDER_GATE:
        let_in = scan.direction is Direction.IN and scan.expect is Outcome.ALLOW
        return (site.zone,) if let_in else ()
    if site.kind is SiteKind.CHECKPOINT and scan.direction is Direction.OUT:
        return (site.zone, site.outer or INLAND)
    return (site.zone,)


def scan_kinds(site: Site, scan: PlannedScan, facts: PermitFacts, exit_ms: int | None) -> set[str]:
    """The alerts one scan raises by itself: inland, out of area, used when revoked or
    after the single exit."""
    kinds = set()
    heading_inland = site.kind is SiteKind.CHECKPOINT and scan.direction is Direction.IN
    if heading_inland and (site.outer is None or site.outer not in facts.area):
        kinds.add("inland_attempt")
    if any(zone not in facts.area for zone in zones_shown(site, scan)):
        kinds.add("out_of_area")
    if scan.expect is Outcome.ALLOW and scan.direction is not Direction.OUT:
        if facts.revoked_ms is not None and scan.at_ms > facts.revoked_ms:
            kinds.add("revoked_but_used")
        if facts.single_exit and exit_ms is not None and scan.at_ms > exit_ms:
            kinds.add("reused_after_exit")
    return kinds


@dataclass
class Presence:
    """The walk's state: in China or not, since when, entries, the last park scan."""

    in_china: bool = False
    start_ms: int = 0
    entries: int = 0
    seen_ms: int | None = None
    first_exit_ms: int | None = None

    def open(self, at_ms: int, entries: int) -> None:
        self.in_china, self.start_ms, self.entries, self.seen_ms = True, at_ms, entries, None


def presence_kinds(site: Site, scan: PlannedScan, facts: PermitFacts, p: Presence) -> set[str]:
    """Move the walk by one scan; the stay alerts it raises."""
    kinds = set()
    if site.kind is SiteKind.BORDER_GATE and scan.direction is Direction.OUT:
        if not p.in_china:
            kinds.add("missing_entry")
        if scan.at_ms > facts.end_ms:
            kinds.add("late_exit")
        if p.first_exit_ms is None:
            p.first_exit_ms = scan.at_ms
        p.in_china = False
    elif site.kind is SiteKind.BORDER_GATE:
        if scan.direction is Direction.IN and scan.expect is Outcome.ALLOW:
            if not p.in_china:
                p.open(scan.at_ms, 1)
            else:
                p.entries += 1
                if p.entries > 1:
                    kinds.add("double_entry")
    else:
        if not p.in_china:
            p.open(scan.at_ms, 0)
            kinds.add("missing_entry")
        if site.is_park and site.zone == facts.park_zone:
            p.seen_ms = scan.at_ms
    return kinds


def stay_kinds(p: Presence, facts: PermitFacts, now_ms: int, th: Thresholds) -> set[str]:
    """The alerts about being in China at ``now_ms``."""
    if not p.in_china:
        return set()
    kinds = set()
    if now_ms > facts.end_ms:
        kinds.add("overstay")
    elif shanghai_date(now_ms) >= facts.end_date - timedelta(days=th.exit_due_days):
        kinds.add("exit_due")
    if now_ms > (p.seen_ms or p.start_ms) + th.not_seen_days * DAY_MS:
        kinds.add("not_seen_at_work")
    return kinds


def travel_kinds(scans: list[PlannedScan], sites: SiteMap) -> set[str]:
    """A cloned QR: two scans at different sites closer than the fastest trip."""
    for i, a in enumerate(scans):
        for b in scans[i + 1 :]:
            if b.at_ms - a.at_ms > 2 * HOUR_MS:
                break
            if (
                a.site != b.site
                and b.at_ms - a.at_ms < sites.min_travel_seconds(a.site, b.site) * 1000
            ):
                return {"impossible_travel"}
    return set()


def worker_kinds(
    scans: Iterable[PlannedScan], facts: PermitFacts, now_ms: int, sites: SiteMap,
    th: Thresholds,
) -> set[str]:  # fmt: skip
    """Every alert kind one worker's scans (with their planned verdicts) raise."""
    ordered = sorted(scans, key=lambda s: s.at_ms)
    presence, kinds = Presence(), set()
    for scan in ordered:
        site = sites.site(scan.site)
        kinds |= scan_kinds(
            site, scan, facts, presence.first_exit_ms if facts.single_exit else None
        )
        kinds |= presence_kinds(site, scan, facts, presence)
    return kinds | stay_kinds(presence, facts, now_ms, th) | travel_kinds(ordered, sites)


def alerts_at(
    plan: Plan, scans: Iterable[PlannedScan], now_ms: int, sites: SiteMap, th: Thresholds
) -> set[Expected]:
    """The worker alerts these scans (a part of the plan's, or all) imply at ``now_ms``,
    the revocations planned before it applied."""
    by_worker: dict[str, list[PlannedScan]] = {}
    for scan in scans:
        by_worker.setdefault(scan.worker_id, []).append(scan)
    revoked, city = plan.revoked_at(), sites.site("dongxing-port").zone
    found = set()
    for worker in plan.population.workers:
        revoked_ms = revoked.get(worker.worker_id)
        facts = permit_facts(worker, city, revoked_ms if revoked_ms is not None and
                             revoked_ms < now_ms else None)  # fmt: skip
        for kind in worker_kinds(by_worker.get(worker.worker_id, ()), facts, now_ms, sites, th):
            found.add(Expected(kind, worker.worker_id))
    return found


def _planted(plan: Plan, table: Mapping[str, tuple[str, ...]]) -> frozenset[Expected]:
    return frozenset(
        Expected(kind, incident.subject)
        for incident in plan.incidents
        for kind in table.get(incident.name, ())
    )


def ground_truth(plan: Plan, sites: SiteMap, now_ms: int, th: Thresholds = Thresholds()) -> Truth:
    """The truth of a run evaluated at ``now_ms`` (after every edge synced)."""
    window = plan.offline
    offline = [s for s in plan.scans
               if s.site == window.site and window.from_ms <= s.at_ms < window.to_ms]  # fmt: skip
    hidden = {id(s) for s in offline}
    final = alerts_at(plan, plan.scans, now_ms, sites, th)
    before = window.to_ms - BEFORE_RESYNC_MS
    known = [s for s in plan.scans if s.at_ms < before and id(s) not in hidden]
    retracted = alerts_at(plan, known, before, sites, th) - final
    if window.to_ms - window.from_ms > th.edge_silent_hours * HOUR_MS:
        retracted.add(Expected("edge_silent", window.site))
    without = alerts_at(plan, [s for s in plan.scans if id(s) not in hidden], now_ms, sites, th)
    return Truth(
        final=frozenset(final),
        planted=_planted(plan, PLANTED),
        retracted=frozenset(retracted),
        planted_retracted=_planted(plan, PLANTED_RETRACTED),
        late=frozenset(final - without),
        offline_scans=len(offline),
    )
