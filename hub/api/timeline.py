"""``/api/workers/{border_pass_no}/timeline``: every scan of a worker in timeline order
(instant, hybrid clock, edge, sequence), each with the alerts it is evidence for and
those it retracted, and the worker's alerts.

Employer-scoped: an employer sees a worker only if one of the worker's permits is
its own, and then only the verified scans of its own permits and its own alerts.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from aiohttp import web

from hub import context, lookups
from hub.api.alert_shapes import alert_json, scan_json
from hub.api.common import reply
from hub.reconcile import EvidenceRef
from hub.store import alert_queues as queues
from hub.store import alerts as store
from hub.store import evidence


@dataclass(frozen=True, slots=True)
class TimelineView:
    scans: list[evidence.Scan]
    alerts: list[store.AlertRecord]
    watch: queues.WorkerWatch | None


def _read(conn: sqlite3.Connection, worker_id: str, scope: str | None) -> TimelineView:
    with evidence.snapshot(conn):
        scans = evidence.worker_scans(conn, worker_id, employer_id=scope)
        alerts = [
            a for a in store.alerts_for_worker(conn, worker_id) if scope in (None, a.employer_id)
        ]
        return TimelineView(scans, alerts, queues.get_watch(conn, worker_id))


def _index(alerts: list[store.AlertRecord], retracting: bool) -> dict[EvidenceRef, list[str]]:
    found: dict[EvidenceRef, list[str]] = {}
    for alert in alerts:
        for ref in alert.retracted_by if retracting else alert.evidence:
            found.setdefault(ref, []).append(alert.alert_id)
    return found


async def get(request: web.Request) -> web.Response:
    view = await lookups.worker(request, request.match_info["border_pass_no"])
    worker_id = view.worker.border_pass_no
    scope = context.principal(request).employer_scope
    found = await context.db(request).read(lambda c: _read(c, worker_id, scope))
    caused, retracted = _index(found.alerts, False), _index(found.alerts, True)
    watch = found.watch
    return reply(
        {
            "worker_id": worker_id,
            "name": view.worker.name,
            "name_zh": view.worker.name_zh,
            "in_china": watch.in_china if watch else None,
            "in_china_since": watch.since_ms if watch else None,
            "scans": [
                scan_json(
                    s, caused.get((s.edge_id, s.seq), []), retracted.get((s.edge_id, s.seq), [])
                )
                for s in found.scans
            ],
            "alerts": [alert_json(a) for a in found.alerts],
        }
    )
