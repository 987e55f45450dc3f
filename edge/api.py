"""The edge's JSON API handlers: parse, call, answer. See README "Edge API".

    POST /api/scan     {"qr": "...", "direction": "in"|"out"|"check", "operator"?: "..."}
    GET  /api/status
    GET  /api/onsite   (a park gate only)
    GET  /api/scans?limit=N
    POST /api/decode   a JPEG or PNG frame, raw or multipart -> {"qr": text | null}
    POST /api/sync     (when a sync client is installed)

The language of words in answers (``reason_text``...) is ``?lang=`` or the ``lang``
cookie, else the configured default.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import BodyPartReader, web

from borderpass.qr import QrImageError, QrReason, decode_image
from protocol.verdict import Direction

from . import i18n, reads, views
from .httpio import ApiError, json_response, query_int, read_body, read_json_object
from .runtime import runtime_of
from .scanner import MAX_OPERATOR_LEN, ScanRequest

log = logging.getLogger("borderpass.edge")
MAX_SCANS = 500


def request_language(request: web.Request) -> str:
    default = runtime_of(request).config.default_language
    return i18n.pick_language(
        request.query.get("lang"), request.cookies.get("lang"), default=default
    )


def parse_scan(body: dict[str, Any], default_operator: str) -> ScanRequest:
    """The scan a JSON body asks for; :class:`ApiError` 400 for each kind of bad field."""
    if "qr" not in body:
        raise ApiError(400, "missing_qr", "the body needs the scanned text as 'qr'")
    qr = body["qr"]
    if not isinstance(qr, str):
        raise ApiError(400, "bad_qr", "'qr' must be the scanned text, a string")
    direction = body.get("direction")
    if direction not in {d.value for d in Direction}:
        raise ApiError(400, "bad_direction", "'direction' must be 'in', 'out' or 'check'")
    operator = body.get("operator", default_operator)
    if not isinstance(operator, str) or not 0 < len(operator) <= MAX_OPERATOR_LEN:
        raise ApiError(400, "bad_operator", f"'operator' must be 1-{MAX_OPERATOR_LEN} characters")
    return ScanRequest(qr=qr, direction=Direction(direction), operator=operator)


async def post_scan(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    services = runtime.ready()
    body = await read_json_object(request, runtime.config.max_body_bytes)
    scan = parse_scan(body, runtime.config.operator)
    try:
        record = await services.scanner.scan(scan)
    except Exception as exc:
        log.exception("a scan could not be logged")
        raise ApiError(503, "not_logged", "the scan was not logged: no verdict") from exc
    return json_response(views.scan_view(record, services.state, request_language(request)))


async def get_status(request: web.Request) -> web.Response:
    return json_response(await reads.status(runtime_of(request), request_language(request)))


async def get_scans(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    limit = query_int(request, "limit", 20, 1, MAX_SCANS)
    lang = request_language(request)
    state = runtime.ready().state
    scans = await reads.recent_scans(runtime, limit)
    return json_response({"scans": [views.logged_scan_view(s, state, lang) for s in scans]})


async def get_onsite(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    state = runtime.ready().state
    if not state.site.is_park:
        raise ApiError(404, "not_a_park", f"{state.site.site_id} is not a park gate")
    roll_call = await reads.current_roll_call(runtime)
    return json_response(views.onsite_view(roll_call, state, request_language(request)))


async def read_frame(request: web.Request, limit: int) -> bytes:
    """The image bytes: the raw body, or the first file part of a multipart form."""
    if not request.content_type.startswith("multipart/"):
        return await read_body(request, limit)
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        content_type = part.headers.get("Content-Type", "")
        if part.filename is not None or content_type.startswith("image/"):
            frame = await part.read_chunk(limit + 1)
            while len(frame) <= limit and (chunk := await part.read_chunk()):
                frame += chunk
            if len(frame) > limit:
                raise ApiError(413, "too_large", f"image over {limit} bytes")
            return frame
    raise ApiError(400, "not_an_image", "the form has no image file")


async def post_decode(request: web.Request) -> web.Response:
    limit = runtime_of(request).config.max_image_bytes
    frame = await read_frame(request, limit)
    try:
        texts = await asyncio.to_thread(decode_image, frame, max_bytes=limit)
    except QrImageError as exc:
        if exc.reason == QrReason.NO_QR_FOUND:
            return json_response({"qr": None})
        status = 413 if exc.reason == QrReason.TOO_LARGE else 400
        raise ApiError(status, exc.reason, exc.detail) from exc
    return json_response({"qr": texts[0]})


async def post_sync(request: web.Request) -> web.Response:
    sync_now = runtime_of(request).sync_now
    if sync_now is None:
        raise ApiError(409, "no_hub", "this edge runs standalone: no sync client")
    return json_response(await sync_now())
