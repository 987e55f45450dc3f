"""The demo's ground truth: each rule of its plain model on hand-made days, the
planted incidents among what it expects, and agreement with the hub's own engine
(another implementation of the same rules) on whole plans."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta

import pytest

from borderpass.demo.plan import build_plan
from borderpass.demo.population import HIRING_PERMIT, Profile, WorkerSpec, build_population
from borderpass.demo.schedule import HOUR_MS, MINUTE_MS, Plan, PlannedScan, wall
from borderpass.demo.truth import (
    Expected,
    PermitFacts,
    Thresholds,
    alerts_at,
    ground_truth,
    permit_facts,
    worker_kinds,
)
from hub.reconcile import (
    EdgeWatermark,
    Geography,
    Observation,
    PermitRecord,
    ReconcileContext,
    reconcile_worker,
)
from protocol.days import end_of_day_ms
from protocol.permit import Permit, Worker
from protocol.refs import Revocation, RevocationKind
from protocol.sites import default_site_map, permitted_area
from protocol.verdict import Direction, Outcome

SITES = default_site_map()
TH = Thresholds()
IN, OUT, CHECK = Direction.IN, Direction.OUT, Direction.CHECK
ALLOW, DENY, ALERT = Outcome.ALLOW, Outcome.DENY, Outcome.ALERT
END = date(2026, 11, 20)


def facts(**overrides: object) -> PermitFacts:
    base: dict[str, object] = {
        "end_date": END, "end_ms": end_of_day_ms(END),
        "area": permitted_area(("dongxing", "dongxing/jiangping")), "single_exit": False,
        "park_zone": "dongxing/jiangping", "revoked_ms": None,
    }  # fmt: skip
    return PermitFacts(**{**base, **overrides})  # type: ignore[arg-type]


def scan(site: str, direction: Direction, day: int, hour: int, minute: int = 0,
         expect: Outcome = ALLOW) -> PlannedScan:  # fmt: skip
    return PlannedScan("W", "W", site, direction, wall(day, hour, minute), expect)


def commute(day: int, park: str = "jiangping-park") -> list[PlannedScan]:
    return [scan("dongxing-port", IN, day, 7), scan(park, IN, day, 8),
            scan(park, OUT, day, 17), scan("dongxing-port", OUT, day, 18)]  # fmt: skip


def kinds(scans: Iterable[PlannedScan], now_ms: int = wall(3, 23), **fact: object) -> set[str]:
    return worker_kinds(scans, facts(**fact), now_ms, SITES, TH)


def test_ordinary_commuting_raises_nothing() -> None:
    assert kinds(commute(1) + commute(2) + commute(3)) == set()


def test_each_rule_of_the_plain_model() -> None:
    day = commute(1)
    assert kinds(day[1:]) == {"missing_entry"}
    assert kinds([*day[:3], scan("dongxing-port", IN, 1, 19)]) == {"double_entry"}
    assert kinds([*day, scan("hengjiang", IN, 1, 19, expect=ALERT)]) >= {"inland_attempt"}
    assert kinds([*day[:2], scan("chonglan-park", IN, 1, 12, expect=DENY), *day[2:]]) == {
        "out_of_area"
    }
    assert kinds([scan("dongxing-port", IN, 1, 7), scan("jiangping-park", IN, 1, 7, 5)]) == {
        "impossible_travel"
    }
    assert kinds(day, end_date=date(2026, 11, 1), end_ms=wall(1, 0) - 1) == {"late_exit"}
    assert kinds(day + commute(2), revoked_ms=wall(1, 12)) == {"revoked_but_used"}
    assert kinds(day + commute(2), single_exit=True) == {"reused_after_exit"}


def test_the_stay_rules_read_now() -> None:
    """In China from day 1 (2 November); the permit ends on day 19 (20 November)."""
    stay = commute(1)[:2]
    assert kinds(stay, now_ms=wall(2, 12)) == set()
    assert kinds(stay, now_ms=wall(5, 12)) == {"not_seen_at_work"}
    seen = [*stay, scan("jiangping-park", CHECK, 10, 10)]
    assert kinds(seen, now_ms=wall(11, 23, 59)) == set()
    assert kinds(seen, now_ms=wall(12, 0, 1)) == {"exit_due"}
    seen_late = [*stay, scan("jiangping-park", CHECK, 19, 10)]
    assert kinds(seen_late, now_ms=wall(19, 23, 59)) == {"exit_due"}
    assert kinds(seen_late, now_ms=wall(20, 0, 1)) == {"overstay"}


@pytest.fixture(scope="module", params=[(1, 40, 2), (2, 60, 3), (3, 400, 3)])
def plan(request: pytest.FixtureRequest) -> Plan:
    seed, workers, days = request.param
    return build_plan(build_population(seed, workers, 6, days), SITES)


def test_the_planted_incidents_are_among_the_expected_alerts(plan: Plan) -> None:
    truth = ground_truth(plan, SITES, wall(plan.days, 23))
    assert truth.planted and truth.planted <= truth.final
    assert truth.planted_retracted <= truth.retracted
    assert Expected("edge_silent", plan.offline.site) in truth.retracted
    (reentrant,) = plan.population.of(Profile.REENTRANT)
    assert truth.late == {Expected("reused_after_exit", reentrant.worker_id)}
    assert truth.offline_scans > 0
    incidental = {e.kind for e in truth.final - truth.planted}
    assert incidental <= {"exit_due"}, truth.final - truth.planted


def test_the_truth_is_the_same_whenever_it_is_read_that_evening(plan: Plan) -> None:
    early = ground_truth(plan, SITES, wall(plan.days, 22))
    assert early == ground_truth(plan, SITES, wall(plan.days, 23, 59))


# -- agreement with the hub's engine --------------------------------------------------


def permit_of(worker: WorkerSpec) -> Permit:
    person = Worker.create(worker.name, worker.worker_id, worker.birth_date, worker.sex,
                           worker.name_zh)  # fmt: skip
    cover, issued_s = worker.valid_until + timedelta(days=90), wall(1, 0) // 1000 - 86_400
    return Permit(f"P-{worker.worker_id}", person, worker.employer.employer_id,
                  ("dongxing", worker.park.zone), worker.valid_from, worker.valid_until,
                  cover, cover, worker.single_exit, issued_s, bytes(8))  # fmt: skip


def engine_alerts(plan: Plan, scans: list[PlannedScan], now_ms: int) -> set[Expected]:
    """What the hub's engine computes from these scans, every edge synced to now."""
    marks = [EdgeWatermark(f"{s}-1", s, now_ms, now_ms, 0) for s in SITES.sites]
    revocations = [Revocation(RevocationKind.PERMIT, f"P-{w}", at // 1000)
                   for w, at in plan.revoked_at().items() if at < now_ms]  # fmt: skip
    ctx = ReconcileContext.build(Geography.of(SITES), now_ms, marks, revocations)
    seq: dict[str, int] = {}
    found: set[Expected] = set()
    by_worker: dict[str, list[Observation]] = {}
    for s in sorted(scans, key=lambda s: s.at_ms):
        seq[s.site] = seq.get(s.site, 0) + 1
        card = hashlib.sha256(s.actor.encode()).digest()
        by_worker.setdefault(s.worker_id, []).append(Observation(
            f"{s.site}-1", seq[s.site], s.site, s.direction, s.expect, (), f"P-{s.worker_id}",
            s.worker_id, None, True, s.at_ms, s.at_ms << 16, card,
        ))  # fmt: skip
    for worker in plan.population.workers:
        record = PermitRecord(permit_of(worker), worker.park.zone, HIRING_PERMIT[1])
        result = reconcile_worker(worker.worker_id, by_worker.get(worker.worker_id, []),
                                  [record], ctx)  # fmt: skip
        found |= {Expected(a.kind.value, worker.worker_id) for a in result.alerts}
    return found


def test_the_truth_agrees_with_the_hubs_engine_at_the_end(plan: Plan) -> None:
    now = wall(plan.days, 23)
    assert alerts_at(plan, plan.scans, now, SITES, TH) == engine_alerts(plan, list(plan.scans), now)


def test_the_truth_agrees_with_the_hubs_engine_before_the_late_log(plan: Plan) -> None:
    window, before = plan.offline, plan.offline.to_ms - 90 * MINUTE_MS
    offline = {id(s) for s in plan.scans
               if s.site == window.site and window.from_ms <= s.at_ms < window.to_ms}  # fmt: skip
    known = [s for s in plan.scans if s.at_ms < before and id(s) not in offline]
    assert alerts_at(plan, known, before, SITES, TH) == engine_alerts(plan, known, before)
    assert before - window.from_ms > 12 * HOUR_MS


def test_facts_of_a_worker_match_the_permit_the_hub_issues() -> None:
    population = build_population(1, 40, 6, 2)
    worker = population.workers[0]
    got = permit_facts(worker, "dongxing", None)
    assert got.area == permitted_area(permit_of(worker).zones)
    assert got.end_date == permit_of(worker).end_date
