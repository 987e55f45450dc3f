"""``/api/alerts``: the alerts with their evidence, filtered; one alert with its
history; acknowledge and resolve (police and admins, audited).

An ``employer`` sees only the alerts filed under it (its workers' permits), never an
edge's (ops, security); another's alert is ``404 not_found``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from hub import context, fields, triage
from hub.alert_lifecycle import AlertStatus, PersonAction
from hub.api.alert_shapes import alert_json, change_json
from hub.api.common import read_json, reply
from hub.errors import not_found
from hub.reconcile import AlertKind, Severity
from hub.store import alerts as store

MAX_LIMIT = 5000
FILTERS = {
    "kind": {k.value for k in AlertKind},
    "severity": {s.value for s in Severity},
    "status": {s.value for s in AlertStatus},
}


def _choice(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name) or None
    if value is not None and value not in FILTERS[name]:
        raise fields.invalid(name, f"one of {', '.join(sorted(FILTERS[name]))}")
    return value


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit") or "500"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise fields.invalid("limit", f"a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def alert_filters(request: web.Request) -> dict[str, Any]:
    """The keyword arguments of :func:`hub.store.alerts.list_alerts` from the query
    (``kind``, ``severity``, ``status``, ``site``, ``worker``, ``employer``, ``limit``),
    checked; an employer's own scope replaces any ``employer`` it sends."""
    q = request.query
    scope = context.principal(request).employer_scope
    return {
        "kind": _choice(q, "kind"),
        "severity": _choice(q, "severity"),
        "status": _choice(q, "status"),
        "site": fields.optional_text(q, "site", 64),
        "worker_id": fields.optional_text(q, "worker", 32),
        "employer_id": scope if scope is not None else fields.optional_text(q, "employer", 32),
        "limit": _limit(q),
    }


async def list_all(request: web.Request) -> web.Response:
    filters = alert_filters(request)
    found = await context.db(request).read(lambda c: store.list_alerts(c, **filters))
    return reply({"alerts": [alert_json(a) for a in found]})


async def get(request: web.Request) -> web.Response:
    alert_id = request.match_info["alert_id"]
    scope = context.principal(request).employer_scope

    def read(conn: sqlite3.Connection) -> tuple[store.AlertRecord, list[store.AlertChange]] | None:
        record = store.get_alert(conn, alert_id)
        if record is None or scope not in (None, record.employer_id):
            return None
        return record, store.alert_history(conn, alert_id)

    found = await context.db(request).read(read)
    if found is None:
        raise not_found("alert")
    record, history = found
    return reply({**alert_json(record), "history": [change_json(c) for c in history]})


async def _act(request: web.Request, action: PersonAction) -> web.Response:
    body = fields.as_object(await read_json(request)) if request.body_exists else {}
    note = fields.optional_text(body, "note", triage.MAX_NOTE)
    alert_id = request.match_info["alert_id"]
    now, actor = context.now_ms(request), context.principal(request).actor
    record = await context.db(request).write(
        lambda tx: triage.act(tx, alert_id, action, actor, now, note)
    )
    return reply(alert_json(record))


async def acknowledge(request: web.Request) -> web.Response:
    """``{"note"?}``: an open alert is being looked at."""
    return await _act(request, PersonAction.ACKNOWLEDGE)


async def resolve(request: web.Request) -> web.Response:
    """``{"note"}`` (required: force majeure, handled, false alarm)."""
    return await _act(request, PersonAction.RESOLVE)
