"""HTTP for sync: ``POST /sync/v1/{time,enrol,push,pull}`` with frame bodies.

Handlers only move bytes: read the body within the frame limit, authenticate, decode,
call :class:`hub.sync_service.SyncService`, encode the reply and sign it with the
request's nonce. Every refusal is an :class:`ErrorReply` frame with its reason code and
an HTTP status from :data:`STATUS`, and is logged with the edge and the reason.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from aiohttp import web

from hub.sync_service import SyncService
from protocol.sync import auth as sync_auth
from protocol.sync.frames import MAX_FRAME_BYTES, SyncError, decode_frame, encode_frame
from protocol.sync.messages import (
    EnrolRequest,
    ErrorReply,
    Message,
    PullRequest,
    PushRequest,
    SyncReason,
    TimeRequest,
)

log = logging.getLogger("borderpass.hub.sync")
M = TypeVar("M", EnrolRequest, PullRequest, PushRequest, TimeRequest)

PREFIX = "/sync/v1"
CONTENT_TYPE = "application/x-borderpass-frame"
SYNC_SERVICE = web.AppKey("sync_service", SyncService)

STATUS: dict[str, int] = {
    SyncReason.MALFORMED: 400,
    SyncReason.UNSUPPORTED_VERSION: 400,
    SyncReason.UNKNOWN_SITE: 400,
    SyncReason.TOO_LARGE: 413,
    SyncReason.MISSING_SIGNATURE: 401,
    SyncReason.BAD_SIGNATURE: 401,
    SyncReason.UNKNOWN_EDGE: 401,
    SyncReason.STALE_REQUEST: 401,
    SyncReason.BAD_TOKEN: 401,
    SyncReason.TOKEN_EXPIRED: 401,
    SyncReason.EDGE_REVOKED: 403,
    SyncReason.REPLAYED: 409,
    SyncReason.CHAIN_BROKEN: 409,
    SyncReason.LOG_FORKED: 409,
}


async def read_body(request: web.Request, limit: int = MAX_FRAME_BYTES) -> bytes:
    """Read at most ``limit`` bytes; refuse a longer body as ``too_large`` without
    reading it all (the app-wide body limit is for the JSON API, not for frames)."""
    if request.content_length is not None and request.content_length > limit:
        raise SyncError(SyncReason.TOO_LARGE, f"body over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise SyncError(SyncReason.TOO_LARGE, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _frame(
    service: SyncService, msg: Message, status: int = 200, nonce: bytes | None = None
) -> web.Response:
    body = encode_frame(msg)
    headers = {}
    if nonce is not None:
        headers[sync_auth.H_SIGNATURE] = service.sign_reply(nonce, body)
    return web.Response(body=body, status=status, content_type=CONTENT_TYPE, headers=headers)


def _refusal(
    service: SyncService, request: web.Request, error: SyncError, nonce: bytes | None
) -> web.Response:
    edge = request.headers.get(sync_auth.H_EDGE, "-")
    log.warning("sync %s refused for edge %s: %s", request.path, edge, error)
    reply = ErrorReply(error.reason, error.detail[:1024], service.clock.now_ms())
    return _frame(service, reply, STATUS.get(error.reason, 400), nonce)


def _expect(body: bytes, kind: type[M]) -> M:
    _, msg = decode_frame(body)
    if not isinstance(msg, kind):
        raise SyncError(SyncReason.MALFORMED, f"expected a {kind.__name__} frame")
    return msg


async def time_handler(request: web.Request) -> web.Response:
    service = request.app[SYNC_SERVICE]
    try:
        msg = _expect(await read_body(request, 1024), TimeRequest)
        return _frame(service, service.time(msg))
    except SyncError as error:
        return _refusal(service, request, error, None)


async def enrol_handler(request: web.Request) -> web.Response:
    service = request.app[SYNC_SERVICE]
    try:
        body = await read_body(request, 4096)
        msg = _expect(body, EnrolRequest)
        reply = await service.enrol(msg)
    except SyncError as error:
        return _refusal(service, request, error, None)
    response = _frame(service, reply)
    assert isinstance(response.body, bytes)
    response.headers["X-Borderpass-Mac"] = sync_auth.enrol_mac(msg.token, response.body)
    log.info("edge %s enrolled at site %s", reply.edge_id, reply.site_id)
    return response


async def push_handler(request: web.Request) -> web.Response:
    service = request.app[SYNC_SERVICE]
    nonce = None
    try:
        body = await read_body(request)
        signed = sync_auth.parse_request_headers(request.headers)
        nonce = signed.nonce  # from here on, even a refusal is signed for this request
        edge = await service.authenticate(signed, "POST", request.path, body)
        msg = _expect(body, PushRequest)
        outcome = await service.push(edge, signed, msg)
        if outcome.refused is not None:
            raise outcome.refused
        assert outcome.reply is not None
        return _frame(service, outcome.reply, nonce=nonce)
    except SyncError as error:
        return _refusal(service, request, error, nonce)


async def pull_handler(request: web.Request) -> web.Response:
    service = request.app[SYNC_SERVICE]
    nonce = None
    try:
        body = await read_body(request, 64 * 1024)
        signed = sync_auth.parse_request_headers(request.headers)
        nonce = signed.nonce  # from here on, even a refusal is signed for this request
        edge = await service.authenticate(signed, "POST", request.path, body)
        msg = _expect(body, PullRequest)
        return _frame(service, await service.pull(edge, signed, msg), nonce=nonce)
    except SyncError as error:
        return _refusal(service, request, error, nonce)


def add_routes(app: web.Application) -> None:
    """The sync endpoints. They authenticate by edge signature, not API token; the
    service behind them is ``app[SYNC_SERVICE]``."""
    app.router.add_post(f"{PREFIX}/time", time_handler)
    app.router.add_post(f"{PREFIX}/enrol", enrol_handler)
    app.router.add_post(f"{PREFIX}/push", push_handler)
    app.router.add_post(f"{PREFIX}/pull", pull_handler)
