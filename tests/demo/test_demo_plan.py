"""The demo's plan: seeded, every honest day possible to travel, the incidents
scripted as their stories say, the edge actions at quiet hours."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import pytest

from borderpass.demo.plan import CLONE_GAP_MS, build_plan
from borderpass.demo.population import SLOW_PULL_PARK, Population, Profile, build_population
from borderpass.demo.schedule import (
    HOUR_MS,
    OFFLINE_GATE,
    TRAVEL_MARGIN_MS,
    ActionKind,
    Plan,
    PlannedScan,
    wall,
)
from protocol.sites import default_site_map
from protocol.verdict import Direction, Outcome

SITES = default_site_map()


@pytest.fixture(scope="module", params=[(40, 6, 2), (600, 20, 3)], ids=["small", "larger"])
def plan(request: pytest.FixtureRequest) -> Plan:
    workers, employers, days = request.param
    return build_plan(build_population(11, workers, employers, days), SITES)


def by_actor(plan: Plan) -> dict[str, list[PlannedScan]]:
    actors: dict[str, list[PlannedScan]] = defaultdict(list)
    for scan in plan.scans:
        actors[scan.actor].append(scan)
    return actors


def test_the_same_seed_gives_the_same_plan() -> None:
    population = build_population(5, 100, 6, 3)
    assert build_plan(population, SITES) == build_plan(population, SITES)


def test_scans_are_in_order_in_daytime_on_the_days_of_the_run(plan: Plan) -> None:
    times = [s.at_ms for s in plan.scans]
    assert times == sorted(times)
    assert plan.traffic_start_ms == wall(1, 6) <= times[0]
    for scan in plan.scans:
        day = next(d for d in range(1, plan.days + 1) if scan.at_ms < wall(d + 1, 0))
        assert wall(day, 6) <= scan.at_ms <= wall(day, 22), scan
    assert plan.traffic_end_ms > times[-1]


def test_an_honest_day_never_outruns_the_fastest_trip(plan: Plan) -> None:
    for actor, scans in by_actor(plan).items():
        for a, b in pairwise(scans):
            assert b.at_ms - a.at_ms >= b.min_gap_ms, (actor, a, b)
            if a.site != b.site:
                trip = SITES.min_travel_seconds(a.site, b.site) * 1000
                assert b.at_ms - a.at_ms >= trip + TRAVEL_MARGIN_MS, (actor, a, b)


def test_the_copied_qr_shows_up_far_away_minutes_after_the_card(plan: Plan) -> None:
    (cloned,) = plan.population.of(Profile.CLONED)
    (copy,) = by_actor(plan)[f"{cloned.worker_id}~clone"]
    original = next(s for s in plan.scans if s.key == copy.after)
    assert original.actor == cloned.worker_id and original.site == cloned.home_gate
    assert copy.at_ms - original.at_ms == copy.after_gap_ms == CLONE_GAP_MS
    assert copy.at_ms - original.at_ms < SITES.min_travel_seconds(original.site, copy.site) * 1000


def test_the_revoked_permit_is_used_after_the_revocation_then_synced(plan: Plan) -> None:
    (revoked,) = plan.population.of(Profile.REVOKED)
    revoke = next(a for a in plan.actions if a.kind is ActionKind.REVOKE)
    used = next(s for s in plan.scans if s.after == revoke.key)
    assert revoke.target == revoked.worker_id and used.at_ms > revoke.at_ms
    assert (used.site, used.expect) == (SLOW_PULL_PARK, Outcome.ALLOW)
    sync = next(a for a in plan.actions if a.after == used.key)
    assert (sync.kind, sync.target) == (ActionKind.SYNC, SLOW_PULL_PARK)
    last = [s for s in plan.scans if s.worker_id == revoked.worker_id][-1]
    assert (last.direction, last.expect, last.at_ms > wall(2, 0)) == (Direction.IN, Outcome.DENY,
                                                                      True)  # fmt: skip


def test_the_gate_goes_offline_for_a_day_at_a_quiet_hour(plan: Plan) -> None:
    window = plan.offline
    assert (window.site, window.from_ms, window.to_ms) == (
        OFFLINE_GATE, wall(plan.days - 1, 13), wall(plan.days, 13))  # fmt: skip
    kinds = {a.kind: a.at_ms for a in plan.actions if a.target == OFFLINE_GATE}
    assert kinds == {ActionKind.DISCONNECT: window.from_ms, ActionKind.RECONNECT: window.to_ms}
    for scan in plan.scans:
        if scan.site == OFFLINE_GATE:
            for instant in (window.from_ms, window.to_ms):
                assert abs(scan.at_ms - instant) > HOUR_MS, scan
    offline = [s for s in plan.scans
               if s.site == OFFLINE_GATE and window.from_ms <= s.at_ms < window.to_ms]  # fmt: skip
    assert offline, "nothing crosses at the gate while it is offline"


def test_only_the_incidents_plan_a_refusal_or_an_alert(plan: Plan) -> None:
    profiles = {w.worker_id: w.profile for w in plan.population.workers}
    refused = [(profiles[s.worker_id], s.expect) for s in plan.scans if s.expect != Outcome.ALLOW]
    population: Population = plan.population
    expected = sorted(
        [(Profile.WANDERER, Outcome.DENY)] * len(population.of(Profile.WANDERER))
        + [(Profile.REVOKED, Outcome.DENY)]
        + [(Profile.HENGJIANG, Outcome.ALERT)] * len(population.of(Profile.HENGJIANG))
        + [(Profile.MAOLING, Outcome.ALERT)]
    )
    assert sorted(refused) == expected


def test_stayers_enter_once_and_commuters_cross_every_day(plan: Plan) -> None:
    border = {"dongxing-port", "beilun-bridge-2"}
    crossings: dict[str, int] = defaultdict(int)
    for scan in plan.scans:
        if scan.site in border and scan.direction is not Direction.CHECK:
            crossings[scan.worker_id] += 1
    for w in plan.population.workers:
        if w.profile is Profile.COMMUTER:
            assert crossings[w.worker_id] == 2 * plan.days
        elif w.profile in (Profile.STAYER, Profile.EXIT_DUE, Profile.OVERSTAYER):
            assert crossings[w.worker_id] == 1
        elif w.profile in (Profile.LEAVER, Profile.LATE_LEAVER):
            assert crossings[w.worker_id] == 2
