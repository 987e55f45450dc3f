"""A fault-injecting HTTP proxy on loopback, between an edge and the hub.

Each request that reaches the proxy takes the next :class:`Fate` from its schedule
(``pass`` once the schedule is used up, which is how a test "heals" the link):

- ``pass``: forward, return the reply;
- ``drop_request``: close the connection without forwarding (the hub never sees it);
- ``drop_reply``: forward, then close the connection (the hub acted, the edge never
  hears of it);
- ``duplicate``: forward the request twice, return the second reply;
- ``delay``: hold the request a little before forwarding;
- ``truncate_request``: forward the first half of the body;
- ``truncate_reply``: return the first half of the reply body;
- ``reorder``: hold the request until the next one has been forwarded, then forward it
  (an old request arriving after a newer one) and drop its reply.

Real sockets, real aiohttp on both sides: the edge and the hub cannot tell the proxy
from a bad network.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

import aiohttp
from aiohttp import web


class Fate(StrEnum):
    PASS = "pass"
    DROP_REQUEST = "drop_request"
    DROP_REPLY = "drop_reply"
    DUPLICATE = "duplicate"
    DELAY = "delay"
    TRUNCATE_REQUEST = "truncate_request"
    TRUNCATE_REPLY = "truncate_reply"
    REORDER = "reorder"


FORWARDED = ("Content-Type", "X-Borderpass-Edge", "X-Borderpass-Timestamp",
             "X-Borderpass-Nonce", "X-Borderpass-Signature")  # fmt: skip


class FaultProxy:
    def __init__(self, upstream: str, schedule: Iterable[Fate] = ()) -> None:
        self.upstream = upstream.rstrip("/")
        self.schedule = list(schedule)
        self.seen: Counter[str] = Counter()
        self._held: list[tuple[str, bytes, dict[str, str]]] = []
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def heal(self) -> None:
        self.schedule.clear()

    async def _forward(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        assert self._session is not None
        async with self._session.post(self.upstream + path, data=body, headers=headers) as r:
            return (
                r.status,
                await r.read(),
                {k: v for k, v in r.headers.items() if k.startswith("X-")},
            )

    async def _release_held(self) -> None:
        held, self._held = self._held, []
        for path, body, headers in held:
            await self._forward(path, body, headers)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fate = self.schedule.pop(0) if self.schedule else Fate.PASS
        self.seen[fate] += 1
        body = await request.read()
        headers = {h: request.headers[h] for h in FORWARDED if h in request.headers}
        path = request.path_qs
        if fate is Fate.DROP_REQUEST:
            return await self._hang_up(request)
        if fate is Fate.REORDER:
            self._held.append((path, body, headers))
            return await self._hang_up(request)
        if fate is Fate.DELAY:
            await asyncio.sleep(0.05)
        if fate is Fate.TRUNCATE_REQUEST:
            body = body[: len(body) // 2]
        status, reply, reply_headers = await self._forward(path, body, headers)
        if fate is Fate.DUPLICATE:
            status, reply, reply_headers = await self._forward(path, body, headers)
        await self._release_held()
        if fate is Fate.DROP_REPLY:
            return await self._hang_up(request)
        if fate is Fate.TRUNCATE_REPLY:
            reply = reply[: len(reply) // 2]
        return web.Response(body=reply, status=status, headers=reply_headers,
                            content_type="application/x-borderpass-frame")  # fmt: skip

    async def _hang_up(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.close()
        return web.Response(status=502)
