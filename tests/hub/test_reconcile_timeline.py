"""A worker's timeline: one order whatever the arrival order, duplicates once, and
the stays in China with their derived state."""

from __future__ import annotations

import random

from test_reconcile_world import GEO, JIANGPING, WORKER, World, at, record

from hub.reconcile import Observation, Timeline, build_timeline


def timeline_of(world: World, observations: list[Observation] | None = None) -> Timeline:
    book = {r.permit_id: r for r in world.records}
    scans = world.observations if observations is None else observations
    return build_timeline(WORKER, scans, book, GEO)


def test_order_is_instant_then_clock_then_edge_then_seq_and_duplicates_count_once() -> None:
    world = World(record(single_exit=False))
    world.commute(-1)
    b = world.scan("jiangping-park", "check", at(0, 9), edge="jiangping-park-b")
    a = world.scan("jiangping-park", "check", at(0, 9), edge="jiangping-park-a")
    shuffled = world.observations * 2
    random.Random(7).shuffle(shuffled)
    timeline = timeline_of(world, shuffled)
    assert timeline == timeline_of(world)
    assert len(timeline.observations) == len(world.observations)
    assert timeline.observations[-2:] == (a, b)
    assert [o.at_ms for o in timeline.observations] == sorted(o.at_ms for o in world.observations)


def test_the_state_of_a_worker_in_china() -> None:
    world = World()
    entry = world.scan("dongxing-port", "in", at(-2, 7))
    park = world.scan("jiangping-park", "in", at(-2, 8))
    world.scan("hengjiang", "check", at(-1, 9))
    timeline = timeline_of(world)
    assert timeline.in_china and timeline.in_china_since_ms == entry.at_ms
    assert timeline.last_border == entry
    [stay] = timeline.stays
    assert stay.entered and stay.entry == entry and stay.exit is None
    assert timeline.last_seen_in(stay, JIANGPING) == park
    assert timeline.last_seen_in(stay, "dongxing/kec") is None


def test_stays_end_at_exits_and_begin_at_the_first_evidence_of_presence() -> None:
    world = World(record(single_exit=False))
    world.commute(-3)
    inside = world.scan("jiangping-park", "in", at(-2, 8))
    late_entry = world.scan("dongxing-port", "in", at(-2, 9))
    exit_ = world.scan("dongxing-port", "out", at(-2, 18))
    lone_exit = world.scan("beilun-bridge-2", "out", at(-1, 18))
    timeline = timeline_of(world)
    assert not timeline.in_china and timeline.last_border == lone_exit
    first, second, third = timeline.stays
    assert first.entered and first.exit is not None
    assert second.start == inside and second.entry == late_entry and not second.entered
    assert (second.exit, second.previous_exit) == (exit_, first.exit)
    assert third.start == third.exit == lone_exit and third.entry is None


def test_refused_entries_and_roll_calls_at_a_gate_move_nobody() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(-1, 7), verdict="deny")
    world.scan("dongxing-port", "check", at(-1, 8))
    timeline = timeline_of(world)
    assert timeline.stays == () and timeline.last_border is None and not timeline.in_china


def test_only_genuine_scans_at_known_sites_shape_it() -> None:
    world = World()
    forged = world.scan("dongxing-port", "in", at(-1, 7), verified=False)
    elsewhere = world.scan("mars-base", "in", at(-1, 8))
    stranger = world.scan("jiangping-park", "in", at(-1, 9), permit="P-OTHER")
    timeline = timeline_of(world)
    assert {forged, elsewhere, stranger} == set(timeline.observations)
    assert timeline.genuine == () and timeline.stays == ()


def test_the_governing_permit_is_the_latest_in_force_when_shown() -> None:
    old = record("P-1", single_exit=False)
    new = record("P-2", valid_until=old.permit.valid_until.replace(year=2027, month=3))
    world = World(old, new)
    world.scan("dongxing-port", "in", at(-1, 7), permit="P-1")
    world.scan("jiangping-park", "in", at(-1, 8), permit="P-2")
    [stay] = timeline_of(world).stays
    assert stay.permit == new
    assert timeline_of(world).by_permit == {"P-1": (0,), "P-2": (1,)}
