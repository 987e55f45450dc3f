"""``/api/permits``: issue, list, read, QR images, revoke."""

from __future__ import annotations

from aiohttp import web

from borderpass import qr
from hub import actions, context, issuance, lookups
from hub.api import shapes
from hub.api.common import read_json, reply
from hub.api.employers import revoke_subject
from hub.context import KEYRING
from protocol.refs import RevocationKind


def issuing(request: web.Request) -> actions.Issuing:
    return actions.Issuing(
        keyring=request.app[KEYRING],
        sites=context.sites(request),
        now_ms=context.now_ms(request),
        actor=context.principal(request).actor,
    )


async def create(request: web.Request) -> web.Response:
    """Issue a permit: ``{"permit_id", "qr"}``, or 400 with the broken rule."""
    req = issuance.parse_permit_request(await read_json(request))
    ctx = issuing(request)
    issued = await context.db(request).write(lambda tx: actions.issue_permit(tx, req, ctx))
    return reply({"permit_id": issued.permit_id, "qr": issued.qr}, status=201)


async def list_all(request: web.Request) -> web.Response:
    bpn = request.query.get("border_pass_no") or None
    found = await lookups.permits(request, border_pass_no=bpn)
    body = [
        {"permit_id": p.permit_id, "border_pass_no": p.permit.worker_id,
         "name": p.permit.worker.name, "employer_id": p.permit.employer_id,
         "valid_until": p.permit.valid_until.isoformat(),
         "status": "revoked" if revoked else "valid"}
        for p, revoked in found
    ]  # fmt: skip
    return reply({"permits": body})


async def get(request: web.Request) -> web.Response:
    view = await lookups.permit(request, request.match_info["permit_id"])
    return reply(shapes.permit_json(view.issued, view.revocations))


async def qr_png(request: web.Request) -> web.Response:
    view = await lookups.permit(request, request.match_info["permit_id"])
    return web.Response(body=qr.render_png(view.issued.qr), content_type="image/png")


async def qr_svg(request: web.Request) -> web.Response:
    view = await lookups.permit(request, request.match_info["permit_id"])
    return web.Response(text=qr.render_svg(view.issued.qr), content_type="image/svg+xml")


async def revoke(request: web.Request) -> web.Response:
    return await revoke_subject(request, RevocationKind.PERMIT, "permit_id")
