"""What every API handler shares: reading a JSON body, answering JSON."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from borderpass.jsonbody import JsonBodyError, parse_json
from hub.errors import Refusal


async def read_json(request: web.Request) -> object:
    """The request's JSON body; ``400 bad_json`` if it is not JSON or nested deeper
    than 32 levels (the size cap is the application's ``client_max_size``: ``413
    too_large``)."""
    if request.content_type != "application/json":
        raise Refusal("bad_json", "send Content-Type: application/json", 415)
    raw = await request.read()
    try:
        return parse_json(raw)
    except JsonBodyError as exc:
        raise Refusal("bad_json", str(exc)) from exc


def reply(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
