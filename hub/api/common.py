"""What every API handler shares: reading a JSON body, answering JSON."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from hub.errors import Refusal


async def read_json(request: web.Request) -> object:
    """The request's JSON body; ``400 bad_json`` if it is not JSON (the size cap is the
    application's ``client_max_size``: ``413 too_large``)."""
    if request.content_type != "application/json":
        raise Refusal("bad_json", "send Content-Type: application/json", 415)
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refusal("bad_json", f"not JSON: {exc}") from exc


def reply(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
