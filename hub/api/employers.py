"""``/api/employers`` and ``/api/agencies``: register, list, read, revoke."""

from __future__ import annotations

from aiohttp import web

from hub import actions, context, lookups, registration
from hub.api import shapes
from hub.api.common import read_json, reply
from hub.store import registry
from protocol.refs import RevocationKind


async def create(request: web.Request) -> web.Response:
    employer = registration.parse_employer(await read_json(request), context.sites(request))
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(lambda tx: actions.register_employer(tx, employer, now, actor))
    return reply(shapes.employer_json(employer), status=201)


async def list_all(request: web.Request) -> web.Response:
    found = await lookups.employers(request)
    return reply({"employers": [shapes.employer_json(e, r) for e, r in found]})


async def get(request: web.Request) -> web.Response:
    view = await lookups.employer(request, request.match_info["employer_id"])
    body = shapes.employer_json(view.employer, view.revoked)
    body["permits"] = [p.permit_id for p, _ in view.permits]
    return reply(body)


async def revoke(request: web.Request) -> web.Response:
    return await revoke_subject(request, RevocationKind.EMPLOYER, "employer_id")


async def revoke_subject(
    request: web.Request, kind: RevocationKind, parameter: str
) -> web.Response:
    """Revoke the subject named by the URL parameter; the body gives the reason."""
    reason = registration.revocation_reason(await read_json(request))
    subject = request.match_info[parameter]
    now, actor = context.now_ms(request), context.principal(request).actor
    entry = await context.db(request).write(
        lambda tx: actions.revoke(tx, kind, subject, reason, now, actor)
    )
    return reply(shapes.revocation_json(entry), status=201)


async def create_agency(request: web.Request) -> web.Response:
    agency = registration.parse_agency(await read_json(request))
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(lambda tx: actions.register_agency(tx, agency, now, actor))
    return reply(shapes.agency_json(agency), status=201)


async def list_agencies(request: web.Request) -> web.Response:
    found = await context.db(request).read(registry.list_agencies)
    return reply({"agencies": [shapes.agency_json(a) for a in found]})
