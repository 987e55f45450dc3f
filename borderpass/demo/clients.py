"""The hub's and the edges' JSON APIs as the demo calls them: thin wrappers over one
shared :class:`aiohttp.ClientSession`, each call checked for its status."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

JSON = dict[str, Any]


class ApiCallFailed(RuntimeError):
    """A call answered with an unexpected status; the message has the hub's reason."""


async def _answer(response: aiohttp.ClientResponse, expect: tuple[int, ...], what: str) -> JSON:
    try:
        body = await response.json()
    except (aiohttp.ContentTypeError, ValueError):
        body = {"error": {"reason": "not_json", "detail": (await response.text())[:200]}}
    if response.status not in expect:
        error = body.get("error", body) if isinstance(body, dict) else body
        raise ApiCallFailed(f"{what}: HTTP {response.status}: {error}")
    return body if isinstance(body, dict) else {"items": body}


class HubClient:
    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self.session, self.url, self.token = session, url.rstrip("/"), token
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(
        self, method: str, path: str, body: JSON | None = None, expect: tuple[int, ...] = (200, 201)
    ) -> JSON:
        async with self.session.request(
            method, self.url + path, json=body, headers=self.headers
        ) as response:
            return await _answer(response, expect, f"{method} {path}")

    async def register_employer(self, body: JSON) -> None:
        await self.call("POST", "/api/employers", body, expect=(201,))

    async def issue_permit(self, body: JSON) -> JSON:
        """``{"permit_id", "qr"}``."""
        return await self.call("POST", "/api/permits", body, expect=(201,))

    async def revoke_permit(self, permit_id: str, reason: str) -> None:
        await self.call("POST", f"/api/permits/{permit_id}/revoke", {"reason": reason})

    async def new_edge(self, site_id: str) -> str:
        """A one-time enrolment token for a new edge at the site."""
        made = await self.call("POST", "/api/edges", {"site_id": site_id, "label": site_id})
        return str(made["token"])

    async def add_user(self, username: str, password: str, role: str) -> None:
        body = {"username": username, "password": password, "role": role}
        await self.call("POST", "/api/users", body, expect=(201,))

    async def alerts(self) -> list[JSON]:
        found = await self.call("GET", "/api/alerts?limit=5000")
        return list(found["alerts"])

    async def edges(self) -> list[JSON]:
        return list((await self.call("GET", "/api/edges"))["edges"])


class EdgeClient:
    """One edge's API, over a session of its own. :meth:`pause` (before the demo
    restarts the edge) holds new calls and waits for those under way; :meth:`resume`
    opens fresh connections to the new process and lets the calls go."""

    def __init__(self, site: str, url: str, token: str | None = None) -> None:
        self.site, self.url = site, url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.session = self._new_session()
        self.ready = asyncio.Event()
        self.ready.set()
        self._under_way = 0
        self._idle = asyncio.Condition()

    @staticmethod
    def _new_session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=16)
        return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60))

    async def _call(self, method: str, path: str, body: JSON | None = None) -> JSON:
        for attempt in range(5):
            await self.ready.wait()
            self._under_way += 1
            try:
                async with self.session.request(
                    method, self.url + path, json=body, headers=self.headers
                ) as response:
                    return await _answer(response, (200,), f"{self.site} {method} {path}")
            except aiohttp.ClientConnectorError:  # not connected: nothing was logged
                if attempt == 4:
                    raise
            finally:
                self._under_way -= 1
                async with self._idle:
                    self._idle.notify_all()
            await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    async def pause(self) -> None:
        self.ready.clear()
        async with self._idle:
            await self._idle.wait_for(lambda: self._under_way == 0)

    async def resume(self) -> None:
        await self.session.close()
        self.session = self._new_session()
        self.ready.set()

    async def close(self) -> None:
        await self.session.close()

    async def scan(self, qr: str, direction: str) -> JSON:
        """The verdict: ``{"verdict", "reasons", "at", "seq", ...}``."""
        return await self._call("POST", "/api/scan", {"qr": qr, "direction": direction,
                                                      "operator": "demo"})  # fmt: skip

    async def sync(self) -> JSON:
        return await self._call("POST", "/api/sync")

    async def status(self) -> JSON:
        return await self._call("GET", "/api/status")
