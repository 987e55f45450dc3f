"""Edges made by hand for hub tests (importable as ``edgeclient`` from tests/hub): an
edge record made through ``POST /api/edges``, enrolled through ``POST /sync/v1/enrol``
with the protocol's frames, and a log of real :class:`protocol.events.ScanEvent`
values, hash-chained, pushed as signed ``push`` frames whose replies are checked
against the hub's root key. No edge service runs: the test decides every scan's site,
direction, verdict and instant.

    edge = await EdgeClient.enrol(client, admin, "dongxing-port", clock)
    seq = edge.scan(card, "in", at_ms=clock.now_ms())    # logged at the edge only
    reply = await edge.push()                            # everything not yet acked
    await edge.heartbeat()                               # nothing pending: watermark

``client`` is aiohttp's ``TestClient`` (or anything with its ``post(path, data=,
headers=)``); ``card`` is a :class:`Card`, e.g. :func:`card_of` an issued permit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from factories import key_from_label

from borderpass.clock import Clock
from protocol.events import GENESIS, ScanEvent, event_hash, qr_digest
from protocol.hlc import HlcTimestamp
from protocol.keys import SigningKey
from protocol.sync import auth
from protocol.sync.frames import decode_frame, encode_frame
from protocol.sync.messages import (
    EnrolReply,
    EnrolRequest,
    ErrorReply,
    Message,
    PushReply,
    PushRequest,
)

FRAME = "application/x-borderpass-frame"


@dataclass(frozen=True)
class Card:
    """What a scanned QR says: the permit, worker and employer, and its text."""

    permit_id: str
    worker_id: str
    employer_id: str
    qr: str


def card_of(issued: dict[str, Any], body: dict[str, Any]) -> Card:
    """The card of a permit issued with ``body`` (``POST /api/permits``), whose reply
    was ``issued``."""
    return Card(
        issued["permit_id"], body["worker"]["border_pass_no"], body["employer_id"], issued["qr"]
    )


class SyncRefused(Exception):
    def __init__(self, status: int, reply: ErrorReply) -> None:
        super().__init__(f"HTTP {status} {reply.reason}: {reply.detail}")
        self.status = status
        self.reason = reply.reason


@dataclass
class EdgeClient:
    client: Any
    edge_id: str
    site: str
    key: SigningKey
    clock: Clock
    epoch: str
    root_public_key: bytes
    log: list[bytes] = field(default_factory=list)
    acked: int = 0
    offset_ms: int = 0
    """The edge's measured offset to the hub's clock (hub minus edge), sent with each
    push; a scan's ``wall_ms`` is its hub instant minus this offset."""
    _hlc: int = 0

    @classmethod
    async def enrol(
        cls, client: Any, admin: dict[str, str], site: str, clock: Clock, label: str = ""
    ) -> EdgeClient:
        """Make the edge record (an admin's headers) and enrol a deterministic key."""
        made = await client.post("/api/edges", json={"site_id": site}, headers=admin)
        assert made.status == 201, await made.text()
        record = await made.json()
        key = key_from_label(f"edge {label or record['edge_id']}")
        request = EnrolRequest(record["token"], key.public_key, "edgeclient")
        response = await client.post(
            "/sync/v1/enrol", data=encode_frame(request), headers={"Content-Type": FRAME}
        )
        body = await response.read()
        auth.check_enrol_mac(record["token"], body, response.headers.get("X-Borderpass-Mac"))
        _, reply = decode_frame(body)
        assert isinstance(reply, EnrolReply), reply
        return cls(client, reply.edge_id, reply.site_id, key, clock, reply.epoch,
                   reply.root_public_key)  # fmt: skip

    @property
    def head(self) -> tuple[int, bytes]:
        """The last logged event's sequence number and hash."""
        return len(self.log), event_hash(self.log[-1]) if self.log else GENESIS

    def scan(
        self,
        card: Card,
        direction: str,
        *,
        at_ms: int | None = None,
        verdict: str = "allow",
        reasons: tuple[str, ...] = (),
        verified: bool = True,
    ) -> int:
        """Log one scan at this edge (hub instant ``at_ms``, default now); return its
        sequence number. Nothing reaches the hub before :meth:`push`."""
        at = self.clock.now_ms() if at_ms is None else at_ms
        wall = at - self.offset_ms
        self._hlc = max(self._hlc + 1, HlcTimestamp(wall).pack())
        seq, prev = self.head
        event = ScanEvent(
            seq=seq + 1, hlc=self._hlc, wall_ms=wall, prev_hash=prev, site=self.site,
            direction=direction, verdict=verdict, reasons=reasons, permit_id=card.permit_id,
            worker_id=card.worker_id, employer_id=card.employer_id, verified=verified,
            trust_age_s=60, operator="officer", qr_digest=qr_digest(card.qr),
        )  # fmt: skip
        self.log.append(event.encode())
        return seq + 1

    def push_request(
        self, upto: int | None = None, pending: int | None = None, signer: SigningKey | None = None
    ) -> PushRequest:
        """A push of the log after the hub's last acknowledgement, up to ``upto``."""
        last = len(self.log) if upto is None else upto
        events = tuple(self.log[self.acked : last])
        last_hash = event_hash(self.log[last - 1]) if last else GENESIS
        head = auth.head_message(self.edge_id, last, last_hash)
        signature = (signer or self.key).sign(auth.HEAD_CONTEXT, head)
        left = len(self.log) - last if pending is None else pending
        return PushRequest(self.epoch, 1, events, signature, self._hlc, self.offset_ms, left, 1)

    async def push(self, upto: int | None = None, pending: int | None = None) -> PushReply:
        """Push the unacknowledged log (up to ``upto``); raise :class:`SyncRefused`
        with the hub's reason if it refuses."""
        reply = await self.send("/sync/v1/push", self.push_request(upto, pending))
        assert isinstance(reply, PushReply), reply
        self.acked = reply.acked_seq
        return reply

    async def heartbeat(self) -> PushReply:
        """An empty push saying nothing is pending: the hub then knows this edge's
        log up to now (its watermark)."""
        return await self.push(upto=self.acked, pending=0)

    async def send(self, path: str, message: Message) -> Message:
        """Sign ``message`` as a request of this edge and check the hub signed the
        reply for it."""
        body = encode_frame(message)
        nonce = os.urandom(auth.NONCE_LEN)
        signed = auth.sign_request(
            self.key, self.edge_id, "POST", path, body, self.clock.now_ms(), nonce
        )
        response = await self.client.post(
            path, data=body, headers={**signed.headers(), "Content-Type": FRAME}
        )
        data = await response.read()
        auth.check_reply(self.root_public_key, nonce, data, response.headers.get(auth.H_SIGNATURE))
        _, reply = decode_frame(data)
        if isinstance(reply, ErrorReply):
            raise SyncRefused(response.status, reply)
        return reply
