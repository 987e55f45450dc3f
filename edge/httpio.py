"""Reading requests and writing errors the same way everywhere in the edge API.

Every refusal is an :class:`ApiError`: a status, a stable reason code and a detail for
humans, sent as ``{"error": {"reason": ..., "detail": ...}}``. Bodies are read with a
hard cap, so an oversized body is refused with 413 before it is held in memory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from borderpass.jsonbody import JsonBodyError, parse_json

log = logging.getLogger("borderpass.edge")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CHUNK = 64 * 1024


class ApiError(Exception):
    def __init__(self, status: int, reason: str, detail: str = "") -> None:
        super().__init__(f"{status} {reason}: {detail}")
        self.status = status
        self.reason = reason
        self.detail = detail


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with Chinese and Vietnamese text as is (UTF-8), not as escapes."""
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def error_response(status: int, reason: str, detail: str = "") -> web.Response:
    return json_response({"error": {"reason": reason, "detail": detail}}, status=status)


_HTTP_REASONS = {
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn refusals under ``/api/`` into JSON errors; nothing escapes as a bare 500."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.reason, exc.detail)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        reason = _HTTP_REASONS.get(exc.status, "bad_request")
        return error_response(exc.status, reason, exc.reason)
    except Exception:
        if not request.path.startswith("/api/"):
            raise
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal", "the edge failed to answer; see its log")


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, refused with 413 ``too_large`` past ``limit`` bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(413, "too_large", f"body of {declared} bytes, limit {limit}")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"body over {limit} bytes")
        chunks.append(chunk)


async def read_json_object(request: web.Request, limit: int) -> dict[str, Any]:
    """A JSON object body; 400 ``not_json`` for anything else."""
    body = await read_body(request, limit)
    try:
        value = parse_json(body)
    except JsonBodyError as exc:
        raise ApiError(400, "not_json", f"the body must be a JSON object ({exc})") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "not_json", "the body must be a JSON object")
    return value


def query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        raise ApiError(400, f"bad_{name}", f"{name} must be an integer from {lo} to {hi}")
    return value
