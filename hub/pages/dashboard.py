"""The dashboard (``/``): for officials, open alerts by severity, crossings per site and
hour over the last 24 hours, edge health and a schematic map of the sites; for an
employer, its own panel: its open alerts, its workers whose exit is due or overdue,
and its workers' crossings. Time is the hub's injected clock."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from hub import context, lookups, report_tables
from hub.auth import Role
from hub.charts import HourlyCrossings, crossings_chart, hour_window, site_conditions, site_map
from hub.html import Markup, join, tag
from hub.pages.edges import edge_health, health_limits, health_table
from hub.pages.layout import heading, page
from hub.pages.permits import permit_table
from hub.pages.reports import in_china_rows, render_table
from hub.reconcile import Severity
from hub.roles import ISSUING
from hub.store import alerts as alert_store
from hub.store import reports as store

HOURS = 24
_EDGE = (Severity.OPS, Severity.SECURITY)
"""The severities of edge alerts, which no employer sees."""


async def _open_alerts(request: web.Request) -> Markup:
    """A badge per severity with the number of open alerts, linking to the list."""
    t, scope = context.translator(request), context.principal(request).employer_scope
    counts = await context.db(request).read(
        lambda conn: alert_store.open_counts_by_severity(conn, scope)
    )
    severities = list(Severity) if scope is None else [s for s in Severity if s not in _EDGE]
    badges = [
        tag("a", join([tag("strong", counts.get(s.value, 0)), " ", t(f"severity.{s.value}")]),
            href=f"/alerts?status=open&severity={s.value}",
            class_=f"badge severity {s.value}" + (" zero" if not counts.get(s.value) else ""))
        for s in severities
    ]  # fmt: skip
    return join([heading(t("dashboard.alerts")), tag("p", join(badges, " "), class_="badges")])


async def _crossings(request: web.Request, employer_id: str | None) -> Markup:
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    start = hour_window(context.now_ms(request), HOURS)

    def read(conn: sqlite3.Connection) -> dict[tuple[str, int], int]:
        return store.crossings(conn, start, HOURS, sites.sites, employer_id)

    chart = HourlyCrossings(start, HOURS, await context.db(request).read(read))
    rows = [(s.site_id, s.names.get(lang)) for s in sites.sites.values()]
    rows += sorted({(site, site) for site, _ in chart.counts if site not in sites.sites})
    title = t("dashboard.my_crossings" if employer_id else "dashboard.crossings")
    svg = crossings_chart(chart, rows, title, t("dashboard.total"))
    return join([heading(title), tag("figure", svg, class_="chart")])


async def _edges(request: web.Request) -> Markup:
    t, lang = context.translator(request), context.lang(request)
    health = await edge_health(request)
    words = {c: t(f"condition.{c}") for c in ("ok", "lagging", "silent", "pending", "none")}
    words |= {k: t(f"sitekind.{k}") for k in ("border_gate", "checkpoint", "park_gate")}
    words["south"] = t("dashboard.south")
    conditions = site_conditions(health, health_limits(request))
    svg = site_map(context.sites(request), conditions, lang, t("dashboard.map"), words)
    return join([
        heading(t("dashboard.edges")), health_table(request, health),
        heading(t("dashboard.map")), tag("figure", svg, class_="chart"),
    ])  # fmt: skip


async def _welcome(request: web.Request) -> Markup:
    t, who = context.translator(request), context.principal(request)
    return tag("p", t("home.welcome", actor=who.actor, role=t("role." + who.role.value)))


async def _officials(request: web.Request) -> list[Markup]:
    t = context.translator(request)
    parts = [await _open_alerts(request), await _crossings(request, None), await _edges(request)]
    if context.principal(request).role in ISSUING:
        recent = await lookups.permits(request, limit=10)
        parts += [heading(t("home.recent")), permit_table(request, recent)]
    return parts


async def _employer(request: web.Request, employer_id: str) -> list[Markup]:
    t = context.translator(request)
    due = await in_china_rows(request, overdue=False)
    overdue = await in_china_rows(request, overdue=True)
    return [
        await _open_alerts(request),
        heading(t("report.exits_due")),
        render_table(t, report_tables.in_china(due, overdue=False)),
        heading(t("report.overstayers")),
        render_table(t, report_tables.in_china(overdue, overdue=True)),
        await _crossings(request, employer_id),
    ]


async def show(request: web.Request) -> web.Response:
    t, who = context.translator(request), context.principal(request)
    if who.role is Role.EMPLOYER and who.employer_id is not None:
        panels = await _employer(request, who.employer_id)
    else:
        panels = await _officials(request)
    return page(request, t("dashboard.title"), join([await _welcome(request), *panels]))
