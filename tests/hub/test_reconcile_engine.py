"""The engine as the hub uses it: recompute after every batch, store the diff; the
final alerts never depend on the order, batching or duplication of the evidence."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from factories import TODAY
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_reconcile_world import GEO, WORKER, World, at, histories, record, synced_marks, watermarks

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
    Severity,
    Timeline,
    diff_alerts,
    edge_alerts,
    reconcile_worker,
)
from protocol.events import GENESIS, ScanEvent, qr_digest
from protocol.refs import Revocation
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


PURITY_PROBE = """
import sys, time
from datetime import date
import hub.reconcile as r
from protocol.permit import Permit, Sex, Worker
from protocol.sites import default_site_map
from protocol.verdict import Direction, Outcome

def no_clock(*args):
    raise AssertionError("the engine read the clock")

for name in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "localtime"):
    setattr(time, name, no_clock)
worker = Worker("A", "W-1", date(1990, 1, 1), Sex.FEMALE)
permit = Permit("P-1", worker, "E-1", ("dongxing",), date(2026, 1, 1), date(2026, 3, 1),
                date(2026, 3, 1), date(2026, 3, 1), True, 0, bytes(8))
record = r.PermitRecord(permit, None, date(2027, 1, 1))
now = 1_780_000_000_000
scan = r.Observation("e", 1, "maoling", Direction.IN, Outcome.ALERT, (), "P-1", "W-1", "E-1",
                     True, now - 1, (now - 1) << 16, bytes(16))
mark = r.EdgeWatermark("e", "maoling", now, 0, 99_000)
ctx = r.ReconcileContext.build(r.Geography.of(default_site_map()), now, [mark])
kinds = [a.kind.value for a in r.worker_alerts("W-1", [scan], [record], ctx)]
kinds += [a.kind.value for a in r.edge_alerts(ctx)]
heavy = {"asyncio", "aiohttp", "sqlite3", "sqlite_utils", "zeroconf", "socket", "borderpass"}
print(sorted(kinds), sorted(m for m in sys.modules if m.split(".")[0] in heavy))
"""


def test_the_engine_is_pure() -> None:
    """In a fresh interpreter whose clock functions raise: the engine computes
    alerts from the ``now`` it is given, and importing it pulls in no event loop,
    database, network or service code."""
    done = subprocess.run(
        [sys.executable, "-c", PURITY_PROBE], capture_output=True, text=True, check=True
    )
    kinds = [
        "clock_skew",
        "edge_silent",
        "inland_attempt",
        "missing_entry",
        "out_of_area",
        "overstay",
    ]
    assert done.stdout.strip() == f"{kinds} []"
