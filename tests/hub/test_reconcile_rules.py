"""One worker's alerts, rule by rule: what raises each kind, what does not, how a
provisional alert is confirmed by watermarks, and how late evidence retracts it."""

from __future__ import annotations

from factories import ISSUED_AT
from test_reconcile_world import GEO, JIANGPING, WORKER, World, at, day, kinds, record

from hub.reconcile import AlertKind, RetractionCause, Severity, diff_alerts, reconcile_worker
from protocol.refs import Revocation, RevocationKind

NOON = at(0, 12)
FANGCHENG_ZONES = ("dongxing", "fangchenggang", "fangchenggang/gangkou-park")


def test_an_ordinary_month_of_commuting_raises_nothing() -> None:
    world = World(record(single_exit=False))
    for d in range(-9, 0):
        world.commute(d)
    world.scan("jiangping-park", "check", at(-1, 11))
    assert world.alerts(NOON) == ()


# inland_attempt


def test_hengjiang_inward_without_a_fangchenggang_zone_is_urgent() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(0, 7))
    attempt = world.scan("hengjiang", "in", at(0, 9), verdict="alert")
    [alert] = world.of_kind(AlertKind.INLAND_ATTEMPT, NOON)
    assert alert.severity is Severity.URGENT
    assert alert.evidence == (attempt.ref,)
    assert (alert.site, alert.permit_id, alert.worker_id) == ("hengjiang", "P-1", WORKER)
    assert alert.facts == {"zone": "fangchenggang", "scans": 1}
    assert not alert.provisional


def test_hengjiang_inward_with_a_fangchenggang_zone_is_allowed_but_maoling_never() -> None:
    world = World(record(zones=FANGCHENG_ZONES, park_zone="fangchenggang/gangkou-park"))
    world.scan("dongxing-port", "in", at(0, 7))
    world.scan("hengjiang", "in", at(0, 8))
    assert world.of_kind(AlertKind.INLAND_ATTEMPT, NOON) == []
    world.scan("maoling", "in", at(0, 10), verdict="alert")
    [alert] = world.of_kind(AlertKind.INLAND_ATTEMPT, NOON)
    assert (alert.site, alert.facts["zone"]) == ("maoling", "inland")


def test_attempts_on_one_day_make_one_alert_and_another_day_another() -> None:
    world = World()
    first = world.scan("hengjiang", "in", at(-1, 9), verdict="alert")
    second = world.scan("hengjiang", "in", at(-1, 9, 40), verdict="alert")
    third = world.scan("hengjiang", "in", at(0, 9), verdict="alert")
    alerts = world.of_kind(AlertKind.INLAND_ATTEMPT, NOON)
    assert [a.evidence for a in alerts] == [(first.ref, second.ref), (third.ref,)]
    assert [a.facts["scans"] for a in alerts] == [2, 1]


def test_coming_back_through_hengjiang_is_no_inland_attempt() -> None:
    world = World()
    world.scan("hengjiang", "out", at(0, 9))
    assert world.of_kind(AlertKind.INLAND_ATTEMPT, NOON) == []


# out_of_area


def test_a_scan_at_another_park_is_out_of_area_even_when_refused() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(0, 7))
    refused = world.scan("kec-park", "in", at(0, 8), verdict="deny")
    [alert] = world.of_kind(AlertKind.OUT_OF_AREA, NOON)
    assert alert.severity is Severity.HIGH
    assert (alert.evidence, alert.facts["zone"]) == ((refused.ref,), "dongxing/kec")


def test_the_own_park_and_the_city_are_in_area() -> None:
    world = World()
    world.commute(0)
    world.scan("hengjiang", "check", at(0, 12))
    assert world.of_kind(AlertKind.OUT_OF_AREA, at(0, 20)) == []


def test_coming_out_through_a_checkpoint_shows_where_the_worker_was() -> None:
    world = World()
    world.scan("hengjiang", "out", at(0, 9))
    world.scan("maoling", "out", at(0, 8))
    alerts = world.of_kind(AlertKind.OUT_OF_AREA, NOON)
    assert sorted((a.site, a.facts["zone"]) for a in alerts) == [
        ("hengjiang", "fangchenggang"),
        ("maoling", "fangchenggang"),
    ]


def test_a_border_gate_counts_only_once_the_worker_is_let_in() -> None:
    world = World(record(zones=("fangchenggang/gangkou-park",), park_zone=None))
    world.scan("dongxing-port", "in", at(0, 7), verdict="deny")
    assert world.of_kind(AlertKind.OUT_OF_AREA, NOON) == []
    admitted = world.scan("beilun-bridge-2", "in", at(0, 8))
    [alert] = world.of_kind(AlertKind.OUT_OF_AREA, NOON)
    assert (alert.evidence, alert.facts["zone"]) == ((admitted.ref,), "dongxing")


# overstay and late_exit


def test_overstay_is_provisional_until_every_border_gate_synced_past_the_deadline() -> None:
    world = World(record(valid_until=day(0)))
    entry = world.scan("dongxing-port", "in", at(-3, 7))
    world.scan("jiangping-park", "in", at(-3, 8))
    assert world.of_kind(AlertKind.OVERSTAY, at(0, 23, 59)) == []
    lag = {"beilun-bridge-2-1": at(0, 20)}
    [early] = world.of_kind(AlertKind.OVERSTAY, at(2, 12), lagging=lag)
    assert early.provisional and early.severity is Severity.HIGH
    assert early.at_ms == at(1, 0)
    assert early.evidence[0] == entry.ref
    assert early.facts == {"end_date": "2026-11-02", "since_ms": entry.at_ms, "entered": True}
    [confirmed] = world.of_kind(
        AlertKind.OVERSTAY, at(2, 12), lagging={"beilun-bridge-2-1": at(1, 1)}
    )
    assert not confirmed.provisional and confirmed.alert_id == early.alert_id


def test_a_late_exit_log_retracts_the_overstay_and_raises_late_exit() -> None:
    world = World(record(valid_until=day(0)))
    world.scan("dongxing-port", "in", at(-3, 7))
    now = at(2, 12)
    stored = world.alerts(now, lagging={"beilun-bridge-2-1": at(0, 20)})
    assert kinds(stored) == ["not_seen_at_work", "overstay"]
    exit_ = world.scan("beilun-bridge-2", "out", at(1, 9))
    result = reconcile_worker(WORKER, world.observations, world.records, world.context(now))
    diff = diff_alerts(stored, result.alerts, result.timeline)
    assert [r.alert.kind for r in diff.retract] == [AlertKind.NOT_SEEN_AT_WORK, AlertKind.OVERSTAY]
    overstay = next(r for r in diff.retract if r.alert.kind is AlertKind.OVERSTAY)
    assert overstay.cause is RetractionCause.LATE_EVIDENCE
    assert overstay.evidence == (exit_.ref,)
    [late] = diff.insert
    assert late.kind is AlertKind.LATE_EXIT and late.severity is Severity.MEDIUM
    assert late.evidence == (exit_.ref,)
    assert late.facts == {"end_date": "2026-11-02", "days_late": 1}


def test_an_exit_on_the_last_day_is_on_time_even_at_23_30_in_vietnam_it_is_not() -> None:
    world = World(record(valid_until=day(-1)))
    world.scan("dongxing-port", "in", at(-3, 7))
    world.scan("dongxing-port", "out", at(-1, 23, 59))
    assert world.of_kind(AlertKind.LATE_EXIT, NOON) == []
    late_world = World(record(valid_until=day(-1)))
    late_world.scan("dongxing-port", "in", at(-3, 7))
    late_world.scan("dongxing-port", "out", at(0, 0, 30))  # 23:30 in Mong Cai, day -1
    [alert] = late_world.of_kind(AlertKind.LATE_EXIT, NOON)
    assert alert.facts["days_late"] == 1


def test_the_employers_hiring_permit_bounds_the_stay() -> None:
    world = World(record(hiring_permit_until=day(-1)))
    world.scan("dongxing-port", "in", at(-3, 7))
    world.scan("jiangping-park", "in", at(0, 8))
    [alert] = world.of_kind(AlertKind.OVERSTAY, NOON)
    assert alert.facts["end_date"] == day(-1).isoformat()


def test_a_renewed_permit_shown_in_china_extends_the_stay() -> None:
    first = record("P-1", valid_until=day(-1), single_exit=False)
    renewal = record("P-2", valid_from=day(-2), valid_until=day(60))
    world = World(first, renewal)
    world.scan("dongxing-port", "in", at(-5, 7), permit="P-1")
    assert kinds(world.alerts(NOON)) == ["not_seen_at_work", "overstay"]
    world.scan("jiangping-park", "check", at(0, 9), permit="P-2")
    assert world.alerts(NOON) == ()


def test_a_permit_shown_before_it_is_in_force_does_not_extend_the_stay() -> None:
    first = record("P-1", valid_until=day(-1))
    later = record("P-2", valid_from=day(5), valid_until=day(60))
    world = World(first, later)
    world.scan("dongxing-port", "in", at(-5, 7), permit="P-1")
    world.scan("jiangping-park", "in", at(-1, 9), permit="P-2", verdict="deny")
    [alert] = world.of_kind(AlertKind.OVERSTAY, NOON)
    assert alert.permit_id == "P-1"


# exit_due


def test_exit_due_within_seven_days_and_not_before() -> None:
    soon = World(record(valid_until=day(7)))
    entry = soon.scan("dongxing-port", "in", at(-3, 7))
    [alert] = soon.of_kind(AlertKind.EXIT_DUE, NOON)
    assert alert.severity is Severity.INFO and not alert.provisional
    assert alert.facts["employer_id"] == "EMP-JP-001"
    assert alert.evidence == (entry.ref,)
    later = World(record(valid_until=day(8)))
    later.scan("dongxing-port", "in", at(-3, 7))
    assert later.of_kind(AlertKind.EXIT_DUE, NOON) == []


def test_exit_due_ends_with_the_exit_or_turns_into_overstay() -> None:
    world = World(record(valid_until=day(2)))
    world.scan("dongxing-port", "in", at(-3, 7))
    assert AlertKind.EXIT_DUE in {a.kind for a in world.alerts(at(2, 23))}
    assert AlertKind.EXIT_DUE not in {a.kind for a in world.alerts(at(3, 0))}
    world.scan("dongxing-port", "out", at(1, 18))
    assert world.alerts(at(2, 23)) == ()


# missing_entry


def test_a_scan_in_china_with_no_entry_is_provisional_until_the_gates_synced() -> None:
    world = World()
    scan = world.scan("jiangping-park", "in", at(0, 8))
    lag = {"dongxing-port-1": at(0, 7)}
    [alert] = world.of_kind(AlertKind.MISSING_ENTRY, NOON, lagging=lag)
    assert alert.provisional and alert.severity is Severity.MEDIUM
    assert (alert.evidence, alert.site) == ((scan.ref,), "jiangping-park")
    [confirmed] = world.of_kind(AlertKind.MISSING_ENTRY, NOON)
    assert not confirmed.provisional and confirmed.alert_id == alert.alert_id


def test_the_late_entry_retracts_the_missing_entry() -> None:
    world = World()
    world.scan("jiangping-park", "in", at(0, 8))
    world.scan("jiangping-park", "check", at(0, 10))
    stored = world.alerts(NOON, lagging={"dongxing-port-1": at(0, 7)})
    assert kinds(stored) == ["missing_entry"]
    entry = world.scan("dongxing-port", "in", at(0, 7, 30))
    result = reconcile_worker(WORKER, world.observations, world.records, world.context(NOON))
    diff = diff_alerts(stored, result.alerts, result.timeline)
    [retraction] = diff.retract
    assert retraction.cause is RetractionCause.LATE_EVIDENCE
    assert retraction.evidence == (entry.ref,)
    assert diff.insert == diff.update == ()


def test_an_exit_with_no_entry_is_a_missing_entry_once_per_stay() -> None:
    world = World(record(single_exit=False))
    world.commute(-2)
    world.scan("dongxing-port", "out", at(-1, 18))
    world.scan("jiangping-park", "in", at(0, 8))
    world.scan("jiangping-park", "out", at(0, 17))
    alerts = world.of_kind(AlertKind.MISSING_ENTRY, at(0, 20))
    assert [a.facts["since_ms"] for a in alerts] == [at(-1, 18), at(0, 8)]
    assert alerts[1].facts["previous_exit_ms"] == at(-1, 18)


# double_entry


def test_two_entries_without_an_exit_then_the_late_exit_between_them() -> None:
    world = World(record(single_exit=False))
    first = world.scan("dongxing-port", "in", at(-2, 7))
    second = world.scan("beilun-bridge-2", "in", at(-1, 7))
    lag = {"dongxing-port-1": at(-1, 0)}
    [alert] = world.of_kind(AlertKind.DOUBLE_ENTRY, NOON, lagging=lag)
    assert alert.provisional and alert.evidence == (first.ref, second.ref)
    stored = world.alerts(NOON, lagging=lag)
    exit_ = world.scan("dongxing-port", "out", at(-2, 18))
    result = reconcile_worker(WORKER, world.observations, world.records, world.context(NOON))
    diff = diff_alerts(stored, result.alerts, result.timeline)
    [retraction] = [r for r in diff.retract if r.alert.kind is AlertKind.DOUBLE_ENTRY]
    assert retraction.evidence == (exit_.ref,)


def test_a_refused_entry_is_no_entry() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(-1, 7))
    world.scan("dongxing-port", "in", at(0, 7), verdict="deny")
    assert world.of_kind(AlertKind.DOUBLE_ENTRY, NOON) == []


# reused_after_exit


def test_a_single_exit_permit_let_in_again_after_its_exit() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(-3, 7))
    exit_ = world.scan("dongxing-port", "out", at(-3, 18))
    world.scan("beilun-bridge-2", "in", at(-2, 7), verdict="deny")
    use = world.scan("beilun-bridge-2", "in", at(-1, 7))
    world.scan("beilun-bridge-2", "out", at(-1, 18))
    [alert] = world.of_kind(AlertKind.REUSED_AFTER_EXIT, NOON)
    assert alert.severity is Severity.HIGH
    assert alert.evidence == (exit_.ref, use.ref)
    assert alert.facts == {"exit_ms": exit_.at_ms, "uses": 1}


def test_a_multi_exit_permit_may_come_back() -> None:
    world = World(record(single_exit=False))
    world.commute(-2)
    world.commute(-1)
    assert world.of_kind(AlertKind.REUSED_AFTER_EXIT, NOON) == []


# revoked_but_used


def revoked(kind: RevocationKind, subject: str, at_ms: int) -> Revocation:
    return Revocation(kind, subject, at_ms // 1000, "test")


def test_an_allowed_scan_after_the_revocation() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(-3, 7))
    use = world.scan("jiangping-park", "in", at(-1, 8))
    world.scan("jiangping-park", "in", at(-1, 9), verdict="deny")
    world.scan("dongxing-port", "out", at(-1, 18))  # leaving is what a revocation asks
    revocation = revoked(RevocationKind.PERMIT, "P-1", at(-2, 0))
    [alert] = world.of_kind(AlertKind.REVOKED_BUT_USED, NOON, revocations=[revocation])
    assert alert.severity is Severity.HIGH and alert.evidence == (use.ref,)
    assert alert.facts["revocation"] == "permit" and alert.facts["uses"] == 1


def test_a_worker_revocation_covers_only_permits_issued_before_it() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(-1, 7))
    before = revoked(RevocationKind.WORKER, WORKER, at(-2, 0))
    assert world.of_kind(AlertKind.REVOKED_BUT_USED, NOON, revocations=[before])
    old = Revocation(RevocationKind.EMPLOYER, "EMP-JP-001", ISSUED_AT - 1, "test")
    assert world.of_kind(AlertKind.REVOKED_BUT_USED, NOON, revocations=[old]) == []


# impossible_travel


def test_two_sites_too_close_in_time_is_a_cloned_card() -> None:
    world = World(record(zones=FANGCHENG_ZONES, park_zone=None))
    a = world.scan("dongxing-port", "in", at(0, 7))
    b = world.scan("gangkou-park", "in", at(0, 7, 10), card="a copy")
    [alert] = world.of_kind(AlertKind.IMPOSSIBLE_TRAVEL, NOON)
    assert alert.severity is Severity.HIGH and alert.evidence == (a.ref, b.ref)
    expected = GEO.travel_ms[("dongxing-port", "gangkou-park")] // 1000
    assert alert.facts["seconds"] == 600 and alert.facts["min_seconds"] == expected > 600
    assert alert.facts["same_card"] is False


def test_a_plausible_trip_or_the_same_site_twice_is_no_travel_alert() -> None:
    world = World(record(zones=FANGCHENG_ZONES, park_zone=None))
    world.scan("dongxing-port", "in", at(0, 7))
    world.scan("dongxing-port", "in", at(0, 7, 1), verdict="deny")
    world.scan("gangkou-park", "in", at(0, 9))
    assert world.of_kind(AlertKind.IMPOSSIBLE_TRAVEL, NOON) == []


def test_a_late_scan_between_two_does_not_hide_the_impossible_pair() -> None:
    world = World(record(zones=FANGCHENG_ZONES, park_zone=None))
    world.scan("dongxing-port", "in", at(0, 7))
    world.scan("gangkou-park", "in", at(0, 7, 20))
    [before] = world.of_kind(AlertKind.IMPOSSIBLE_TRAVEL, NOON)
    world.scan("hengjiang", "in", at(0, 7, 10))
    [after] = world.of_kind(AlertKind.IMPOSSIBLE_TRAVEL, NOON)
    assert after.alert_id == before.alert_id
    assert after.facts["pairs"] == 3 and len(after.evidence) == 3


# not_seen_at_work


def test_not_seen_at_the_park_for_three_days() -> None:
    world = World()
    entry = world.scan("dongxing-port", "in", at(-5, 7))
    world.scan("jiangping-park", "in", at(-5, 8))
    lag = {"jiangping-park-1": at(-2, 0)}
    [alert] = world.of_kind(AlertKind.NOT_SEEN_AT_WORK, NOON, lagging=lag)
    assert alert.provisional and alert.severity is Severity.MEDIUM
    assert alert.at_ms == at(-2, 8) + 1 and alert.site == "jiangping-park"
    assert alert.facts == {
        "park_zone": JIANGPING,
        "last_seen_ms": at(-5, 8),
        "since_ms": entry.at_ms,
    }
    [confirmed] = world.of_kind(AlertKind.NOT_SEEN_AT_WORK, NOON)
    assert not confirmed.provisional and confirmed.alert_id == alert.alert_id


def test_the_late_park_log_retracts_not_seen_at_work() -> None:
    world = World()
    world.scan("dongxing-port", "in", at(-5, 7))
    stored = world.alerts(NOON, lagging={"jiangping-park-1": at(-5, 0)})
    assert kinds(stored) == ["not_seen_at_work"]
    seen = world.scan("jiangping-park", "in", at(-1, 8))
    result = reconcile_worker(WORKER, world.observations, world.records, world.context(NOON))
    [retraction] = diff_alerts(stored, result.alerts, result.timeline).retract
    assert retraction.evidence == (seen.ref,)


def test_no_park_no_rule_and_a_recent_scan_is_enough() -> None:
    parkless = World(record(park_zone=None))
    parkless.scan("dongxing-port", "in", at(-5, 7))
    assert parkless.alerts(NOON) == ()
    world = World()
    world.scan("dongxing-port", "in", at(-5, 7))
    world.scan("jiangping-park", "check", at(-1, 8))
    assert world.alerts(NOON) == ()


# what is not genuine


def test_a_forged_card_raises_nothing_against_the_worker_it_names() -> None:
    world = World()
    forged = world.scan("maoling", "in", at(0, 9), verdict="deny", verified=False)
    world.scan("kec-park", "in", at(0, 9, 5), verdict="deny", verified=False)
    result = reconcile_worker(WORKER, world.observations, world.records, world.context(NOON))
    assert result.alerts == ()
    assert forged in result.timeline.observations and result.timeline.genuine == ()


def test_scans_of_a_permit_the_registry_does_not_know_are_ignored() -> None:
    world = World()
    world.scan("maoling", "in", at(0, 9), permit="P-UNKNOWN")
    assert world.alerts(NOON) == ()
