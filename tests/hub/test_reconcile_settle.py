"""Recomputing a worker from a settled cut: the alerts it leaves are final, and the
alerts from it on are the full computation's, batch after batch."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from factories import TODAY
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_reconcile_world import CASES, GEO, WORKER, Case, World, at, record, synced_marks

from hub.reconcile import (
    Alert,
    AlertKind,
    Observation,
    ReconcileContext,
    Settled,
    reconcile_worker,
    settle,
)

NOON = at(0, 12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=CASES, data=st.data())
def test_recomputing_from_a_settled_cut_gives_the_alerts_of_the_whole_history(
    case: Case, data: st.DataObject
) -> None:
    """The hub's cheap path: keep the alerts before the latest settled cut, recompute
    from it; after every batch the result is the full computation's."""
    world, now, revocations, delivery = case
    book = {r.permit_id: r for r in world.records}
    if delivery is None:
        delivery = data.draw(st.permutations(world.observations))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(delivery)), max_size=8)))
    kept: dict[str, Alert] = {}
    checkpoint: Settled | None = None
    delivered: list[Observation] = []
    for start, end in zip([0, *cuts], [*cuts, len(delivery)], strict=True):
        delivered.extend(delivery[start:end])
        marks = synced_marks({o.ref for o in delivered}, world, now)
        ctx = ReconcileContext.build(GEO, now, marks, revocations)
        full = reconcile_worker(WORKER, delivered, world.records, ctx)
        part = reconcile_worker(WORKER, delivered, world.records, ctx, checkpoint)
        assert checkpoint is None or all(checkpoint.covers(a) for a in part.alerts)
        kept = {i: a for i, a in kept.items() if checkpoint and not checkpoint.covers(a)}
        kept.update((a.alert_id, a) for a in part.alerts)
        assert kept == {a.alert_id: a for a in full.alerts}
        checkpoint = settle(part.timeline, book, ctx) or checkpoint
        if checkpoint is not None:
            event("settled")


def test_a_settled_past_carries_the_first_exit_of_a_single_exit_permit() -> None:
    world = World(record(valid_from=TODAY - timedelta(days=30)))  # single exit
    for d in range(-6, 0):
        world.commute(d)  # every day after the first is a reuse
    book = {r.permit_id: r for r in world.records}
    full = world.alerts(NOON)
    assert [a.kind for a in full] == [AlertKind.REUSED_AFTER_EXIT] * 5
    first_exit = world.observations[3]
    assert all(a.evidence[0] == first_exit.ref for a in full)
    early = world.context(at(-4, 12), lagging={e: at(-4, 1) for e in edges(world)})
    first = settle(
        reconcile_worker(WORKER, world.observations, world.records, early).timeline, book, early
    )
    assert first is not None and first.cut_ms == at(-4, 0) and first.used_up == (first_exit,)
    later = world.context(at(-2, 12), lagging={e: at(-2, 1) for e in edges(world)})
    part = reconcile_worker(WORKER, world.observations, world.records, later, first)
    second = settle(part.timeline, book, later)
    assert second is not None and second.cut_ms == at(-2, 0) and second.used_up == (first_exit,)
    assert second.previous_exit == world.observations[4 * 4 - 1]
    tail = reconcile_worker(WORKER, world.observations, world.records, world.context(NOON), second)
    assert tail.alerts == tuple(a for a in full if second.covers(a))


def test_a_worker_living_in_china_is_settled_inside_their_stay() -> None:
    world = World()
    entry = world.scan("dongxing-port", "in", at(-9, 7))
    for d in range(-9, -2):
        world.scan("jiangping-park", "in", at(d, 8))
        last_seen = world.scan("jiangping-park", "out", at(d, 17))
    book = {r.permit_id: r for r in world.records}
    early = world.context(at(-2, 12), lagging={e: at(-2, 1) for e in edges(world)})
    full_then = reconcile_worker(WORKER, world.observations, world.records, early)
    cut = settle(full_then.timeline, book, early)
    assert cut is not None and cut.cut_ms == at(-2, 0) and cut.previous_exit is None
    assert cut.stay is not None
    assert (cut.stay.start, cut.stay.entry, cut.stay.last) == (entry, entry, last_seen)
    assert cut.stay.seen == (last_seen,)
    now = at(1, 12)
    full = world.alerts(now)
    assert [a.kind for a in full] == [AlertKind.NOT_SEEN_AT_WORK]
    assert full[0].facts["last_seen_ms"] == last_seen.at_ms
    part = reconcile_worker(WORKER, [], world.records, world.context(now), cut)
    assert part.alerts == full and part.timeline.in_china


def settled_through(world: World, days: list[int]) -> Settled | None:
    """Settle the world's worker at 01:00 of each of ``days`` in turn, each time from
    the previous cut, as the hub does batch after batch; every cut reloaded as the
    store would (equal copies, not the same objects)."""
    book = {r.permit_id: r for r in world.records}
    cut: Settled | None = None
    for d in days:
        ctx = world.context(at(d, 12), lagging={e: at(d, 1) for e in edges(world)})
        part = reconcile_worker(WORKER, world.observations, world.records, ctx, cut)
        cut = reloaded(settle(part.timeline, book, ctx) or cut)
    return cut


def copy(obs: Observation | None) -> Observation | None:
    return None if obs is None else replace(obs)


def reloaded(cut: Settled | None) -> Settled | None:
    if cut is None:
        return None
    stay = cut.stay
    return Settled(
        cut.cut_ms,
        copy(cut.previous_exit),
        tuple(replace(o) for o in cut.used_up),
        stay
        and replace(
            stay,
            start=replace(stay.start),
            entry=copy(stay.entry),
            last_entry=copy(stay.last_entry),
            seen=tuple(replace(o) for o in stay.seen),
            last=replace(stay.last),
        ),
    )


def assert_same_from(cut: Settled | None, world: World, now: int) -> None:
    assert cut is not None
    full = world.alerts(now)
    part = reconcile_worker(WORKER, world.observations, world.records, world.context(now), cut)
    assert part.alerts == tuple(a for a in full if cut.covers(a))


def test_double_entries_chain_across_cuts() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(-6, 7))
    second = world.scan("dongxing-port", "in", at(-5, 7))
    world.scan("jiangping-park", "check", at(-4, 9))
    third = world.scan("beilun-bridge-2", "in", at(-2, 7))
    fourth = world.scan("dongxing-port", "in", at(0, 7))
    alerts = world.of_kind(AlertKind.DOUBLE_ENTRY, NOON)
    assert [a.evidence for a in alerts][1:] == [(second.ref, third.ref), (third.ref, fourth.ref)]
    for days in ([-4, -3], [-4, -3, -1], [-1]):
        assert_same_from(settled_through(world, days), world, NOON)


def test_the_last_park_scan_is_carried_across_cuts() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(-9, 7))
    world.scan("jiangping-park", "in", at(-6, 8))
    world.scan("hengjiang", "check", at(-3, 8))
    [alert] = world.of_kind(AlertKind.NOT_SEEN_AT_WORK, NOON)
    assert alert.facts["last_seen_ms"] == at(-6, 8)
    assert_same_from(settled_through(world, [-5, -4, -2]), world, NOON)


def test_no_cut_separates_an_impossible_pair_across_midnight() -> None:
    world = World(record(single_exit=False))
    world.commute(-3)
    world.scan("dongxing-port", "in", at(-2, 7))
    world.scan("beilun-bridge-2", "out", at(-2, 23, 58))
    world.scan("dongxing-port", "in", at(-1, 0, 1))
    world.scan("dongxing-port", "out", at(-1, 8))
    assert [a.kind for a in world.alerts(NOON)] == [AlertKind.IMPOSSIBLE_TRAVEL]
    cut = settled_through(world, [-1])
    assert cut is not None and cut.cut_ms == at(-2, 0)
    assert_same_from(cut, world, NOON)


def edges(world: World) -> set[str]:
    return {o.edge_id for o in world.observations}
