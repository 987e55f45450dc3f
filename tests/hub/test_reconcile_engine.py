"""The engine as the hub uses it: recompute after every batch, store the diff; the
final alerts never depend on the order, batching or duplication of the evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from factories import TODAY
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_reconcile_world import GEO, WORKER, World, at, record, watermarks

from borderpass.settings import load
from hub.reconcile import (
    Alert,
    AlertKind,
    EdgeWatermark,
    IntegrityIncident,
    Observation,
    ReconcileContext,
    ReconcileSettings,
    RetractionCause,
    Settled,
    Severity,
    Timeline,
    diff_alerts,
    edge_alerts,
    reconcile_worker,
    settle,
)
from protocol.events import GENESIS, ScanEvent, qr_digest
from protocol.refs import Revocation, RevocationKind
from protocol.sync.ingest import IncidentKind
from protocol.verdict import Direction, Outcome

NOON = at(0, 12)
HOUR_MS = 3_600_000

# -- diffs ---------------------------------------------------------------------------


def test_diff_inserts_confirms_and_retracts_by_id() -> None:
    world = World()
    world.scan("jiangping-park", "in", at(0, 8))
    provisional = world.alerts(NOON, lagging={"dongxing-port-1": at(0, 7)})
    inserted = diff_alerts((), provisional)
    assert inserted.insert == provisional and not inserted.update and not inserted.retract
    confirmed = world.alerts(NOON)
    update = diff_alerts(provisional, confirmed)
    assert update.update == confirmed and not update.insert and not update.retract
    assert diff_alerts(confirmed, world.alerts(NOON)).empty
    [gone] = diff_alerts(confirmed, ()).retract
    assert gone.alert == confirmed[0] and gone.cause is RetractionCause.RECOMPUTED


def test_a_retraction_without_contrary_scans_is_a_recomputation() -> None:
    world = World(record(valid_until=TODAY + timedelta(days=3)))
    world.scan("dongxing-port", "in", at(-1, 7))
    world.scan("jiangping-park", "in", at(-1, 8))
    due = world.alerts(NOON)
    assert [a.kind for a in due] == [AlertKind.EXIT_DUE]
    renewed = World(record(valid_until=TODAY + timedelta(days=30)))
    renewed.observations = world.observations
    result = reconcile_worker(WORKER, renewed.observations, renewed.records, world.context(NOON))
    [retraction] = diff_alerts(due, result.alerts, result.timeline).retract
    assert retraction.cause is RetractionCause.RECOMPUTED and retraction.evidence == ()


def test_permits_of_another_worker_are_refused() -> None:
    stranger = record("P-9", worker=replace(World().records[0].permit.worker, border_pass_no="X"))
    with pytest.raises(ValueError, match="P-9"):
        reconcile_worker(WORKER, (), [stranger], World().context(NOON))


def test_an_observation_from_a_logged_scan_event() -> None:
    event = ScanEvent(
        seq=4,
        hlc=(NOON << 16) | 2,
        wall_ms=NOON - 1500,
        prev_hash=GENESIS,
        site="kec-park",
        direction="check",
        verdict="deny",
        reasons=("zone_not_permitted",),
        permit_id="P-1",
        worker_id=WORKER,
        employer_id="EMP-JP-001",
        verified=True,
        trust_age_s=60,
        operator="gate 1",
        qr_digest=qr_digest("BP1:..."),
    )
    obs = Observation.from_event("kec-park-1", event, NOON)
    assert (obs.ref, obs.at_ms, obs.direction, obs.verdict) == (
        ("kec-park-1", 4),
        NOON,
        Direction.CHECK,
        Outcome.DENY,
    )
    alerts = World().alerts(NOON, observations=[obs])
    assert [a.kind for a in alerts] == [AlertKind.MISSING_ENTRY, AlertKind.OUT_OF_AREA]


def test_settings_load_from_the_environment() -> None:
    env = {"BORDERPASS_HUB_RECONCILE_NOT_SEEN_DAYS": "5"}
    loaded = load(ReconcileSettings, env=env, env_prefix="BORDERPASS_HUB_RECONCILE_")
    assert loaded == ReconcileSettings(not_seen_days=5)


# -- edges ---------------------------------------------------------------------------


def edge_context(now: int, *marks: EdgeWatermark) -> ReconcileContext:
    return ReconcileContext.build(GEO, now, marks)


def mark(edge: str, heard: int, offset: int | None = 0) -> EdgeWatermark:
    return EdgeWatermark(edge, "kec-park", heard, heard, offset)


def test_an_edge_silent_for_six_hours_until_it_is_heard_again() -> None:
    quiet = edge_context(NOON, mark("a", NOON - 7 * HOUR_MS), mark("b", NOON - 5 * HOUR_MS))
    [silent] = edge_alerts(quiet)
    assert (silent.kind, silent.severity, silent.edge_id) == (
        AlertKind.EDGE_SILENT,
        Severity.OPS,
        "a",
    )
    assert silent.at_ms == NOON - HOUR_MS and silent.site == "kec-park"
    heard = edge_alerts(edge_context(NOON, mark("a", NOON), mark("b", NOON)))
    [retraction] = diff_alerts([silent], heard).retract
    assert retraction.alert == silent


def test_a_skewed_clock_beyond_the_threshold() -> None:
    ctx = edge_context(
        NOON, mark("a", NOON, 61_000), mark("b", NOON, -59_000), mark("c", NOON, None)
    )
    [skew] = edge_alerts(ctx)
    assert (skew.kind, skew.edge_id, skew.facts["offset_ms"]) == (AlertKind.CLOCK_SKEW, "a", 61_000)
    assert skew.severity is Severity.OPS


def test_one_security_alert_per_integrity_incident() -> None:
    gap = IntegrityIncident("a", IncidentKind.GAP, "seq 10-19 pruned", NOON, (("a", 9),))
    chain = IntegrityIncident("a", IncidentKind.CHAIN, "prev_hash", NOON + 1)
    alerts = edge_alerts(edge_context(NOON, mark("a", NOON)), [gap, chain, gap])
    assert [(a.kind, a.severity, a.facts["incident"]) for a in alerts] == [
        (AlertKind.LOG_INTEGRITY, Severity.SECURITY, "gap"),
        (AlertKind.LOG_INTEGRITY, Severity.SECURITY, "chain"),
    ]
    assert alerts[0].evidence == (("a", 9),) and alerts[0].site == "kec-park"


# -- determinism under any delivery -------------------------------------------------

MOVE_LIST = [
    ("dongxing-port", "in"),
    ("dongxing-port", "out"),
    ("beilun-bridge-2", "in"),
    ("beilun-bridge-2", "out"),
    ("jiangping-park", "in"),
    ("jiangping-park", "out"),
    ("jiangping-park", "check"),
    ("kec-park", "in"),
    ("hengjiang", "in"),
    ("hengjiang", "out"),
    ("gangkou-park", "check"),
    ("maoling", "in"),
]
MINUTES = st.one_of(st.integers(0, 45), st.integers(46, 2 * 24 * 60))
ROUTINES = [
    [
        ("dongxing-port", "in"),
        ("jiangping-park", "in"),
        ("jiangping-park", "out"),
        ("dongxing-port", "out"),
    ],
    [("beilun-bridge-2", "in"), ("jiangping-park", "in")],
    [("jiangping-park", "check")],
    [("beilun-bridge-2", "out")],
]
"""Ordinary days, which the random moves below break into every kind of case."""
MOVES = st.one_of(st.sampled_from(ROUTINES), st.sampled_from(MOVE_LIST).map(lambda move: [move]))
SCAN = st.tuples(
    MINUTES,
    st.sampled_from(["allow", "allow", "allow", "allow", "deny", "alert"]),
    st.sampled_from([True, True, True, True, False]),
    st.integers(0, 1),  # which permit
    st.integers(0, 1),  # which edge at the site
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[World, int, list[Revocation]]:
    """A worker with one or two permits, a random life of scans, sometimes a
    revocation, and the instant of reconciliation."""
    ends = draw(st.lists(st.integers(-22, 5), min_size=1, max_size=2))
    records = [
        record(
            f"P-{i}",
            valid_from=TODAY - timedelta(days=30),
            valid_until=TODAY + timedelta(days=end),
            single_exit=draw(st.booleans()),
            zones=draw(st.sampled_from([("dongxing", "dongxing/jiangping"), ("dongxing",)])),
            park_zone=draw(st.sampled_from(["dongxing/jiangping", None])),
        )
        for i, end in enumerate(ends)
    ]
    world = World(*records)
    instant = at(-16, 6)
    life = draw(st.lists(MOVES, min_size=1, max_size=16))
    life.append(draw(st.sampled_from([[], ROUTINES[1]])))  # often still in China at the end
    for moves in life:
        for site, direction in moves:
            minutes, verdict, verified, which, edge = draw(SCAN)
            instant += minutes * 60_000
            world.scan(
                site,
                direction,
                instant,
                permit=records[which % len(records)].permit_id,
                verdict=verdict,
                verified=verified,
                edge=f"{site}-{edge + 1}",
            )
    now = instant + draw(st.integers(0, 5 * 24 * 60)) * 60_000
    revoked = draw(st.none() | st.integers(at(-16, 0), now))
    revocations = (
        [] if revoked is None else [Revocation(RevocationKind.PERMIT, "P-0", revoked // 1000)]
    )
    return world, now, revocations


def synced_marks(delivered: set[tuple[str, int]], world: World, now: int) -> list[EdgeWatermark]:
    """Each edge's watermark as the hub knows it: up to its first event not yet
    delivered (an edge's events are in sequence and time order), else ``now``."""
    by_edge: dict[str, list[Observation]] = defaultdict(list)
    for obs in world.observations:
        by_edge[obs.edge_id].append(obs)
    marks = {w.edge_id: w for w in watermarks(now)}
    for edge, scans in by_edge.items():
        missing = [o.at_ms for o in scans if o.ref not in delivered]
        synced = min(missing, default=now)
        marks[edge] = EdgeWatermark(edge, scans[0].site, synced, now, 0)
    return list(marks.values())


def apply(stored: dict[str, Alert], computed: Sequence[Alert], timeline: Timeline) -> None:
    """Store a diff as the hub would: by id."""
    diff = diff_alerts(stored.values(), computed, timeline)
    assert all(a.alert_id not in stored for a in diff.insert)
    assert all(a.alert_id in stored for a in diff.update)
    for alert in (*diff.insert, *diff.update):
        stored[alert.alert_id] = alert
    for retraction in diff.retract:
        del stored[retraction.alert.alert_id]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), data=st.data())
def test_alerts_do_not_depend_on_order_batching_or_duplicates(
    history: tuple[World, int, list[Revocation]], data: st.DataObject
) -> None:
    world, now, revocations = history
    scans = world.observations
    copies = [replace(o) for o in data.draw(st.lists(st.sampled_from(scans), max_size=len(scans)))]
    delivery = data.draw(st.permutations([*scans, *copies]))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(delivery)), max_size=6)))
    stored: dict[str, Alert] = {}
    delivered: list[Observation] = []
    for start, end in zip([0, *cuts], [*cuts, len(delivery)], strict=True):
        delivered.extend(delivery[start:end])
        marks = synced_marks({o.ref for o in delivered}, world, now)
        ctx = ReconcileContext.build(GEO, now, marks, revocations)
        result = reconcile_worker(WORKER, delivered, world.records, ctx)
        apply(stored, result.alerts, result.timeline)
        assert stored == {a.alert_id: a for a in result.alerts}
    everything = ReconcileContext.build(GEO, now, watermarks(now), revocations)
    at_once = reconcile_worker(WORKER, scans, world.records, everything).alerts
    for kind in sorted({a.kind.value for a in at_once}):
        event(kind)
    assert sorted(stored.values(), key=lambda a: (a.at_ms, a.alert_id)) == list(at_once)


DAYS = [
    # (hour, minute, site, direction): plans for one day, chosen at random
    [
        (7, 0, "dongxing-port", "in"),
        (8, 0, "jiangping-park", "in"),
        (18, 0, "dongxing-port", "out"),
    ],
    [
        (7, 0, "beilun-bridge-2", "in"),
        (9, 0, "kec-park", "in"),
        (12, 0, "beilun-bridge-2", "out"),
        (20, 0, "dongxing-port", "in"),
        (21, 0, "kec-park", "check"),
        (23, 30, "dongxing-port", "out"),
    ],
    [(8, 0, "jiangping-park", "in"), (23, 58, "beilun-bridge-2", "out")],
    [(0, 1, "dongxing-port", "in"), (9, 0, "hengjiang", "in"), (17, 0, "dongxing-port", "out")],
    [
        (7, 0, "dongxing-port", "in"),
        (7, 5, "gangkou-park", "check"),
        (19, 0, "dongxing-port", "out"),
    ],
    [(10, 0, "jiangping-park", "check")],
    [],
]


@st.composite
def days_of_life(draw: st.DrawFn) -> tuple[World, int, list[Observation]]:
    """Days of crossings with late evenings, midnight crossings and a day's misdeeds
    on either side of an exit; delivered nearly in order, a few scans late."""
    permit = record("P-0", valid_from=TODAY - timedelta(days=30), single_exit=draw(st.booleans()))
    world = World(permit)
    days = draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=9))
    for offset, plan in enumerate(days):
        for hour, minute, site, direction in plan:
            edge = f"{site}-{draw(st.integers(1, 2))}"
            world.scan(site, direction, at(offset - 10, hour, minute), edge=edge)
    delivery = sorted(world.observations, key=lambda o: o.at_ms)
    for _ in range(draw(st.integers(0, 3))):
        if delivery:
            late = delivery.pop(draw(st.integers(0, len(delivery) - 1)))
            delivery.insert(draw(st.integers(0, len(delivery))), late)
    return world, at(len(days) - 9, 12), delivery


Case = tuple[World, int, list[Revocation], list[Observation] | None]
"""A history, the instant, the revocations, and an order of delivery (None: any)."""
CASES: st.SearchStrategy[Case] = st.one_of(
    histories().map(lambda h: (h[0], h[1], h[2], None)),
    days_of_life().map(lambda d: (d[0], d[1], [], d[2])),
)


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
