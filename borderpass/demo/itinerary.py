"""One actor's day, scan by scan: the building blocks of the plan's itineraries.

Each scan is planned after the previous one by at least the fastest trip between the
two sites plus :data:`~borderpass.demo.schedule.TRAVEL_MARGIN_MS` (five minutes at
the same site), and the traffic driver keeps that gap when it runs late.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from protocol.sites import SiteMap
from protocol.verdict import Direction, Outcome

from .population import GATES, WorkerSpec
from .schedule import ALLOW, CHECK, IN, MINUTE_MS, OUT, TRAVEL_MARGIN_MS, PlannedScan, wall

SAME_SITE_GAP_MS = 5 * MINUTE_MS
CHECKPOINT = "hengjiang"
SWITCH_CHANCE = 0.08
"""How often an ordinary commuter crosses at the other gate."""


@dataclass
class Itinerary:
    """One actor's scans, each planned after the last by at least the trip between
    the two sites plus the margin."""

    actor: str
    worker_id: str
    sites: SiteMap
    rng: random.Random
    scans: list[PlannedScan] = field(default_factory=list)

    def gap_ms(self, a: str, b: str) -> int:
        if a == b:
            return SAME_SITE_GAP_MS
        return self.sites.min_travel_seconds(a, b) * 1000 + TRAVEL_MARGIN_MS

    def visit(
        self,
        site: str,
        direction: Direction,
        at_ms: int,
        expect: Outcome = ALLOW,
        *,
        key: str | None = None,
        after: str | None = None,
        after_gap_ms: int = 0,
        note: str = "",
    ) -> PlannedScan:
        """A scan at ``at_ms``, or as soon after the previous one as the trip allows."""
        gap = self.gap_ms(self.scans[-1].site, site) if self.scans else 0
        if self.scans:
            at_ms = max(at_ms, self.scans[-1].at_ms + gap)
        scan = PlannedScan(self.actor, self.worker_id, site, direction, at_ms, expect,
                           gap, key, after, after_gap_ms, note)  # fmt: skip
        self.scans.append(scan)
        return scan

    def next(
        self,
        site: str,
        direction: Direction,
        expect: Outcome = ALLOW,
        *,
        key: str | None = None,
        note: str = "",
    ) -> PlannedScan:
        """A scan a little after the trip from the previous site (10 to 40 minutes)."""
        at_ms = self.scans[-1].at_ms + self.wait(10, 40)
        return self.visit(site, direction, at_ms, expect, key=key, note=note)

    def wait(self, low_min: int, high_min: int) -> int:
        return self.rng.randint(low_min, high_min) * MINUTE_MS


def arrive(
    it: Itinerary, w: WorkerSpec, day: int, gate: str, key: str | None = None
) -> PlannedScan:
    """In at the gate between 06:00 and 08:30, through Hengjiang for a park beyond it,
    into the park. Returns the park entry (named ``key``)."""
    it.visit(gate, IN, wall(day, 6) + it.wait(0, 150))
    if w.park.beyond_hengjiang:
        it.next(CHECKPOINT, IN)
    return it.next(w.park.site_id, IN, key=key)


def leave_park(it: Itinerary, w: WorkerSpec, day: int) -> None:
    it.visit(w.park.site_id, OUT, wall(day, 16, 30) + it.wait(0, 120))


def go_home(it: Itinerary, w: WorkerSpec, gate: str) -> None:
    """Back through Hengjiang for a park beyond it, out of China at the gate."""
    if w.park.beyond_hengjiang:
        it.next(CHECKPOINT, OUT)
    it.next(gate, OUT)


def work_day(it: Itinerary, w: WorkerSpec, day: int) -> None:
    """A stayer's day: into the park in the morning, the roll call, out in the evening."""
    park = w.park.site_id
    if day == 1:
        arrive(it, w, day, w.home_gate)
    else:
        it.visit(park, IN, wall(day, 7) + it.wait(0, 90))
    it.visit(park, CHECK, wall(day, 10) + it.wait(0, 60), note="roll call")
    leave_park(it, w, day)


def commute(it: Itinerary, w: WorkerSpec, day: int, gates: tuple[str, str]) -> None:
    arrive(it, w, day, gates[0])
    leave_park(it, w, day)
    go_home(it, w, gates[1])


def other_gate(gate: str) -> str:
    return GATES[1] if gate == GATES[0] else GATES[0]


def ordinary_gates(it: Itinerary, w: WorkerSpec) -> tuple[str, str]:
    """The home gate, or now and then the other one."""
    gates = [other_gate(w.home_gate) if it.rng.random() < SWITCH_CHANCE else w.home_gate
             for _ in range(2)]  # fmt: skip
    return gates[0], gates[1]
