"""The plan of a run, pure and seeded: every scan each worker makes, every action at
the hub or an edge, and the planted incidents (see :mod:`borderpass.demo.schedule`
for the values, :mod:`borderpass.demo.itinerary` for the days they are built from).

Each worker's part (:class:`~borderpass.demo.population.Profile`) has a script here.
A worker's random choices come from a generator seeded by the run's seed and their id,
so the same seed always gives the same plan.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from protocol.sites import SiteMap

from .itinerary import (
    CHECKPOINT,
    Itinerary,
    arrive,
    commute,
    go_home,
    leave_park,
    ordinary_gates,
    work_day,
)
from .population import DAY1, HOME_GATE, PARKS, SLOW_PULL_PARK, Population, Profile, WorkerSpec
from .schedule import (
    ALERT,
    CHECK,
    DENY,
    HOUR_MS,
    IN,
    MINUTE_MS,
    OFFLINE_GATE,
    OUT,
    ActionKind,
    Incident,
    OfflineWindow,
    Plan,
    PlannedAction,
    wall,
)

CLONE_GAP_MS = 2 * MINUTE_MS
INLAND_GATE = "maoling"


@dataclass
class Draft:
    """What the scripts add to, for one run."""

    days: int
    sites: SiteMap
    seed: int
    itineraries: list[Itinerary] = field(default_factory=list)
    actions: list[PlannedAction] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    def itinerary(self, w: WorkerSpec, actor: str | None = None) -> Itinerary:
        rng = random.Random(f"plan:{self.seed}:{actor or w.worker_id}")
        it = Itinerary(actor or w.worker_id, w.worker_id, self.sites, rng)
        self.itineraries.append(it)
        return it

    def incident(self, w: WorkerSpec, day: int, story: str) -> None:
        self.incidents.append(Incident(w.profile.value, w.worker_id, day, story))


Script = Callable[[Draft, WorkerSpec, Itinerary], None]


def _commuter(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
    for day in range(1, d.days + 1):
        commute(it, w, day, ordinary_gates(it, w))


def _stayer(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
    for day in range(1, d.days + 1):
        work_day(it, w, day)


def _leaver(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
    last = (w.valid_until - DAY1).days + 1
    for day in range(1, last + 1):
        work_day(it, w, day)
    go_home(it, w, w.home_gate)


def _overstayer(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
    for day in range(1, d.days):
        work_day(it, w, day)
    d.incident(w, d.days, f"permit ended {w.valid_until}; stays in China, out of sight")


def _late_leaver(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
    for day in range(1, d.days):
        work_day(it, w, day)
    if w.park.beyond_hengjiang:
        it.visit(CHECKPOINT, OUT, wall(d.days, 18))
    it.visit(w.home_gate, OUT, wall(d.days, 19), note="a day after the permit ended")
    d.incident(w, d.days, f"permit ended {w.valid_until}; leaves China a day late")


def _reentrant(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
    day = d.days - 1
    for earlier in range(1, day):
        work_day(it, w, earlier)
    park = w.park.site_id
    if day == 1:
        arrive(it, w, day, HOME_GATE)
    else:
        it.visit(park, IN, wall(day, 7) + it.wait(0, 60))
    it.visit(park, OUT, wall(day, 11, 30))
    it.visit(HOME_GATE, OUT, wall(day, 14), note="leaves: the single exit is used up")
    it.visit(OFFLINE_GATE, IN, wall(day, 18), note="back in at the gate that lost the hub")
    d.incident(w, day, f"leaves on a single-exit permit, re-enters at {OFFLINE_GATE} "
               "while it is offline: the late log raises the alert")  # fmt: skip


def _revoked(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
    park, gate = w.park.site_id, w.home_gate
    revoke, used = f"revoke:{w.worker_id}", f"used:{w.worker_id}"
    it.visit(gate, IN, wall(1, 6, 20) + it.wait(0, 20))
    d.actions.append(PlannedAction(ActionKind.REVOKE, w.worker_id, wall(1, 7, 15), key=revoke))
    scan = it.visit(park, IN, wall(1, 7, 45), after=revoke, key=used,
                    note="revoked at the hub; this edge has not pulled yet")  # fmt: skip
    d.actions.append(PlannedAction(ActionKind.SYNC, park, scan.at_ms + 5 * MINUTE_MS, after=used))
    leave_park(it, w, 1)
    go_home(it, w, gate)
    it.visit(gate, IN, wall(2, 6, 30) + it.wait(0, 20), expect=DENY, note="revoked")
    d.incident(w, 1, f"permit revoked at 07:15, used at once at {park}, which pulls daily")


def _nearest_other_park(d: Draft, w: WorkerSpec) -> str:
    others = [p.site_id for p in PARKS if p is not w.park and not p.beyond_hengjiang]
    return min(others, key=lambda s: (d.sites.min_travel_seconds(w.park.site_id, s), s))


BadDay = Callable[[Draft, WorkerSpec, Itinerary, int], None]


def _one_bad_day(bad: BadDay) -> Script:
    """Commute from the home gate every day; on one day chosen at random, ``bad``
    replaces the ordinary day."""

    def script(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
        chosen = it.rng.randint(1, d.days)
        for day in range(1, d.days + 1):
            if day == chosen:
                bad(d, w, it, day)
            else:
                commute(it, w, day, (w.home_gate, w.home_gate))

    return script


def _wanderer_day(d: Draft, w: WorkerSpec, it: Itinerary, day: int) -> None:
    park, other = w.park.site_id, _nearest_other_park(d, w)
    arrive(it, w, day, w.home_gate)
    it.visit(park, OUT, wall(day, 12))
    it.next(other, IN, expect=DENY, note="a park outside the permit")
    it.next(park, IN)
    leave_park(it, w, day)
    go_home(it, w, w.home_gate)
    d.incident(w, day, f"walks into {other} at lunchtime (the permit says {w.park.zone})")


def _hengjiang_day(d: Draft, w: WorkerSpec, it: Itinerary, day: int) -> None:
    arrive(it, w, day, w.home_gate)
    leave_park(it, w, day)
    it.next(CHECKPOINT, IN, expect=ALERT, note="inland without a Fangchenggang zone")
    it.next(w.home_gate, OUT)
    d.incident(w, day, f"a {w.park.zone} worker heads inland at {CHECKPOINT}")


def _maoling_day(d: Draft, w: WorkerSpec, it: Itinerary, day: int) -> None:
    arrive(it, w, day, w.home_gate)
    leave_park(it, w, day)
    it.next(INLAND_GATE, IN, expect=ALERT, note="inland China: never allowed")
    go_home(it, w, w.home_gate)
    d.incident(w, day, f"a {w.park.zone} worker heads inland at {INLAND_GATE}")


def _cloned_day(d: Draft, w: WorkerSpec, it: Itinerary, day: int) -> None:
    key = f"original:{w.worker_id}"
    entry = it.visit(w.home_gate, IN, wall(day, 6) + it.wait(0, 150), key=key)
    it.next(CHECKPOINT, IN)
    it.next(w.park.site_id, IN)
    clone = d.itinerary(w, actor=f"{w.worker_id}~clone")
    clone.visit(INLAND_GATE, CHECK, entry.at_ms + CLONE_GAP_MS, after=key,
                after_gap_ms=CLONE_GAP_MS, note="a copy of the QR")  # fmt: skip
    leave_park(it, w, day)
    go_home(it, w, w.home_gate)
    d.incident(w, day, f"a copy of the QR is shown at {INLAND_GATE} two minutes after the "
               f"card entered China at {w.home_gate}")  # fmt: skip


def _switcher(gates_on_last_day: Callable[[WorkerSpec], tuple[str, str]], story: str) -> Script:
    def script(d: Draft, w: WorkerSpec, it: Itinerary) -> None:
        for day in range(1, d.days + 1):
            gates = gates_on_last_day(w) if day == d.days else (w.home_gate, w.home_gate)
            commute(it, w, day, gates)
        d.incident(w, d.days, story)

    return script


SCRIPTS: dict[Profile, Script] = {
    Profile.COMMUTER: _commuter,
    Profile.STAYER: _stayer,
    Profile.EXIT_DUE: _stayer,
    Profile.LEAVER: _leaver,
    Profile.OVERSTAYER: _overstayer,
    Profile.LATE_LEAVER: _late_leaver,
    Profile.REENTRANT: _reentrant,
    Profile.REVOKED: _revoked,
    Profile.WANDERER: _one_bad_day(_wanderer_day),
    Profile.HENGJIANG: _one_bad_day(_hengjiang_day),
    Profile.MAOLING: _one_bad_day(_maoling_day),
    Profile.CLONED: _one_bad_day(_cloned_day),
    Profile.SWITCH_OUT: _switcher(
        lambda w: (HOME_GATE, w.home_gate),
        f"left through {OFFLINE_GATE} while it was offline, back in through {HOME_GATE}: "
        "a double entry until the late log arrives",
    ),
    Profile.SWITCH_IN: _switcher(
        lambda w: (OFFLINE_GATE, w.home_gate),
        f"back in through {OFFLINE_GATE} while it is offline: a missing entry until the "
        "late log arrives",
    ),
}


def _edge_actions(d: Draft) -> OfflineWindow:
    """The slow-pull park's daily pull, and the gate that loses the hub for a day."""
    for day in range(2, d.days + 1):
        d.actions.append(PlannedAction(ActionKind.SYNC, SLOW_PULL_PARK, wall(day, 5)))
    window = OfflineWindow(OFFLINE_GATE, wall(d.days - 1, 13), wall(d.days, 13))
    d.actions.append(PlannedAction(ActionKind.DISCONNECT, OFFLINE_GATE, window.from_ms))
    d.actions.append(PlannedAction(ActionKind.RECONNECT, OFFLINE_GATE, window.to_ms))
    d.incidents.append(
        Incident("edge_offline", OFFLINE_GATE, d.days - 1,
                 "loses the hub from 13:00 for a day, keeps logging, then syncs late")
    )  # fmt: skip
    return window


def build_plan(population: Population, sites: SiteMap) -> Plan:
    """The whole run: the same population and site map give the same plan."""
    d = Draft(population.days, sites, population.seed)
    for worker in population.workers:
        SCRIPTS[worker.profile](d, worker, d.itinerary(worker))
    window = _edge_actions(d)
    scans = sorted((s for it in d.itineraries for s in it.scans),
                   key=lambda s: (s.at_ms, s.actor))  # fmt: skip
    return Plan(
        population=population,
        scans=tuple(scans),
        actions=tuple(sorted(d.actions, key=lambda a: (a.at_ms, a.kind, a.target))),
        incidents=tuple(sorted(d.incidents, key=lambda i: (i.day, i.name, i.subject))),
        offline=window,
        traffic_start_ms=wall(1, 6),
        traffic_end_ms=max(s.at_ms for s in scans) + HOUR_MS // 2,
    )
