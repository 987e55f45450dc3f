"""The hub's sync endpoints through real HTTP: enrolment, signed pushes and pulls, and
every kind of bad request refused with its reason and without changing anything.

The edge side is the edge's own link code (:class:`edge.hublink.HubLink` over aiohttp),
talking to the hub app on a loopback test server.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hubkit import Hub, bearer, permit_body

from edge.hublink import AiohttpTransport, HubLink, Refused
from hub.store import sync as store
from protocol.events import GENESIS, ScanEvent, event_hash, qr_digest
from protocol.keys import SigningKey
from protocol.sync import auth
from protocol.sync import datasets as ds
from protocol.sync.frames import encode_frame
from protocol.sync.messages import (
    Cursor,
    EnrolRequest,
    PullReply,
    PullRequest,
    PushReply,
    PushRequest,
)

TRANSPORTS: list[AiohttpTransport] = []


def transport_to(client: TestClient) -> AiohttpTransport:
    transport = AiohttpTransport(str(client.make_url("")), timeout_s=10)
    TRANSPORTS.append(transport)
    return transport


@pytest.fixture(autouse=True)
async def close_transports() -> Any:
    yield
    while TRANSPORTS:
        await TRANSPORTS.pop().close()


class Edge:
    """An enrolled edge: its key, id and a growing chained log."""

    def __init__(self, link: HubLink, key: SigningKey, edge_id: str, site: str) -> None:
        self.link, self.key, self.edge_id, self.site = link, key, edge_id, site
        self.log: list[bytes] = []
        self.acked = 0

    def scan(self, at_ms: int, direction: str = "in", permit_id: str = "P1",
             worker_id: str = "W1") -> None:  # fmt: skip
        prev = event_hash(self.log[-1]) if self.log else GENESIS
        event = ScanEvent(
            seq=len(self.log) + 1, hlc=at_ms << 16, wall_ms=at_ms, prev_hash=prev,
            site=self.site, direction=direction, verdict="allow", reasons=(),
            permit_id=permit_id, worker_id=worker_id, employer_id="E-JP-01", verified=True,
            trust_age_s=1, operator="officer", qr_digest=qr_digest(permit_id),
        )  # fmt: skip
        self.log.append(event.encode())

    def push_request(self, pending: int = 0) -> PushRequest:
        events = tuple(self.log[self.acked :])
        last_seq = self.acked + len(events)
        last_hash = event_hash(events[-1]) if events else GENESIS
        head = self.key.sign(
            auth.HEAD_CONTEXT, auth.head_message(self.edge_id, last_seq, last_hash)
        )
        return PushRequest("", 1, events, head, 0, 0, pending, 1)

    async def push(self, now_ms: int) -> PushReply:
        reply = await self.link.signed(
            "/sync/v1/push", self.push_request(), PushReply, self.key, self.edge_id, now_ms
        )
        self.acked = reply.acked_seq
        return reply

    async def pull(
        self, now_ms: int, cursors: tuple[Cursor, ...] = (), epoch: str = ""
    ) -> PullReply:
        request = PullRequest(epoch, cursors, 0)
        return await self.link.signed(
            "/sync/v1/pull", request, PullReply, self.key, self.edge_id, now_ms
        )


async def enrol(client: TestClient, hub: Hub, site: str = "dongxing-port") -> Edge:
    made = await client.post("/api/edges", json={"site_id": site}, headers=bearer(hub, "admin"))
    assert made.status == 201, await made.text()
    token = (await made.json())["token"]
    transport = transport_to(client)
    key = SigningKey.generate()
    reply = await HubLink(transport, None).enrol(EnrolRequest(token, key.public_key, "test"))
    return Edge(HubLink(transport, reply.root_public_key), key, reply.edge_id, site)


def stored(hub: Hub, query: Any) -> Any:
    import sqlite3

    conn = sqlite3.connect(hub.config.database_path)
    try:
        return query(conn)
    finally:
        conn.close()


async def test_an_enrolled_edge_pushes_its_log_and_the_hub_acknowledges(
    client: TestClient, hub: Hub
) -> None:
    edge = await enrol(client, hub)
    for i in range(5):
        edge.scan(hub.clock.now_ms() - 1000 * (5 - i))
    reply = await edge.push(hub.clock.now_ms())
    assert reply.acked_seq == 5
    bodies = stored(hub, lambda c: store.event_bodies(c, edge.edge_id))
    assert [b for _, b in bodies] == edge.log
    again = await edge.push(hub.clock.now_ms())  # nothing new: a heartbeat
    assert again.acked_seq == 5
    assert stored(hub, store.count_events) == 5


async def test_a_token_works_once(client: TestClient, hub: Hub) -> None:
    made = await client.post(
        "/api/edges", json={"site_id": "kec-park"}, headers=bearer(hub, "admin")
    )
    token = (await made.json())["token"]
    link = HubLink(transport_to(client), None)
    await link.enrol(EnrolRequest(token, SigningKey.generate().public_key, "t"))
    with pytest.raises(Refused) as caught:
        await link.enrol(EnrolRequest(token, SigningKey.generate().public_key, "t"))
    assert caught.value.reason == "bad_token"


async def test_an_expired_token_is_refused(client: TestClient, hub: Hub) -> None:
    made = await client.post(
        "/api/edges", json={"site_id": "kec-park"}, headers=bearer(hub, "admin")
    )
    token = (await made.json())["token"]
    hub.clock.advance(hub.config.enrol_token_hours * 3_600_000 + 1)
    link = HubLink(transport_to(client), None)
    with pytest.raises(Refused) as caught:
        await link.enrol(EnrolRequest(token, SigningKey.generate().public_key, "t"))
    assert caught.value.reason == "token_expired"


async def test_an_unknown_site_gets_no_edge(client: TestClient, hub: Hub) -> None:
    made = await client.post("/api/edges", json={"site_id": "hanoi"}, headers=bearer(hub, "admin"))
    assert made.status == 400
    assert (await made.json())["error"]["reason"] == "unknown_site"


async def test_police_cannot_make_edges(client: TestClient, hub: Hub) -> None:
    made = await client.post(
        "/api/edges", json={"site_id": "kec-park"}, headers=bearer(hub, "police")
    )
    assert made.status == 403


# -- bad requests: refused with a reason, nothing changes ---------------------------------


async def raw_post(
    client: TestClient, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    from protocol.sync.frames import decode_frame

    response = await client.post(path, data=body, headers=headers)
    _, msg = decode_frame(await response.read())
    return response.status, msg.reason  # type: ignore[union-attr]


def signed_headers(edge: Edge, body: bytes, now_ms: int, path: str = "/sync/v1/push",
                   nonce: bytes | None = None) -> dict[str, str]:  # fmt: skip
    request = auth.sign_request(edge.key, edge.edge_id, "POST", path, body, now_ms,
                                nonce or os.urandom(16))  # fmt: skip
    return request.headers()


async def test_bad_requests_are_refused_and_change_nothing(client: TestClient, hub: Hub) -> None:
    edge = await enrol(client, hub)
    edge.scan(hub.clock.now_ms())
    await edge.push(hub.clock.now_ms())
    edge.scan(hub.clock.now_ms())
    body = encode_frame(edge.push_request())
    now = hub.clock.now_ms()
    cases = {
        "unsigned": ({}, "missing_signature", 401),
        "forged": (signed_headers(Edge(edge.link, SigningKey.generate(), edge.edge_id,
                                       edge.site), body, now), "bad_signature", 401),
        "unknown edge": (signed_headers(Edge(edge.link, edge.key, "nobody", edge.site),
                                        body, now), "unknown_edge", 401),
        "stale": (signed_headers(edge, body, now - 3_600_000), "stale_request", 401),
        "other path": (signed_headers(edge, body, now, path="/sync/v1/pull"),
                       "bad_signature", 401),
    }  # fmt: skip
    for name, (headers, reason, status) in cases.items():
        got = await raw_post(client, "/sync/v1/push", body, headers)
        assert got == (status, reason), name
    nonce = os.urandom(16)
    headers = signed_headers(edge, body, now, nonce=nonce)
    assert (await client.post("/sync/v1/push", data=body, headers=headers)).status == 200
    assert await raw_post(client, "/sync/v1/push", body, headers) == (409, "replayed")
    assert stored(hub, store.count_events) == 2


async def test_truncated_oversized_and_bomb_frames_are_refused(
    client: TestClient, hub: Hub
) -> None:
    edge = await enrol(client, hub)
    edge.scan(hub.clock.now_ms())
    body = encode_frame(edge.push_request())
    now = hub.clock.now_ms()
    truncated = body[: len(body) - 7]
    assert await raw_post(client, "/sync/v1/push", truncated,
                          signed_headers(edge, truncated, now)) == (400, "malformed")  # fmt: skip
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = b"\x01\x01" + compressor.compress(bytes(64 << 20)) + compressor.flush()
    assert await raw_post(client, "/sync/v1/push", bomb,
                          signed_headers(edge, bomb, now)) == (413, "too_large")  # fmt: skip
    huge = bytes(9 << 20)
    response = await client.post(
        "/sync/v1/push", data=huge, headers=signed_headers(edge, huge, now)
    )
    assert response.status == 413
    assert stored(hub, store.count_events) == 0


async def test_a_revoked_edge_is_refused(client: TestClient, hub: Hub) -> None:
    edge = await enrol(client, hub)
    response = await client.post(
        f"/api/edges/{edge.edge_id}/revoke", json={"reason": "stolen"},
        headers=bearer(hub, "admin"),
    )  # fmt: skip
    assert response.status == 200
    edge.scan(hub.clock.now_ms())
    with pytest.raises(Refused) as caught:
        await edge.push(hub.clock.now_ms())
    assert caught.value.reason == "edge_revoked"
    assert stored(hub, store.count_events) == 0


async def test_a_chain_that_does_not_link_is_refused_and_recorded(
    client: TestClient, hub: Hub
) -> None:
    edge = await enrol(client, hub)
    edge.scan(hub.clock.now_ms())
    edge.scan(hub.clock.now_ms())
    edge.log[1] = edge.log[1][:-1] + b"\x00"  # the second event no longer hashes as linked
    edge.log[0], edge.log[1] = edge.log[1], edge.log[0]
    with pytest.raises(Refused) as caught:
        await edge.push(hub.clock.now_ms())
    assert caught.value.reason in {"chain_broken", "malformed"}
    assert stored(hub, store.count_events) == 0


# -- pull ---------------------------------------------------------------------------------


async def test_a_revocation_reaches_the_edge_first_and_checks_out(
    client: TestClient, hub: Hub
) -> None:
    issued = await client.post("/api/permits", json=permit_body(), headers=bearer(hub, "issuer"))
    permit_id = (await issued.json())["permit_id"]
    edge = await enrol(client, hub, site="jiangping-park")
    first = await edge.pull(hub.clock.now_ms())
    names = [d.dataset for d in first.datasets]
    assert names[0] == "revocations" or "revocations" not in names
    assert {"trust", "sites", "employers", "roster"} <= set(names)
    roster = next(d for d in first.datasets if d.dataset == "roster")
    assert [e.key for e in roster.entries] == ["VN-BP-0001"]
    held = {d.dataset: ds.apply_changes({}, d) for d in first.datasets}
    cursors = tuple(Cursor(d.dataset, d.to_version) for d in first.datasets)

    revoked = await client.post(
        f"/api/permits/{permit_id}/revoke", json={"reason": "fraud"},
        headers=bearer(hub, "issuer"),
    )  # fmt: skip
    assert revoked.status == 201, await revoked.text()
    second = await edge.pull(hub.clock.now_ms(), cursors, first.epoch)
    assert [d.dataset for d in second.datasets] == ["revocations"]
    after = ds.apply_changes(held.get("revocations", {}), second.datasets[0])
    revocation = ds.decode_revocation(after[f"permit:{permit_id}"])
    assert (revocation.subject, revocation.reason) == (permit_id, "fraud")


async def test_a_border_edge_gets_no_roster_and_a_new_epoch_gets_snapshots(
    client: TestClient, hub: Hub
) -> None:
    await client.post("/api/permits", json=permit_body(), headers=bearer(hub, "issuer"))
    edge = await enrol(client, hub, site="dongxing-port")
    first = await edge.pull(hub.clock.now_ms())
    assert "roster" not in [d.dataset for d in first.datasets]
    assert all(d.reset for d in first.datasets)
    cursors = tuple(Cursor(d.dataset, d.to_version) for d in first.datasets)
    quiet = await edge.pull(hub.clock.now_ms(), cursors, first.epoch)
    assert quiet.datasets == ()
    restored = await edge.pull(hub.clock.now_ms(), cursors, "another-epoch")
    assert restored.datasets and all(d.reset for d in restored.datasets)


async def test_events_from_a_clock_far_in_the_future_are_flagged(
    client: TestClient, hub: Hub
) -> None:
    edge = await enrol(client, hub)
    now = hub.clock.now_ms()
    edge.scan(now - 60_000)
    edge.scan(now + 3 * 3_600_000)  # three hours ahead of the hub, offset unknown
    await edge.push(now)
    flagged = stored(
        hub,
        lambda c: c.execute("SELECT seq, at_ms, clock_suspect FROM events ORDER BY seq").fetchall(),
    )
    assert flagged == [(1, now - 60_000, 0), (2, now, 1)]


async def test_an_edge_behind_the_retained_change_log_gets_a_snapshot(
    client: TestClient, hub: Hub
) -> None:
    from hub.sync_server import SYNC_SERVICE

    issued = [
        (await (await client.post(
            "/api/permits", json=permit_body(worker={"border_pass_no": f"VN-BP-10{i}"}),
            headers=bearer(hub, "issuer"),
        )).json())["permit_id"]
        for i in range(3)
    ]  # fmt: skip
    await client.post(f"/api/permits/{issued[2]}/revoke", json={"reason": "lost"},
                      headers=bearer(hub, "issuer"))  # fmt: skip
    edge = await enrol(client, hub, site="jiangping-park")
    first = await edge.pull(hub.clock.now_ms())
    held = {d.dataset: ds.apply_changes({}, d) for d in first.datasets}
    cursors = tuple(Cursor(d.dataset, d.to_version) for d in first.datasets)
    for permit_id in issued[:2]:
        await client.post(f"/api/permits/{permit_id}/revoke", json={"reason": "fraud"},
                          headers=bearer(hub, "issuer"))  # fmt: skip
    reinstate = await client.get("/api/revocations", headers=bearer(hub, "admin"))
    first_revocation = (await reinstate.json())["revocations"][-1]["revocation_id"]
    await client.post(f"/api/revocations/{first_revocation}/reinstate", json={"reason": "error"},
                      headers=bearer(hub, "admin"))  # fmt: skip
    hub.clock.advance(31 * 86_400_000)
    service = client.app[SYNC_SERVICE]
    dropped = await service.db.write(lambda tx: service.compact(tx, hub.clock.now_ms()))
    assert dropped >= 1
    behind = await edge.pull(hub.clock.now_ms(), cursors, first.epoch)
    revocations = next(d for d in behind.datasets if d.dataset == "revocations")
    assert revocations.reset
    after = ds.apply_changes(held.get("revocations", {}), revocations)
    assert len(after) == 2  # the first and one of the later two; the lifted one is gone


async def test_a_compaction_does_not_disturb_an_edge_that_is_up_to_date(
    client: TestClient, hub: Hub
) -> None:
    from hub.sync_server import SYNC_SERVICE

    await client.post("/api/permits", json=permit_body(), headers=bearer(hub, "issuer"))
    edge = await enrol(client, hub, site="jiangping-park")
    first = await edge.pull(hub.clock.now_ms())
    cursors = tuple(Cursor(d.dataset, d.to_version) for d in first.datasets)
    hub.clock.advance(31 * 86_400_000)
    service = client.app[SYNC_SERVICE]
    await service.db.write(lambda tx: service.compact(tx, hub.clock.now_ms()))
    again = await edge.pull(hub.clock.now_ms(), cursors, first.epoch)
    assert again.datasets == ()
