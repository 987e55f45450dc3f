"""Fixtures for the edge tests: a provisioned data directory and the app under
aiohttp's test client with a ManualClock (helpers in ``edgekit.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from edgekit import Edge, StartEdge, make_data_dir
from factories import NOW_MS, Issuer

from borderpass.clock import ManualClock
from edge.app import create_app
from edge.config import EdgeConfig


@pytest.fixture
def start_edge(
    aiohttp_client: Callable[..., Awaitable[TestClient]], tmp_path: Path, issuer: Issuer
) -> StartEdge:
    """``await start_edge("kec-park", host="0.0.0.0")``: a fresh edge at a site."""
    count = 0

    async def start(site_id: str = "dongxing-port", **config: Any) -> Edge:
        nonlocal count
        count += 1
        data_dir = tmp_path / f"edge-{count}-{site_id}"
        provisioned = make_data_dir(data_dir, config.pop("issuer", issuer), site_id)
        clock = ManualClock(NOW_MS)
        app = create_app(EdgeConfig(data_dir=data_dir, **config), clock)
        client = await aiohttp_client(app)
        return Edge(client, clock, data_dir, provisioned)

    return start


@pytest.fixture
async def edge(start_edge: StartEdge) -> Edge:
    """An edge at the Dongxing port border gate."""
    return await start_edge()
