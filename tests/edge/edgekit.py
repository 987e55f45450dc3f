"""Helpers for the edge tests: a running edge under aiohttp's test client, scanning,
reading the log back (fixtures that use them are in this directory's conftest)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from factories import NOW_MS, Issuer

from borderpass.clock import ManualClock
from borderpass.sqlite import Database
from edge import store
from edge.provision import Provisioned, provision
from edge.runtime import RUNTIME, EdgeServices
from protocol.events import GENESIS, chain_breaks


@dataclass
class Edge:
    """A running edge app behind a test client."""

    client: TestClient
    clock: ManualClock
    data_dir: Path
    provisioned: Provisioned

    @property
    def services(self) -> EdgeServices:
        services = self.client.app[RUNTIME].services
        assert services is not None
        return services

    async def scan(self, qr: str, direction: str = "in", **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/scan", json={"qr": qr, "direction": direction, **extra}
        )
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result

    async def log(self) -> list[bytes]:
        """Every stored event's bytes, oldest first."""
        events = await self.services.db.read(lambda conn: store.events_after(conn, 0, 10**9))
        return [e.body for e in events]


def make_data_dir(path: Path, issuer: Issuer, site_id: str, now_ms: int = NOW_MS) -> Provisioned:
    return provision(path, site_id, issuer.bundle(), now_ms)


def assert_chain_intact(encoded: list[bytes]) -> None:
    assert chain_breaks(GENESIS, 0, encoded) is None


StartEdge = Callable[..., Awaitable[Edge]]


def open_database(data_dir: Path) -> Database:
    return Database(data_dir / "edge.db", store.migrate).open()
