"""``/api/workers/{border_pass_no}``: a worker and their permits; expel a worker."""

from __future__ import annotations

from aiohttp import web

from hub import lookups
from hub.api import shapes
from hub.api.common import reply
from hub.api.employers import revoke_subject
from protocol.refs import RevocationKind


async def get(request: web.Request) -> web.Response:
    view = await lookups.worker(request, request.match_info["border_pass_no"])
    body = shapes.worker_json(view.worker)
    body["status"] = "revoked" if view.revoked else "valid"
    body["permits"] = [
        {"permit_id": p.permit_id, "employer_id": p.permit.employer_id,
         "valid_from": p.permit.valid_from.isoformat(),
         "valid_until": p.permit.valid_until.isoformat(),
         "status": "revoked" if revoked else "valid"}
        for p, revoked in view.permits
    ]  # fmt: skip
    return reply(body)


async def revoke(request: web.Request) -> web.Response:
    return await revoke_subject(request, RevocationKind.WORKER, "border_pass_no")
