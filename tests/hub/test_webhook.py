"""The urgent-alert webhook against a real receiver on 127.0.0.1: retried with
exponential backoff until a 2xx, signed by the hub's root key, from a durable outbox
that a hub restart does not lose. The tests wait for deliveries with a generous
deadline; no timing is asserted."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from alertkit import HOUR_MS, World, make_world
from factories import NOW_MS
from hubkit import Hub

from hub.app import create_app
from hub.keyring import Keyring
from hub.store import alert_queues
from hub.webhook import (
    H_ALERT,
    H_DELIVERY,
    H_SIGNATURE,
    SIGNATURE_CONTEXT,
    WebhookSettings,
    retry_delay_s,
)
from protocol.keys import verify_signature

T0 = NOW_MS
FAST = {"webhook_retry_s": 0.02, "webhook_retry_max_s": 0.2, "webhook_timeout_s": 5.0}


@dataclass
class Receiver:
    """Answers 503 to the first ``failures`` posts, 200 after; keeps every post."""

    failures: int
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by the first 2xx."""
    retried: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by the second post (the first failure is recorded by then)."""

    async def handle(self, request: web.Request) -> web.Response:
        self.posts.append((dict(request.headers), await request.read()))
        if len(self.posts) == 2:
            self.retried.set()
        if len(self.posts) <= self.failures:
            return web.Response(status=503, text="busy")
        self.arrived.set()
        return web.json_response({"ok": True})


async def serve(receiver: Receiver) -> TestServer:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver(failures=2)
    server = await serve(found)
    yield found, str(server.make_url("/hook"))
    await server.close()


def deliveries(hub: Hub) -> list[alert_queues.Delivery]:
    conn = sqlite3.connect(hub.database_path)
    try:
        return alert_queues.list_deliveries(conn)
    finally:
        conn.close()


async def delivered(hub: Hub, deadline_s: float = 30.0) -> list[alert_queues.Delivery]:
    """The outbox once every delivery in it is marked delivered (the receiver's 2xx
    arrives before the hub records it)."""
    for _ in range(int(deadline_s / 0.02)):
        found = deliveries(hub)
        if found and all(d.delivered_at_ms is not None for d in found):
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"not delivered: {deliveries(hub)}")


async def raise_inland_and_out_of_area(world: World) -> dict[str, Any]:
    card = await world.issue()
    for site in ("dongxing-port", "beilun-bridge-2"):
        await world.edge(site)
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await world.scan_and_push("kec-park", card, "in", verdict="deny", at_ms=T0 + 3 * HOUR_MS)
    await world.scan_and_push("hengjiang", card, "in", verdict="alert", at_ms=T0 + 5 * HOUR_MS)
    await world.settle()
    return await world.only("inland_attempt")


def test_the_retry_delay_doubles_up_to_its_cap() -> None:
    settings = WebhookSettings("http://127.0.0.1:9/", first_retry_s=2.0, max_retry_s=60.0)
    assert [retry_delay_s(n, settings) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert retry_delay_s(10_000, settings) == 60.0


async def test_an_urgent_alert_is_posted_retried_and_marked_delivered(
    hub: Hub, aiohttp_client: Any, receiver: tuple[Receiver, str]
) -> None:
    found, url = receiver
    world = await make_world(hub, aiohttp_client, webhook_url=url, **FAST)
    alert = await raise_inland_and_out_of_area(world)
    await asyncio.wait_for(found.arrived.wait(), 30)
    [delivery] = await delivered(hub)  # the out-of-area alert (high) is not posted

    assert len(found.posts) == 3  # two refusals, then the 2xx; nothing after
    bodies = {body for _, body in found.posts}
    assert len(bodies) == 1  # the same delivery each time
    headers, body = found.posts[-1]
    assert headers[H_ALERT] == alert["id"]
    root = Keyring(hub.config.keys_dir).root().public_key
    assert verify_signature(root, SIGNATURE_CONTEXT, body, bytes.fromhex(headers[H_SIGNATURE]))
    payload = json.loads(body)
    assert payload["event"] == "alert.raised"
    assert {k: payload["alert"][k] for k in ("id", "kind", "severity", "evidence")} == {
        k: alert[k] for k in ("id", "kind", "severity", "evidence")
    }

    assert (delivery.alert_id, delivery.attempts) == (alert["id"], 3)
    assert delivery.delivered_at_ms is not None and delivery.last_error is None
    assert headers[H_DELIVERY] == str(delivery.delivery_id)


async def test_a_delivery_survives_a_hub_restart(
    hub: Hub, aiohttp_client: Any, receiver: tuple[Receiver, str]
) -> None:
    found, url = receiver
    found.failures = 10_000  # down for as long as the first hub runs
    world = await make_world(hub, aiohttp_client, webhook_url=url, **FAST)
    alert = await raise_inland_and_out_of_area(world)
    await asyncio.wait_for(found.retried.wait(), 30)
    await world.client.close()
    [waiting] = deliveries(hub)
    assert waiting.delivered_at_ms is None
    assert waiting.attempts >= 1 and waiting.last_error == "HTTP 503"

    found.failures = len(found.posts)  # the receiver is back
    restarted = await aiohttp_client(create_app(hub.config, hub.clock))
    [done] = await delivered(hub)
    assert done.delivery_id == waiting.delivery_id
    assert found.posts[-1][0][H_ALERT] == alert["id"]
    await restarted.close()


async def test_no_webhook_url_queues_nothing(hub: Hub, aiohttp_client: Any) -> None:
    world = await make_world(hub, aiohttp_client)
    await raise_inland_and_out_of_area(world)
    assert deliveries(hub) == []
