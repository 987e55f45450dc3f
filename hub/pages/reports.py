"""Reports, each as a page and as a CSV download (``/reports/{name}.csv``): current
overstayers, exits due this week per employer, the enterprise annual evaluation and the
expelled list. An employer sees only its own rows.

Each handler reads its rows in one read transaction (:mod:`hub.store.reports`),
computes the report with :mod:`hub.reports` and lays it out with
:mod:`hub.report_tables`; the page and the CSV show the same table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from aiohttp import web

from hub import context, report_tables, reports
from hub.csv_export import csv_bytes
from hub.errors import Refusal, not_found
from hub.html import Markup, join, table, tag
from hub.i18n import Translator
from hub.pages.layout import page
from hub.report_tables import Cell, Column, ReportTable
from hub.store import registry
from hub.store import reports as store
from protocol.days import shanghai_date, start_of_day_ms
from protocol.refs import RevocationKind
from protocol.sites import SiteKind

Builder = Callable[[web.Request], Awaitable[ReportTable]]


def _today(request: web.Request) -> date:
    return shanghai_date(context.now_ms(request))


async def in_china_rows(request: web.Request, *, overdue: bool) -> list[reports.InChina]:
    """Overstayers (``overdue``) or exits due this week, as the asker may see them."""
    scope, today = context.principal(request).employer_scope, _today(request)
    gates = [s.site_id for s in context.sites(request).sites.values()
             if s.kind is SiteKind.BORDER_GATE]  # fmt: skip

    def read(
        conn: sqlite3.Connection,
    ) -> tuple[list[reports.PermitFacts], list[reports.BorderMark]]:
        if scope is None:
            permits = store.permit_facts(conn)
        else:  # every permit of the employer's workers: a later one may govern the stay
            mine = {p.worker_id for p in store.permit_facts(conn, scope)}
            permits = store.permit_facts_of_workers(conn, mine)
        wanted = reports.candidates(permits, today, overdue=overdue)
        return permits, store.border_marks(conn, wanted, gates)

    permits, marks = await context.db(request).read(read)
    found = (reports.overstayers if overdue else reports.exits_due)(permits, marks, today)
    return reports.visible_to(found, scope)


async def _overstayers(request: web.Request) -> ReportTable:
    return report_tables.in_china(await in_china_rows(request, overdue=True), overdue=True)


async def _exits_due(request: web.Request) -> ReportTable:
    return report_tables.in_china(await in_china_rows(request, overdue=False), overdue=False)


def _year(request: web.Request) -> int:
    asked = request.query.get("year")
    if asked is None:
        return _today(request).year
    if not asked.isdigit() or not 2000 <= int(asked) <= 2100:
        raise Refusal("invalid_field", "year: expected a year from 2000 to 2100")
    return int(asked)


async def _evaluation(request: web.Request) -> ReportTable:
    scope, year = context.principal(request).employer_scope, _year(request)
    start, end = start_of_day_ms(date(year, 1, 1)), start_of_day_ms(date(year + 1, 1, 1))

    def read(conn: sqlite3.Connection) -> list[reports.Evaluation]:
        return reports.annual_evaluation(
            store.employer_names(conn, scope), store.permit_facts(conn, scope),
            store.alert_facts(conn, start, end, scope), registry.list_revocations(conn), year,
        )  # fmt: skip

    found = await context.db(request).read(read)
    return report_tables.evaluation(reports.visible_to(found, scope))


async def _expelled(request: web.Request) -> ReportTable:
    scope = context.principal(request).employer_scope
    kinds = (RevocationKind.WORKER, RevocationKind.EMPLOYER)

    def read(conn: sqlite3.Connection) -> list[reports.Expelled]:
        return reports.expelled(
            registry.list_revocations(conn, active_only=True, kinds=kinds),
            store.permit_facts(conn, scope), store.employer_names(conn),
        )  # fmt: skip

    found = await context.db(request).read(read)
    return report_tables.expelled(reports.visible_to(found, scope))


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    """The path segment: ``/reports/{name}`` and ``/reports/{name}.csv``."""
    title: str
    """An i18n key; ``{title}.about`` says what the report counts."""
    build: Builder
    group_by: tuple[int, int] | None = None
    """Columns (an id, its name) whose value heads a section of its own on the page."""


REPORTS = {
    r.name: r
    for r in (
        Report("overstayers", "report.overstayers", _overstayers),
        Report("exits-due", "report.exits_due", _exits_due, group_by=(3, 4)),
        Report("evaluation", "report.evaluation", _evaluation),
        Report("expelled", "report.expelled", _expelled),
    )
}


def _report(request: web.Request) -> Report:
    found = REPORTS.get(request.match_info["report"])
    if found is None:
        raise not_found("report")
    return found


def _shown(t: Translator, column: Column, value: object) -> object:
    return t(column.words.format(value)) if column.words and value is not None else value


def _cell(t: Translator, column: Column, value: object) -> object:
    shown = _shown(t, column, value)
    if column.link is None or value is None:
        return shown
    return tag("a", shown, href=column.link.format(quote(str(value), safe="")))


def render_table(t: Translator, report: ReportTable) -> Markup:
    if not report.rows:
        return tag("p", t("report.none"), class_="empty")
    rows = [[_cell(t, c, v) for c, v in zip(report.columns, row, strict=True)]
            for row in report.rows]  # fmt: skip
    return table([t(c.label) for c in report.columns], rows)


def _sections(t: Translator, report: ReportTable, columns: tuple[int, int]) -> Markup:
    """One table per value of the first of ``columns`` (exits due: per employer), under
    the second (its name)."""
    key_at, name_at = columns
    groups: dict[Cell, list[tuple[Cell, ...]]] = {}
    for row in report.rows:
        groups.setdefault(row[key_at], []).append(row)
    parts = [
        join([tag("h3", f"{rows[0][name_at]} ({key}) · {t('report.rows', n=len(rows))}"),
              render_table(t, ReportTable(report.columns, tuple(rows)))])
        for key, rows in groups.items()
    ]  # fmt: skip
    return join(parts) if parts else render_table(t, report)


def _csv_link(request: web.Request, report: Report) -> Markup:
    t = context.translator(request)
    href = request.rel_url.with_path(f"/reports/{report.name}.csv")
    return tag("p", tag("a", t("report.csv"), href=str(href), class_="download"))


def _year_form(request: web.Request) -> Markup:
    t = context.translator(request)
    return tag("form", join([
        tag("label", t("report.year"), for_="year"),
        tag("input", id="year", name="year", type="number", min=2000, max=2100,
            value=_year(request)),
        tag("button", t("alerts.filter")),
    ]), method="get", action="/reports/evaluation", class_="filters")  # fmt: skip


async def show(request: web.Request) -> web.Response:
    t, report = context.translator(request), _report(request)
    laid_out = await report.build(request)
    parts = [tag("p", t(f"{report.title}.about")),
             tag("p", t("report.as_of", day=_today(request).isoformat()))]  # fmt: skip
    if report.name == "evaluation":
        parts.append(_year_form(request))
    parts.append(_csv_link(request, report))
    if report.group_by is None:
        parts.append(render_table(t, laid_out))
    else:
        parts.append(_sections(t, laid_out, report.group_by))
    return page(request, t(report.title), join(parts))


async def download(request: web.Request) -> web.Response:
    """The report as CSV (UTF-8 with a BOM, for Excel), headers in the page language."""
    t, report = context.translator(request), _report(request)
    laid_out = await report.build(request)
    body = csv_bytes(
        [t(c.label) for c in laid_out.columns],
        ([_shown(t, c, v) for c, v in zip(laid_out.columns, row, strict=True)]
         for row in laid_out.rows),
    )  # fmt: skip
    filename = f"{report.name}-{_today(request).isoformat()}.csv"
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def index(request: web.Request) -> web.Response:
    t = context.translator(request)
    items = [
        tag("li", join([tag("a", t(r.title), href=f"/reports/{r.name}"), " · ",
                        tag("a", "CSV", href=f"/reports/{r.name}.csv"), tag("br"),
                        tag("small", t(f"{r.title}.about"))]))
        for r in REPORTS.values()
    ]  # fmt: skip
    return page(request, t("reports.title"), tag("ul", join(items), class_="reports"))
