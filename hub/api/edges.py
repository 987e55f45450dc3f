"""``/api/edges``: make an edge record with a one-time enrolment token, list edges with
their health, revoke an edge."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from hub import context, edges, fields
from hub.api.common import read_json, reply
from hub.store import sync as store
from hub.store import trust as trust_store


async def create(request: web.Request) -> web.Response:
    body = fields.as_object(await read_json(request))
    site_id = fields.text(body, "site_id", 64)
    label = fields.optional_text(body, "label", 100) or site_id
    now, actor = context.now_ms(request), context.principal(request).actor
    hours = request.app[context.CONFIG].enrol_token_hours
    sites = context.sites(request)
    made = await context.db(request).write(
        lambda tx: edges.create_edge(tx, sites, site_id, label, now, hours, actor)
    )
    return reply(
        {"edge_id": made.edge_id, "site_id": made.site_id, "token": made.token,
         "expires_at": made.expires_ms},
        status=201,
    )  # fmt: skip


def _edges_and_trust(conn: sqlite3.Connection) -> tuple[list[store.EdgeRecord], int | None]:
    trust = trust_store.current_trust_list(conn)
    return store.list_edges(conn), None if trust is None else trust.version


async def list_all(request: web.Request) -> web.Response:
    found, version = await context.db(request).read(_edges_and_trust)
    now = context.now_ms(request)
    return reply({"edges": [edges.health(e, now, version) for e in found]})


async def revoke(request: web.Request) -> web.Response:
    body = fields.as_object(await read_json(request))
    reason = fields.text(body, "reason", 500)
    edge_id = request.match_info["edge_id"]
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(lambda tx: edges.revoke_edge(tx, edge_id, now, actor, reason))
    return reply({"edge_id": edge_id, "status": "revoked"})
