"""The reports laid out as tables: column labels (i18n keys) and plain cells, the one
layout both the report pages (HTML) and their CSV downloads use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.pages import words
from hub.reports import WORKER_ALERT_KINDS, Evaluation, Expelled, InChina

Cell = str | int | None


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    """An i18n key."""
    link: str | None = None
    """A path with ``{}`` for the cell's value: the page links the cell there."""
    words: str | None = None
    """An i18n key with ``{}`` for the cell's value: the cell is shown in words."""


@dataclass(frozen=True, slots=True)
class ReportTable:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


WORKER = Column("worker.border_pass_no", "/workers/{}")
EMPLOYER = Column("employer.id", "/employers/{}")


def in_china(rows: Sequence[InChina], *, overdue: bool) -> ReportTable:
    """Overstayers (``overdue``: days past the end) or exits due (days left)."""
    columns = (
        WORKER, Column("worker.name"), Column("worker.name_zh"), EMPLOYER,
        Column("report.employer_name"), Column("permit.id", "/permits/{}"),
        Column("permit.end_date"), Column("report.days_over" if overdue else "report.days_left"),
        Column("report.entered_at"), Column("report.entry_site"),
    )  # fmt: skip
    return ReportTable(columns, tuple(
        (r.permit.worker_id, r.permit.worker_name, r.permit.worker_name_zh, r.employer_id,
         r.permit.employer_name, r.permit.permit_id, words.day(r.permit.end_date), r.days,
         words.instant(r.entered_at_ms // 1000), r.entry_site)
        for r in rows
    ))  # fmt: skip


def evaluation(rows: Sequence[Evaluation]) -> ReportTable:
    columns = (
        EMPLOYER, Column("report.employer_name"), Column("report.year"),
        Column("report.workers"), Column("report.permits"), Column("report.alerts_total"),
        *(Column(f"alert.kind.{kind}") for kind in WORKER_ALERT_KINDS),
        Column("report.violations"), Column("report.revocations"),
    )  # fmt: skip
    return ReportTable(columns, tuple(
        (r.employer_id, r.employer_name, r.year, r.workers, r.permits, r.alerts_total,
         *(r.alerts.get(kind, 0) for kind in WORKER_ALERT_KINDS), r.violations, r.revocations)
        for r in rows
    ))  # fmt: skip


def expelled(rows: Sequence[Expelled]) -> ReportTable:
    columns = (
        Column("revocation.kind", words="kind.{}"), Column("revocation.subject"),
        Column("report.name"), Column("revocation.at"), Column("revocation.reason"),
    )  # fmt: skip
    return ReportTable(columns, tuple(
        (r.kind, r.subject, r.name, words.instant(r.revoked_at_s), r.reason) for r in rows
    ))  # fmt: skip
