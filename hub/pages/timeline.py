"""A worker's timeline (``/workers/{border_pass_no}/timeline``): every scan in timeline
order with its site, direction, verdict and reasons in words, and the alerts each scan
is evidence for; then the worker's alerts.

Employer-scoped like ``GET /api/workers/{id}/timeline``: an employer sees a worker only
if one of the worker's permits is its own, and then only the verified scans of its own
permits and its own alerts.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from aiohttp import web

from hub import context, lookups
from hub.html import join, tag
from hub.pages.alert_parts import alert_table, caused_by, scan_table
from hub.pages.layout import heading, page
from hub.store import alerts as alert_store
from hub.store import evidence


@dataclass(frozen=True, slots=True)
class TimelineView:
    scans: list[evidence.Scan]
    alerts: list[alert_store.AlertRecord]


def _read(conn: sqlite3.Connection, worker_id: str, scope: str | None) -> TimelineView:
    with evidence.snapshot(conn):
        scans = evidence.worker_scans(conn, worker_id, employer_id=scope)
        alerts = [a for a in alert_store.alerts_for_worker(conn, worker_id)
                  if scope in (None, a.employer_id)]  # fmt: skip
    return TimelineView(scans, alerts)


async def show(request: web.Request) -> web.Response:
    t = context.translator(request)
    view = await lookups.worker(request, request.match_info["border_pass_no"])
    worker = view.worker
    scope = context.principal(request).employer_scope
    found = await context.db(request).read(lambda c: _read(c, worker.border_pass_no, scope))
    who = tag("p", join([
        tag("a", f"{worker.name} {worker.name_zh or ''}".strip(),
            href=f"/workers/{worker.border_pass_no}"),
        f" · {t('worker.border_pass_no')}: {worker.border_pass_no}",
    ]))  # fmt: skip
    content = join([
        who, scan_table(request, found.scans, caused_by(found.alerts)),
        heading(t("timeline.alerts")), alert_table(request, found.alerts),
    ])  # fmt: skip
    return page(request, t("timeline.title", border_pass_no=worker.border_pass_no), content)
