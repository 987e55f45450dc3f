"""The edge's link to the hub: frames over HTTP, signed, and checked on the way back.

:class:`Transport` is the one thing that touches the network (aiohttp here; tests may
pass their own). :class:`HubLink` signs each request with the edge's key, checks that
each reply is signed by the pinned hub key for that very request, and turns every way a
round trip can fail into one of two exceptions: :class:`LinkDown` (no answer: retry
later) or :class:`Refused` (the hub, or a reply, said no, with a reason code).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import aiohttp

from protocol.keys import SigningKey, verify_signature
from protocol.sync import auth
from protocol.sync.frames import SyncError, decode_frame, encode_frame
from protocol.sync.messages import (
    EnrolReply,
    EnrolRequest,
    ErrorReply,
    Message,
    PullReply,
    PushReply,
    SyncReason,
    TimeReply,
    TimeRequest,
)

M = TypeVar("M", TimeReply, EnrolReply, PushReply, PullReply)


class LinkDown(Exception):
    """No usable answer: the hub is unreachable, timed out, or sent garbage."""


class Refused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: bytes
    headers: Mapping[str, str]


class Transport(Protocol):
    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> HttpReply: ...


class AiohttpTransport:
    """POST frames to ``base_url`` with a per-request timeout."""

    def __init__(self, base_url: str, timeout_s: float, max_reply_bytes: int = 64 << 20) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max = max_reply_bytes
        self._session: aiohttp.ClientSession | None = None

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> HttpReply:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        sent = {**headers, "Content-Type": "application/x-borderpass-frame"}
        try:
            async with self._session.post(self.base_url + path, data=body, headers=sent) as r:
                data = await r.content.read(self._max + 1)
                if len(data) > self._max:
                    raise LinkDown("reply too large")
                return HttpReply(r.status, data, dict(r.headers))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise LinkDown(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _decode(reply: HttpReply, kind: type[M]) -> M:
    try:
        _, msg = decode_frame(reply.body)
    except SyncError as exc:
        raise LinkDown(f"unreadable reply (HTTP {reply.status}): {exc.reason}") from exc
    if isinstance(msg, ErrorReply):
        raise Refused(msg.reason, msg.detail)
    if not isinstance(msg, kind):
        raise LinkDown(f"expected {kind.__name__}, got {type(msg).__name__}")
    return msg


@dataclass
class HubLink:
    transport: Transport
    root_public_key: bytes | None
    """The pinned hub key; None only while enrolling."""

    async def time(self) -> TimeReply:
        """Ask the hub's time; refuse a reply not signed by the pinned key."""
        nonce = os.urandom(auth.NONCE_LEN)
        reply = await self.transport.post("/sync/v1/time", encode_frame(TimeRequest(nonce)), {})
        msg = _decode(reply, TimeReply)
        message = auth.time_message(nonce, msg.hub_ms, msg.epoch)
        pinned = self.root_public_key
        if (
            msg.nonce != nonce
            or pinned is None
            or msg.root_public_key != pinned
            or not verify_signature(pinned, auth.TIME_CONTEXT, message, msg.signature)
        ):
            raise Refused(SyncReason.WRONG_HUB, "the hub's key is not the pinned one")
        return msg

    async def enrol(self, request: EnrolRequest) -> EnrolReply:
        reply = await self.transport.post("/sync/v1/enrol", encode_frame(request), {})
        msg = _decode(reply, EnrolReply)
        try:
            auth.check_enrol_mac(request.token, reply.body, reply.headers.get("X-Borderpass-Mac"))
        except SyncError as exc:
            raise Refused(exc.reason, exc.detail) from exc
        return msg

    async def signed(
        self,
        path: str,
        message: Message,
        kind: type[M],
        key: SigningKey,
        edge_id: str,
        hub_time_ms: int,
    ) -> M:
        """Send a signed request; return the reply only if the pinned hub signed it."""
        return await self.signed_frame(path, encode_frame(message), kind, key, edge_id, hub_time_ms)

    async def signed_frame(
        self,
        path: str,
        body: bytes,
        kind: type[M],
        key: SigningKey,
        edge_id: str,
        hub_time_ms: int,
    ) -> M:
        """:meth:`signed` for a frame already encoded (a push prepared in advance)."""
        nonce = os.urandom(auth.NONCE_LEN)
        signed = auth.sign_request(key, edge_id, "POST", path, body, hub_time_ms, nonce)
        reply = await self.transport.post(path, body, signed.headers())
        if self.root_public_key is None:
            raise Refused(SyncReason.WRONG_HUB, "no hub key pinned")
        try:
            auth.check_reply(
                self.root_public_key, nonce, reply.body, reply.headers.get(auth.H_SIGNATURE)
            )
        except SyncError as exc:
            raise LinkDown(f"reply not signed by the pinned hub (HTTP {reply.status})") from exc
        return _decode(reply, kind)
