"""Sync test kit (importable as ``synckit`` from any test): a hub and edges as real
aiohttp servers on loopback in this process, with real SQLite files and injected
clocks, wired exactly as ``hub serve`` and ``edge serve`` wire them.

    hub = await HubServer.start(tmp_path / "hub", clock)
    permit = await hub.issue(permit_body())          # {"permit_id", "qr"}
    edge = await EdgeServer.enrol(tmp_path / "edge", hub, "jiangping-park", clock)
    verdict = await edge.scan(permit["qr"], "in")
    await edge.sync()                                 # POST /api/sync on the edge
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from borderpass.clock import Clock
from edge import sync_setup
from edge.app import create_app as create_edge_app
from edge.config import EdgeConfig
from edge.config import load_config as load_edge_config
from edge.enrolment import enrol
from hub import accounts, trustlist
from hub.app import create_app as create_hub_app
from hub.auth import Role
from hub.config import HubConfig
from hub.config import load_config as load_hub_config
from hub.keyring import Keyring
from hub.store.schema import open_database

EMPLOYER = {
    "employer_id": "E-JP-01",
    "name_zh": "江平制衣有限公司",
    "name_vi": "Công ty May Giang Bình",
    "hiring_permit_no": "DX-PY-2026-001",
    "hiring_permit_valid_from": "2026-01-01",
    "hiring_permit_valid_until": "2027-12-31",
    "park_zone": "dongxing/jiangping",
}


def init_hub(data_dir: Path, clock: Clock) -> tuple[HubConfig, str]:
    """Initialise a hub the way ``hub init`` does; return its config and admin token."""
    config = load_hub_config(data_dir, env={})
    database = open_database(config.database_path)
    keyring = Keyring(config.keys_dir)
    now = clock.now_ms()
    try:
        database.write_blocking(lambda tx: trustlist.initialise(tx, keyring, now, 2))
        _, token = database.write_blocking(
            lambda tx: accounts.add_token(tx, Role.ADMIN, None, "test", now, "test")
        )
    finally:
        database.close()
    return config, token


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@dataclass
class HubServer:
    config: HubConfig
    admin_token: str
    runner: web.AppRunner
    url: str
    session: aiohttp.ClientSession

    @classmethod
    async def start(
        cls, data_dir: Path, clock: Clock, *, port: int = 0, admin_token: str | None = None
    ) -> HubServer:
        """A new hub, or (with its admin token) the hub already in ``data_dir``."""
        if admin_token is None:
            _, admin_token = init_hub(data_dir, clock)
        config = load_hub_config(data_dir, env={}, advertise=False)
        runner, url = await serve(create_hub_app(config, clock), port)
        hub = cls(config, admin_token, runner, url, aiohttp.ClientSession())
        await hub.api("POST", "/api/employers", EMPLOYER, expect=(201, 409))
        return hub

    async def restart(self, clock: Clock) -> HubServer:
        """Stop and start again on the same port (edges keep its address)."""
        await self.stop()
        port = int(self.url.rsplit(":", 1)[1])
        return await HubServer.start(self.config.data_dir, clock, port=port,
                                     admin_token=self.admin_token)  # fmt: skip

    async def api(self, method: str, path: str, body: Any = None,
                  expect: tuple[int, ...] = (200, 201)) -> Any:  # fmt: skip
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        async with self.session.request(method, self.url + path, json=body, headers=headers) as r:
            data = await r.json()
            assert r.status in expect, (r.status, data)
            return data

    async def issue(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api("POST", "/api/permits", body)  # type: ignore[no-any-return]

    async def new_edge(self, site_id: str) -> str:
        made = await self.api("POST", "/api/edges", {"site_id": site_id})
        return str(made["token"])

    async def stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()


@dataclass
class EdgeServer:
    config: EdgeConfig
    runner: web.AppRunner
    url: str
    session: aiohttp.ClientSession

    @classmethod
    async def enrol(cls, data_dir: Path, hub: HubServer, site_id: str, clock: Clock,
                    **settings: Any) -> EdgeServer:  # fmt: skip
        config = edge_config(data_dir, **settings)
        await enrol(config, hub.url, await hub.new_edge(site_id), clock.now_ms())
        return await cls.start(data_dir, clock, **settings)

    @classmethod
    async def start(cls, data_dir: Path, clock: Clock, **settings: Any) -> EdgeServer:
        config = edge_config(data_dir, **settings)
        app = create_edge_app(config, clock, extensions=[sync_setup.install])
        runner, url = await serve(app)
        return cls(config, runner, url, aiohttp.ClientSession())

    async def scan(self, qr: str, direction: str) -> dict[str, Any]:
        body = {"qr": qr, "direction": direction}
        async with self.session.post(self.url + "/api/scan", json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()  # type: ignore[no-any-return]

    async def sync(self) -> dict[str, Any]:
        async with self.session.post(self.url + "/api/sync") as r:
            assert r.status == 200, await r.text()
            return await r.json()  # type: ignore[no-any-return]

    async def status(self) -> dict[str, Any]:
        async with self.session.get(self.url + "/api/status") as r:
            return await r.json()  # type: ignore[no-any-return]

    async def stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()


def edge_config(data_dir: Path, **settings: Any) -> EdgeConfig:
    """Loops that run only when asked (``POST /api/sync``), quick retries."""
    quiet = {"push_interval_s": 3600.0, "pull_interval_s": 3600.0, "backoff_base_s": 0.05,
             "backoff_cap_s": 0.2, "request_timeout_s": 10.0} | settings  # fmt: skip
    return load_edge_config(data_dir, env={}, **quiet)
