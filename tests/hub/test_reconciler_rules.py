"""The reconciler's pure parts: the alerts' lifecycle table and when time alone can
next change a worker's alerts."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from factories import make_permit, make_worker

from hub.alert_lifecycle import (
    PERSON_MOVES,
    RECONCILER,
    AlertStatus,
    Change,
    PersonAction,
    after_reraise,
    confirmation_change,
    person_move,
    refusal_reason,
    resolves_on_retraction,
)
from hub.alert_schedule import next_due_ms
from hub.reconcile import (
    EdgeWatermark,
    Geography,
    Observation,
    PermitRecord,
    ReconcileContext,
    ReconcileSettings,
    build_timeline,
    settle,
)
from hub.store.alert_queues import settled_from_json, settled_json
from protocol.days import DAY_MS, end_of_day_ms, start_of_day_ms
from protocol.sites import default_site_map
from protocol.verdict import Direction, Outcome

GEOGRAPHY = Geography.of(default_site_map())
START = date(2026, 11, 2)
END = date(2026, 11, 30)
HOUR_MS = 3_600_000


def test_a_person_moves_forward_only() -> None:
    open_, acked, resolved = AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED
    ack, resolve = PersonAction.ACKNOWLEDGE, PersonAction.RESOLVE
    assert person_move(open_, ack) is acked
    assert person_move(open_, resolve) is resolved
    assert person_move(acked, resolve) is resolved
    for status, action in [(acked, ack), (resolved, ack), (resolved, resolve)]:
        assert person_move(status, action) is None
        assert (status, action) not in PERSON_MOVES
    assert refusal_reason(acked, ack) == "already_acknowledged"
    assert refusal_reason(resolved, ack) == refusal_reason(resolved, resolve) == "already_resolved"


def test_a_retraction_resolves_only_what_is_still_being_worked_on() -> None:
    assert resolves_on_retraction(AlertStatus.OPEN)
    assert resolves_on_retraction(AlertStatus.ACKNOWLEDGED)
    assert not resolves_on_retraction(AlertStatus.RESOLVED)


def test_an_alert_raised_again_reopens_only_if_the_reconciler_had_resolved_it() -> None:
    assert after_reraise(AlertStatus.RESOLVED, RECONCILER) is AlertStatus.OPEN
    assert after_reraise(AlertStatus.RESOLVED, "user:li") is AlertStatus.RESOLVED
    assert after_reraise(AlertStatus.OPEN, None) is AlertStatus.OPEN
    assert after_reraise(AlertStatus.ACKNOWLEDGED, None) is AlertStatus.ACKNOWLEDGED


def test_an_update_is_named_by_what_happened_to_provisional() -> None:
    assert confirmation_change(True, False) is Change.CONFIRMED
    assert confirmation_change(False, True) is Change.PROVISIONAL
    assert confirmation_change(True, True) is Change.UPDATED
    assert confirmation_change(False, False) is Change.UPDATED


def record(park: str | None = "dongxing/jiangping") -> PermitRecord:
    permit = make_permit(
        worker=make_worker(), valid_from=START, valid_until=END, health_cert_until=END,
        insurance_until=END, zones=("dongxing", "dongxing/jiangping"),
    )  # fmt: skip
    return PermitRecord(permit, park, date(2027, 12, 31))


def scan(seq: int, site: str, direction: str, at_ms: int) -> Observation:
    p = record().permit
    return Observation(
        "edge", seq, site, Direction(direction), Outcome.ALLOW, (), p.permit_id, p.worker_id,
        p.employer_id, True, at_ms, at_ms << 16, bytes(16),
    )  # fmt: skip


def due(scans: list[Observation], now_ms: int, park: str | None = "dongxing/jiangping"):
    permit = record(park)
    ctx = ReconcileContext.build(GEOGRAPHY, now_ms, settings=ReconcileSettings())
    timeline = build_timeline(permit.worker_id, scans, {permit.permit_id: permit}, GEOGRAPHY)
    return next_due_ms(timeline, ctx)


ENTRY = start_of_day_ms(START) + 8 * HOUR_MS
WARN_FROM = start_of_day_ms(END - timedelta(days=7))


def test_in_china_the_next_instant_is_the_earliest_rule_to_change() -> None:
    entered = [scan(1, "dongxing-port", "in", ENTRY)]
    assert due(entered, ENTRY + HOUR_MS) == ENTRY + 3 * DAY_MS + 1  # not seen at work
    seen = [*entered, scan(2, "jiangping-park", "in", ENTRY + 5 * DAY_MS)]
    assert due(seen, ENTRY + 5 * DAY_MS) == ENTRY + 8 * DAY_MS + 1
    assert due(entered, ENTRY + HOUR_MS, park=None) == WARN_FROM  # exit due opens
    assert due(entered, WARN_FROM, park=None) == end_of_day_ms(END) + 1  # overstay
    assert due(entered, end_of_day_ms(END) + 1, park=None) is None


@pytest.mark.parametrize("now", [ENTRY + HOUR_MS, end_of_day_ms(END) + DAY_MS])
def test_out_of_china_time_changes_nothing(now: int) -> None:
    left = [scan(1, "dongxing-port", "in", ENTRY), scan(2, "dongxing-port", "out", ENTRY + HOUR_MS)]
    assert due(left, now) is None
    assert due([], now) is None


def test_a_settled_past_round_trips_through_its_stored_form() -> None:
    permit = record()
    scans = [
        scan(1, "dongxing-port", "in", ENTRY),
        scan(2, "jiangping-park", "in", ENTRY + HOUR_MS),
        scan(3, "dongxing-port", "out", ENTRY + 10 * HOUR_MS),
        scan(4, "dongxing-port", "in", ENTRY + DAY_MS),
        scan(5, "jiangping-park", "check", ENTRY + DAY_MS + HOUR_MS),
    ]
    now = ENTRY + 3 * DAY_MS
    marks = [EdgeWatermark("edge", "dongxing-port", now, now)]
    ctx = ReconcileContext.build(GEOGRAPHY, now, marks, settings=ReconcileSettings())
    book = {permit.permit_id: permit}
    cut = settle(build_timeline(permit.worker_id, scans, book, GEOGRAPHY), book, ctx)
    assert cut is not None and cut.stay is not None  # in China across the cut
    assert cut.previous_exit == scans[2]
    text = settled_json(cut)
    assert text is not None
    assert settled_from_json(text) == cut
    assert settled_json(None) is None and settled_from_json(None) is None
    stale = json.loads(text)
    stale["shape"] = "older"
    assert settled_from_json(json.dumps(stale)) is None  # the engine's values changed
    for broken in ("{", "[]", '{"shape": 1}', text.replace('"S"', '"X"')):
        assert settled_from_json(broken) is None
