"""``/api/revocations``: the list, and reinstatement (admins)."""

from __future__ import annotations

from aiohttp import web

from hub import actions, context, registration
from hub.api import shapes
from hub.api.common import read_json, reply
from hub.errors import not_found
from hub.store import registry


async def list_all(request: web.Request) -> web.Response:
    active_only = request.query.get("active") in ("1", "true")
    found = await context.db(request).read(
        lambda c: registry.list_revocations(c, active_only=active_only)
    )
    return reply({"revocations": [shapes.revocation_json(r) for r in found]})


async def reinstate(request: web.Request) -> web.Response:
    reason = registration.revocation_reason(await read_json(request))
    try:
        revocation_id = int(request.match_info["revocation_id"])
    except ValueError as exc:
        raise not_found("revocation") from exc
    now, actor = context.now_ms(request), context.principal(request).actor
    entry = await context.db(request).write(
        lambda tx: actions.reinstate(tx, revocation_id, reason, now, actor)
    )
    return reply(shapes.revocation_json(entry))
