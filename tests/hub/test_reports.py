"""The report computations (hub.reports), pure: overstayers, exits due, the annual
evaluation, the expelled list, and one employer's rows."""

from __future__ import annotations

from datetime import date, timedelta

from hub.records import RevocationEntry
from hub.reports import (
    AlertFacts,
    BorderMark,
    EmployerName,
    PermitFacts,
    annual_evaluation,
    candidates,
    exits_due,
    expelled,
    governing_permits,
    overstayers,
    visible_to,
)
from protocol.days import start_of_day_ms
from protocol.refs import Revocation, RevocationKind

TODAY = date(2026, 11, 2)
JP, CL = "E-JP-01", "E-CL-02"


def permit(
    pid: str, worker: str, until: date, *, employer: str = JP, start: date = date(2026, 6, 1),
    health: date | None = None, hiring: date = date(2027, 12, 31), issued: date | None = None,
) -> PermitFacts:  # fmt: skip
    return PermitFacts(
        permit_id=pid, worker_id=worker, worker_name=f"Name {worker}", worker_name_zh=None,
        employer_id=employer, employer_name=f"Company {employer}", valid_from=start,
        valid_until=until, health_cert_until=health or until + timedelta(days=60),
        insurance_until=until + timedelta(days=60), hiring_permit_until=hiring,
        issued_at_s=start_of_day_ms(issued or start) // 1000 + 3600,
    )  # fmt: skip


def entry(worker: str, day: date = date(2026, 10, 1), site: str = "dongxing-port") -> BorderMark:
    return BorderMark(worker, "in", start_of_day_ms(day) + 9 * 3_600_000, site)


def exit_(worker: str, day: date = date(2026, 10, 20)) -> BorderMark:
    return BorderMark(worker, "out", start_of_day_ms(day), "dongxing-port")


def test_the_end_date_is_the_earliest_of_every_end() -> None:
    p = permit("P1", "W1", date(2026, 12, 31), health=date(2026, 12, 1), hiring=date(2026, 11, 15))
    assert p.end_date == date(2026, 11, 15)
    assert permit("P2", "W1", date(2026, 12, 31), health=date(2026, 12, 1)).end_date == date(
        2026, 12, 1
    )


def test_an_overstayer_is_in_china_past_the_end_date() -> None:
    permits = [
        permit("P1", "W1", date(2026, 10, 30)),  # in China, 3 days over
        permit("P2", "W2", date(2026, 10, 30)),  # left China: not an overstayer
        permit("P3", "W3", date(2026, 11, 2)),  # in China, ends today: not yet over
        permit("P4", "W4", date(2026, 9, 30)),  # never scanned at a border gate
        permit("P5", "W5", date(2026, 10, 1), hiring=date(2026, 10, 25)),  # employer's end
    ]
    marks = [entry("W1"), exit_("W2"), entry("W3"), entry("W5", site="beilun-bridge-2")]
    found = overstayers(permits, marks, TODAY)
    assert [(r.permit.worker_id, r.days) for r in found] == [("W5", 32), ("W1", 3)]
    assert found[0].entry_site == "beilun-bridge-2"
    assert found[1].entered_at_ms == marks[0].at_ms
    assert overstayers(permits, marks, date(2026, 11, 3))[-1].permit.worker_id == "W3"


def test_a_renewed_permit_governs_the_stay() -> None:
    old = permit("P1", "W1", date(2026, 10, 30))
    renewed = permit("P2", "W1", date(2027, 3, 31), start=date(2026, 10, 25))
    future = permit("P3", "W2", date(2027, 6, 30), start=date(2026, 12, 1))
    assert governing_permits([old, renewed, future], TODAY) == {"W1": renewed}
    assert overstayers([old, renewed], [entry("W1")], TODAY) == []
    assert [r.days for r in overstayers([old], [entry("W1")], TODAY)] == [3]


def test_exits_due_this_week_per_employer() -> None:
    permits = [
        permit("P1", "W1", TODAY),  # ends today: due, 0 days left
        permit("P2", "W2", TODAY + timedelta(days=6)),  # last day of the week
        permit("P3", "W3", TODAY + timedelta(days=7)),  # next week
        permit("P4", "W4", TODAY + timedelta(days=2), employer=CL),
        permit("P5", "W5", TODAY + timedelta(days=3)),  # at home in Vietnam
        permit("P6", "W6", TODAY - timedelta(days=1)),  # overdue: an overstayer, not due
    ]
    marks = [entry(w) for w in ("W1", "W2", "W3", "W4", "W6")] + [exit_("W5")]
    due = exits_due(permits, marks, TODAY)
    assert [(r.employer_id, r.permit.worker_id, r.days) for r in due] == [
        (CL, "W4", 2), (JP, "W1", 0), (JP, "W2", 6),
    ]  # fmt: skip
    assert [r.permit.worker_id for r in exits_due(permits, marks, TODAY, days=1)] == ["W1"]


def test_only_candidates_border_events_are_needed() -> None:
    permits = [
        permit("P1", "W1", TODAY - timedelta(days=1)),
        permit("P2", "W2", TODAY + timedelta(days=3)),
        permit("P3", "W3", TODAY + timedelta(days=30)),
        permit("P4", "W4", TODAY - timedelta(days=5)),
        permit("P5", "W4", TODAY + timedelta(days=60), start=TODAY - timedelta(days=2)),
    ]
    assert candidates(permits, TODAY, overdue=True) == {"W1"}  # W4 renewed
    assert candidates(permits, TODAY, overdue=False) == {"W2"}
    marks = [entry(w) for w in ("W1", "W2", "W3", "W4")]
    for overdue, report in ((True, overstayers), (False, exits_due)):
        wanted = candidates(permits, TODAY, overdue=overdue)
        assert report(permits, [m for m in marks if m.worker_id in wanted], TODAY) == report(
            permits, marks, TODAY
        )


def revocation(
    kind: RevocationKind, subject: str, day: date, *, lifted: bool = False, rid: int = 1
) -> RevocationEntry:
    at = start_of_day_ms(day) // 1000 + 3600
    return RevocationEntry(rid, Revocation(kind, subject, at, "broke the rules"), "user:hr",
                           at + 60 if lifted else None)  # fmt: skip


def alert(kind: str, severity: str, employer: str | None, day: date, **flags: bool) -> AlertFacts:
    return AlertFacts(kind, severity, employer, start_of_day_ms(day) + 1000,
                      flags.get("provisional", False), flags.get("retracted", False))  # fmt: skip


def test_the_annual_evaluation_counts_one_company_for_one_year() -> None:
    employers = [EmployerName(JP, "Jiangping"), EmployerName(CL, "Chonglan")]
    permits = [
        permit("P1", "W1", date(2026, 12, 31), start=date(2026, 3, 1)),
        permit("P2", "W1", date(2027, 3, 1), start=date(2026, 12, 20)),  # same worker
        permit("P3", "W2", date(2026, 1, 10), start=date(2025, 9, 1)),  # into 2026
        permit("P4", "W3", date(2025, 12, 1), start=date(2025, 6, 1)),  # 2025 only
        permit("P5", "W4", date(2026, 8, 1), employer=CL),
    ]
    day = date(2026, 5, 5)
    alerts = [
        alert("overstay", "high", JP, day),  # a violation
        alert("inland_attempt", "urgent", JP, day),  # a violation
        alert("out_of_area", "high", JP, day, provisional=True),  # not yet a violation
        alert("double_entry", "medium", JP, day),
        alert("overstay", "high", JP, day, retracted=True),  # no longer supported
        alert("overstay", "high", JP, date(2025, 12, 31)),  # last year
        alert("edge_silent", "ops", None, day),  # no employer
        alert("late_exit", "medium", CL, day),
    ]
    revocations = [
        revocation(RevocationKind.PERMIT, "P1", day, rid=1),
        revocation(RevocationKind.WORKER, "W2", day, rid=2),
        revocation(RevocationKind.WORKER, "W1", day, lifted=True, rid=3),  # lifted
        revocation(RevocationKind.EMPLOYER, JP, date(2025, 2, 1), rid=4),  # last year
        revocation(RevocationKind.EMPLOYER, CL, day, rid=5),
    ]
    cl, jp = annual_evaluation(employers, permits, alerts, revocations, 2026)
    assert (jp.employer_id, jp.employer_name, jp.year) == (JP, "Jiangping", 2026)
    assert (jp.workers, jp.permits) == (2, 2)
    assert dict(jp.alerts) == {"overstay": 1, "inland_attempt": 1, "out_of_area": 1,
                               "double_entry": 1}  # fmt: skip
    assert (jp.alerts_total, jp.violations, jp.revocations) == (4, 2, 2)
    assert (cl.workers, cl.permits, dict(cl.alerts), cl.violations, cl.revocations) == (
        1, 1, {"late_exit": 1}, 0, 1,
    )  # fmt: skip
    (jp_2025,) = annual_evaluation([employers[0]], permits, alerts, revocations, 2025)
    assert (jp_2025.workers, jp_2025.permits, jp_2025.alerts_total, jp_2025.violations,
            jp_2025.revocations) == (2, 2, 1, 1, 1)  # fmt: skip


def test_a_company_with_nothing_gets_a_row_of_zeros() -> None:
    (row,) = annual_evaluation([EmployerName("E-NEW", "New")], [], [], [], 2026)
    assert (row.workers, row.permits, row.alerts_total, row.violations, row.revocations) == (
        0, 0, 0, 0, 0,
    )  # fmt: skip


def test_the_expelled_list_names_workers_and_companies_in_force() -> None:
    permits = [permit("P1", "W1", date(2027, 1, 1)),
               permit("P2", "W1", date(2027, 1, 1), employer=CL),
               permit("P3", "W2", date(2027, 1, 1))]  # fmt: skip
    employers = [EmployerName(JP, "Jiangping"), EmployerName(CL, "Chonglan")]
    revocations = [
        revocation(RevocationKind.WORKER, "W1", date(2026, 10, 1), rid=1),
        revocation(RevocationKind.WORKER, "W2", date(2026, 10, 2), lifted=True, rid=2),
        revocation(RevocationKind.PERMIT, "P3", date(2026, 10, 3), rid=3),
        revocation(RevocationKind.EMPLOYER, CL, date(2026, 10, 4), rid=4),
    ]
    rows = expelled(revocations, permits, employers)
    assert [(r.kind, r.subject, r.name) for r in rows] == [
        ("employer", CL, "Chonglan"), ("worker", "W1", "Name W1"),
    ]  # fmt: skip
    assert rows[1].employer_ids == {JP, CL}
    assert [r.subject for r in visible_to(rows, JP)] == ["W1"]
    assert [r.subject for r in visible_to(rows, CL)] == [CL, "W1"]
    assert [r.subject for r in visible_to(rows, "E-OTHER")] == []
    assert visible_to(rows, None) == rows


def test_an_employer_sees_only_its_own_rows() -> None:
    permits = [permit("P1", "W1", TODAY), permit("P2", "W2", TODAY, employer=CL)]
    due = exits_due(permits, [entry("W1"), entry("W2")], TODAY)
    assert [r.permit.worker_id for r in visible_to(due, CL)] == ["W2"]
    rows = annual_evaluation([EmployerName(JP, "J"), EmployerName(CL, "C")], permits, [], [],
                             2026)  # fmt: skip
    assert [r.employer_id for r in visible_to(rows, JP)] == [JP]
