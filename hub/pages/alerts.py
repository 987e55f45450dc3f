"""The alerts pages: the list with filters (kind, severity, status, site, worker), and
one alert with its facts, its evidence (the scans, linking to the worker's timeline),
the scans that retracted it, and its history; police and administrators acknowledge
or resolve it (with a note: force majeure) through :func:`hub.triage.act`, the same
audited action as the JSON API.

An employer sees only its own workers' alerts (never an edge's); another's alert is
``404 not_found``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from hub import context, fields, triage
from hub.alert_lifecycle import AlertStatus, PersonAction, person_move
from hub.api.alerts import alert_filters
from hub.errors import not_found
from hub.html import Markup, join, table, tag
from hub.pages import words
from hub.pages.alert_parts import (
    alert_table,
    certainty,
    scan_table,
    severity,
    site_name,
    worker_link,
)
from hub.pages.layout import csrf_field, heading, page, redirect
from hub.reconcile import EDGE_KINDS, AlertKind, Severity
from hub.records import Employer
from hub.store import alerts as store
from hub.store import registry
from hub.store import reports as report_store
from hub.store.evidence import Scan

_EDGE_SEVERITIES = (Severity.OPS, Severity.SECURITY)


def _select(request: web.Request, name: str, options: list[tuple[str, str]]) -> Markup:
    t, chosen = context.translator(request), request.query.get(name, "")
    items = [tag("option", t("alerts.any"), value="")]
    items += [tag("option", label, value=value, selected=value == chosen)
              for value, label in options]  # fmt: skip
    return join([tag("label", t(f"alert.{name}"), for_=name),
                 tag("select", join(items), id=name, name=name)])  # fmt: skip


def _filters(request: web.Request) -> Markup:
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    employer = context.principal(request).employer_scope is not None
    kinds = [k for k in AlertKind if not (employer and k in EDGE_KINDS)]
    levels = [s for s in Severity if not (employer and s in _EDGE_SEVERITIES)]
    parts = [
        _select(request, "kind", [(k.value, t(f"alert.kind.{k.value}")) for k in kinds]),
        _select(request, "severity", [(s.value, t(f"severity.{s.value}")) for s in levels]),
        _select(request, "status", [(s.value, t(f"alert.status.{s.value}")) for s in AlertStatus]),
        _select(request, "site", [(s.site_id, s.names.get(lang)) for s in sites.sites.values()]),
        tag("label", t("alert.worker"), for_="worker"),
        tag("input", id="worker", name="worker", value=request.query.get("worker", ""),
            maxlength=32),
        tag("button", t("alerts.filter")),
    ]  # fmt: skip
    return tag("form", join(parts), method="get", action="/alerts", class_="filters")


async def list_all(request: web.Request) -> web.Response:
    t = context.translator(request)
    chosen = alert_filters(request)

    def read(conn: sqlite3.Connection) -> tuple[list[store.AlertRecord], dict[str, str]]:
        found = store.list_alerts(conn, **chosen)
        return found, report_store.worker_names(conn, {a.worker_id for a in found
                                                        if a.worker_id})  # fmt: skip

    found, names = await context.db(request).read(read)
    shown = tag("p", t("alerts.shown", n=len(found), limit=chosen["limit"]))
    content = join([_filters(request), shown, alert_table(request, found, names)])
    return page(request, t("alerts.title"), content)


@dataclass(frozen=True, slots=True)
class AlertView:
    alert: store.AlertRecord
    worker_name: str | None
    employer: Employer | None
    history: list[store.AlertChange]
    evidence: list[Scan]
    retracted_by: list[Scan]


async def _view(request: web.Request, alert_id: str) -> AlertView:
    scope = context.principal(request).employer_scope

    def read(conn: sqlite3.Connection) -> AlertView | None:
        found = store.get_alert(conn, alert_id)
        if found is None or scope not in (None, found.employer_id):
            return None
        names = report_store.worker_names(conn, [found.worker_id] if found.worker_id else [])
        employer = registry.get_employer(conn, found.employer_id) if found.employer_id else None
        return AlertView(found, names.get(found.worker_id or ""), employer,
                         store.alert_history(conn, alert_id),
                         report_store.scans_at(conn, found.evidence),
                         report_store.scans_at(conn, found.retracted_by))  # fmt: skip

    view = await context.db(request).read(read)
    if view is None:
        raise not_found("alert")
    return view


def _facts(request: web.Request, view: AlertView) -> Markup:
    t, lang, a = context.translator(request), context.lang(request), view.alert
    employer = view.employer
    rows: list[tuple[str, object]] = [
        ("alert.kind", t(f"alert.kind.{a.kind.value}")), ("alert.severity", severity(t, a)),
        ("alert.status", t(f"alert.status.{a.status.value}")),
        ("alert.certainty", certainty(t, a)),
        ("alert.worker", worker_link(a.worker_id, view.worker_name)),
        ("permit.employer", f"{employer.name_zh} ({employer.employer_id})" if employer else ""),
        ("permit.id", tag("a", a.permit_id, href=f"/permits/{a.permit_id}")
         if a.permit_id else ""),
        ("alert.site", site_name(context.sites(request), a.site, lang)),
        ("alert.edge", a.edge_id), ("alert.at", words.instant(a.at_ms // 1000)),
        ("alert.raised", words.instant(a.raised_at_ms // 1000)),
    ]  # fmt: skip
    if a.resolved_at_ms is not None:
        rows += [("alert.resolved_by", f"{a.resolved_by} · "
                  f"{words.instant(a.resolved_at_ms // 1000)}"),
                 ("alert.resolution", a.resolution_note)]  # fmt: skip
    facts = tag("dl", join(tag("div", join([tag("dt", k), tag("dd", v)]))
                           for k, v in sorted(a.facts.items())), class_="facts")  # fmt: skip
    rows.append(("alert.facts", facts))
    return tag("dl", join(join([tag("dt", t(k)), tag("dd", v)]) for k, v in rows))


def _history(request: web.Request, history: list[store.AlertChange]) -> Markup:
    t = context.translator(request)
    rows = [[words.instant(c.at_ms // 1000), c.actor, t(f"change.{c.change.value}"), c.note]
            for c in history]  # fmt: skip
    headers = ("alert.at", "history.actor", "history.change", "history.note")
    return table([t(h) for h in headers], rows)


def _action_form(request: web.Request, alert_id: str, action: PersonAction) -> Markup:
    t = context.translator(request)
    inputs = [csrf_field(request)]
    if action is PersonAction.RESOLVE:  # a note is required: force majeure, handled...
        inputs += [tag("label", t("alert.note"), for_="note"),
                   tag("textarea", "", id="note", name="note", maxlength=triage.MAX_NOTE,
                       required=True)]  # fmt: skip
    inputs.append(tag("p", tag("button", t(f"alert.{action.value}"))))
    return tag("form", join(inputs), method="post", class_="stack",
               action=f"/alerts/{alert_id}/{action.value}")  # fmt: skip


def _actions(request: web.Request, a: store.AlertRecord) -> Markup:
    """The acknowledge and resolve forms, to those the role table lets act, for the
    moves the lifecycle allows from the alert's status."""
    policy, role = request.app[context.POLICY], context.principal(request).role
    return join(
        _action_form(request, a.alert_id, action)
        for action, route in ((PersonAction.ACKNOWLEDGE, "page.alert.acknowledge"),
                              (PersonAction.RESOLVE, "page.alert.resolve"))
        if role in policy.roles_for(route) and person_move(a.status, action) is not None
    )  # fmt: skip


async def show(request: web.Request) -> web.Response:
    t = context.translator(request)
    view = await _view(request, request.match_info["alert_id"])
    a = view.alert
    parts = [
        _facts(request, view),
        heading(t("alert.evidence")),
        scan_table(request, view.evidence, timeline_of=a.worker_id),
    ]
    if a.retracted:
        retracting = scan_table(request, view.retracted_by, timeline_of=a.worker_id)
        parts += [heading(t("alert.retracted_by")), retracting]
    parts += [heading(t("alert.history")), _history(request, view.history),
              _actions(request, a)]  # fmt: skip
    return page(request, t("alert.title", alert_id=a.alert_id), join(parts))


async def _act(request: web.Request, action: PersonAction) -> web.Response:
    posted: Mapping[str, object] = await request.post()
    note = fields.optional_text({"note": str(posted.get("note", ""))}, "note", triage.MAX_NOTE)
    alert_id = request.match_info["alert_id"]
    await _view(request, alert_id)  # 404 for an alert the asker may not see
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(lambda tx: triage.act(tx, alert_id, action, actor, now, note))
    raise redirect(f"/alerts/{alert_id}")


async def acknowledge(request: web.Request) -> web.Response:
    return await _act(request, PersonAction.ACKNOWLEDGE)


async def resolve(request: web.Request) -> web.Response:
    return await _act(request, PersonAction.RESOLVE)
