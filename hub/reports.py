"""The hub's reports, pure: rows read by :mod:`hub.store.reports` in, report rows out.

* :func:`overstayers`: workers in China (their last border event is an entry) past
  their end date;
* :func:`exits_due`: workers in China whose end date falls within the next days
  (default 7: this week), for their employers to organise the exit;
* :func:`annual_evaluation`: per company for a year: workers, permits, alerts by kind,
  violations and revocations;
* :func:`expelled`: the workers and companies expelled (active revocations).

A worker's *end date* is the earliest of the permit's end, the health certificate, the
insurances and the employer's hiring permit (DESIGN.md section 5). A worker in China
is governed by their permit with the latest end date among those already in force;
that permit's employer is the one the row belongs to. Every row names its employer,
so :func:`visible_to` limits a report to one employer's own rows.

:mod:`hub.report_tables` lays the rows out as columns and cells for the page (HTML) and
:mod:`hub.csv_export` (CSV).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from hub.records import RevocationEntry
from protocol.days import shanghai_date
from protocol.refs import RevocationKind

EXIT_DUE_DAYS = 7
VIOLATION_SEVERITIES = frozenset({"urgent", "high"})
WORKER_ALERT_KINDS = (
    "inland_attempt", "out_of_area", "overstay", "late_exit", "exit_due", "missing_entry",
    "double_entry", "reused_after_exit", "revoked_but_used", "impossible_travel",
    "not_seen_at_work",
)  # fmt: skip
"""The alert kinds about a worker (an employer's alerts), in the order of DESIGN.md."""


# -- what the store reads ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PermitFacts:
    """One permit with its worker's and employer's names and every date that ends it."""

    permit_id: str
    worker_id: str
    worker_name: str
    worker_name_zh: str | None
    employer_id: str
    employer_name: str
    valid_from: date
    valid_until: date
    health_cert_until: date
    insurance_until: date
    hiring_permit_until: date
    issued_at_s: int

    @property
    def end_date(self) -> date:
        """The last day the worker may be in China on this permit."""
        return min(
            self.valid_until, self.health_cert_until, self.insurance_until,
            self.hiring_permit_until,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class BorderMark:
    """A worker's latest allowed, genuine scan at a border gate: ``in`` means in China."""

    worker_id: str
    direction: str
    at_ms: int
    site: str


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What the annual evaluation needs of one alert."""

    kind: str
    severity: str
    employer_id: str | None
    at_ms: int
    provisional: bool
    retracted: bool


@dataclass(frozen=True, slots=True)
class EmployerName:
    employer_id: str
    name: str


# -- report rows -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InChina:
    """A worker in China and the permit governing their stay (overstay, exit due)."""

    permit: PermitFacts
    entered_at_ms: int
    entry_site: str
    days: int
    """Overstayers: days past the end date. Exits due: days left until it."""

    @property
    def employer_id(self) -> str:
        return self.permit.employer_id


@dataclass(frozen=True, slots=True)
class Evaluation:
    employer_id: str
    employer_name: str
    year: int
    workers: int
    permits: int
    alerts: Mapping[str, int]
    """Alerts raised in the year by kind (retracted ones left out)."""
    violations: int
    """Confirmed (not provisional, not retracted) alerts of high or urgent severity."""
    revocations: int
    """Revocations in the year of the company, its permits or its workers, not lifted."""

    @property
    def alerts_total(self) -> int:
        return sum(self.alerts.values())


@dataclass(frozen=True, slots=True)
class Expelled:
    kind: str
    """``worker`` or ``employer``."""
    subject: str
    name: str
    revoked_at_s: int
    reason: str
    employer_ids: frozenset[str]
    """The employers this entry concerns: the company itself, or the worker's employers."""


# -- the reports -------------------------------------------------------------------------


def governing_permits(permits: Iterable[PermitFacts], today: date) -> dict[str, PermitFacts]:
    """Per worker, the permit with the latest end date among those in force by ``today``
    (ties: the later issued)."""
    chosen: dict[str, PermitFacts] = {}
    for p in permits:
        if p.valid_from > today:
            continue
        held = chosen.get(p.worker_id)
        if held is None or (p.end_date, p.issued_at_s) > (held.end_date, held.issued_at_s):
            chosen[p.worker_id] = p
    return chosen


def _overdue(p: PermitFacts, today: date) -> bool:
    return today > p.end_date


def _due(p: PermitFacts, today: date, days: int) -> bool:
    return 0 <= (p.end_date - today).days < days


def candidates(
    permits: Iterable[PermitFacts], today: date, *, overdue: bool, days: int = EXIT_DUE_DAYS
) -> set[str]:
    """The workers who are overstayers (``overdue``) or due to exit if they are in
    China: the only ones whose border events :func:`overstayers` or :func:`exits_due`
    needs."""
    return {
        worker_id
        for worker_id, p in governing_permits(permits, today).items()
        if (_overdue(p, today) if overdue else _due(p, today, days))
    }


def _in_china(
    permits: Iterable[PermitFacts], marks: Iterable[BorderMark], today: date
) -> list[tuple[PermitFacts, BorderMark]]:
    governing = governing_permits(permits, today)
    return [
        (governing[m.worker_id], m)
        for m in marks
        if m.direction == "in" and m.worker_id in governing
    ]


def overstayers(
    permits: Iterable[PermitFacts], marks: Iterable[BorderMark], today: date
) -> list[InChina]:
    """Workers in China past their end date, the longest overdue first."""
    rows = [
        InChina(p, m.at_ms, m.site, (today - p.end_date).days)
        for p, m in _in_china(permits, marks, today)
        if _overdue(p, today)
    ]
    return sorted(rows, key=lambda r: (-r.days, r.permit.worker_id))


def exits_due(
    permits: Iterable[PermitFacts],
    marks: Iterable[BorderMark],
    today: date,
    days: int = EXIT_DUE_DAYS,
) -> list[InChina]:
    """Workers in China whose end date is today or within the next ``days - 1`` days,
    by employer, then the soonest end first."""
    rows = [
        InChina(p, m.at_ms, m.site, (p.end_date - today).days)
        for p, m in _in_china(permits, marks, today)
        if _due(p, today, days)
    ]
    return sorted(rows, key=lambda r: (r.employer_id, r.days, r.permit.worker_id))


@dataclass(frozen=True, slots=True)
class _Company:
    """One company's records for the evaluation, gathered in one pass."""

    permits: list[PermitFacts] = field(default_factory=list)
    alerts: list[AlertFacts] = field(default_factory=list)


def _year_of_s(seconds: int) -> int:
    return shanghai_date(seconds * 1000).year


def _in_force_during(p: PermitFacts, year: int) -> bool:
    return p.valid_from.year <= year <= p.end_date.year


def _revocations_of(
    company: EmployerName, permits: list[PermitFacts], revocations: Iterable[RevocationEntry],
    year: int,
) -> int:  # fmt: skip
    subjects = {
        (RevocationKind.EMPLOYER, company.employer_id),
        *((RevocationKind.PERMIT, p.permit_id) for p in permits),
        *((RevocationKind.WORKER, p.worker_id) for p in permits),
    }
    return sum(
        1
        for e in revocations
        if e.active
        and (e.revocation.kind, e.revocation.subject) in subjects
        and _year_of_s(e.revocation.revoked_at) == year
    )


def _evaluate(
    company: EmployerName, records: _Company, revocations: Sequence[RevocationEntry], year: int
) -> Evaluation:
    alerts = [a for a in records.alerts if not a.retracted]
    return Evaluation(
        employer_id=company.employer_id,
        employer_name=company.name,
        year=year,
        workers=len({p.worker_id for p in records.permits if _in_force_during(p, year)}),
        permits=sum(1 for p in records.permits if _year_of_s(p.issued_at_s) == year),
        alerts=dict(Counter(a.kind for a in alerts)),
        violations=sum(
            1 for a in alerts if a.severity in VIOLATION_SEVERITIES and not a.provisional
        ),
        revocations=_revocations_of(company, records.permits, revocations, year),
    )


def annual_evaluation(
    employers: Iterable[EmployerName],
    permits: Iterable[PermitFacts],
    alerts: Iterable[AlertFacts],
    revocations: Iterable[RevocationEntry],
    year: int,
) -> list[Evaluation]:
    """One evaluation per company for ``year`` (Shanghai calendar), in employer id order."""
    records: dict[str, _Company] = defaultdict(_Company)
    for p in permits:
        records[p.employer_id].permits.append(p)
    for a in alerts:
        if a.employer_id is not None and shanghai_date(a.at_ms).year == year:
            records[a.employer_id].alerts.append(a)
    held = list(revocations)
    return [
        _evaluate(e, records[e.employer_id], held, year)
        for e in sorted(employers, key=lambda e: e.employer_id)
    ]


def expelled(
    revocations: Iterable[RevocationEntry],
    permits: Iterable[PermitFacts],
    employers: Iterable[EmployerName],
) -> list[Expelled]:
    """The workers and companies under an active revocation, the latest first."""
    names = {e.employer_id: e.name for e in employers}
    workers: dict[str, tuple[str, set[str]]] = {}
    for p in permits:
        name = f"{p.worker_name} {p.worker_name_zh}" if p.worker_name_zh else p.worker_name
        workers.setdefault(p.worker_id, (name, set()))[1].add(p.employer_id)
    rows = []
    for entry in revocations:
        r = entry.revocation
        if not entry.active or r.kind is RevocationKind.PERMIT:
            continue
        if r.kind is RevocationKind.WORKER:
            name, employer_ids = workers.get(r.subject, ("", set()))
        else:
            name, employer_ids = names.get(r.subject, ""), {r.subject}
        rows.append(Expelled(r.kind.value, r.subject, name, r.revoked_at, r.reason,
                             frozenset(employer_ids)))  # fmt: skip
    return sorted(rows, key=lambda x: (-x.revoked_at_s, x.kind, x.subject))


# -- one employer's rows -----------------------------------------------------------------


Row = TypeVar("Row", InChina, Evaluation, Expelled)


def visible_to(rows: Iterable[Row], employer_id: str | None) -> list[Row]:
    """The rows an asker limited to ``employer_id`` may see (None: every row)."""
    if employer_id is None:
        return list(rows)
    return [r for r in rows if employer_id in _employers_of(r)]


def _employers_of(row: InChina | Evaluation | Expelled) -> frozenset[str]:
    if isinstance(row, Expelled):
        return row.employer_ids
    return frozenset({row.employer_id})
