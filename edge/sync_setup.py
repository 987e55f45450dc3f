"""Install the sync client into a served edge, when the edge is enrolled.

An edge with no edge id (set up standalone with ``edge init``) serves without sync.
An enrolled edge syncs with the hub at the configured address, else the address given
at enrolment, else whatever hub zeroconf finds that proves the pinned key
(:class:`DiscoveringTransport`, which looks again whenever the link drops).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping

from aiohttp import web

from protocol.verdict import Outcome

from . import store
from .config import EdgeConfig
from .discovery import find_hub
from .hublink import AiohttpTransport, HttpReply, HubLink, LinkDown, Transport
from .runtime import RUNTIME
from .scanner import ScanRecord
from .sync import SyncClient, SyncSettings

log = logging.getLogger("borderpass.edge.sync")


class DiscoveringTransport:
    """A transport to whichever hub zeroconf finds that proves the pinned key."""

    def __init__(self, pinned: bytes, config: EdgeConfig) -> None:
        self._pinned = pinned
        self._config = config
        self._inner: AiohttpTransport | None = None
        self._looking = asyncio.Lock()

    async def _transport(self) -> AiohttpTransport:
        async with self._looking:  # the push and pull loops share one search
            if self._inner is None:
                config = self._config
                url = await find_hub(
                    self._pinned, config.discovery_interfaces, config.discovery_timeout_s
                )
                if url is None:
                    raise LinkDown("no hub with the pinned key answers on the LAN")
                log.info("found the hub at %s with zeroconf", url)
                self._inner = AiohttpTransport(url, config.request_timeout_s)
            return self._inner

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> HttpReply:
        inner = await self._transport()
        try:
            return await inner.post(path, body, headers)
        except LinkDown:
            await self.close()  # look again next time: the hub may have moved
            raise

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()
            self._inner = None


def settings_of(config: EdgeConfig) -> SyncSettings:
    return SyncSettings(
        push_interval_s=config.push_interval_s,
        pull_interval_s=config.pull_interval_s,
        batch_events=config.sync_batch_events,
        backoff_base_s=config.backoff_base_s,
        backoff_cap_s=config.backoff_cap_s,
        clock_check_s=config.clock_check_s,
        retention_days=config.retention_days,
    )


async def sync_ctx(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    services = runtime.ready()
    status = await services.db.read(store.read_sync_state)
    if status.edge_id is None:
        yield  # standalone: no hub to sync with
        return
    root = services.state.identity.root_public_key
    url = runtime.config.hub_url or status.hub_url
    transport: Transport
    if url:
        transport = AiohttpTransport(url, runtime.config.request_timeout_s)
    else:
        transport = DiscoveringTransport(root, runtime.config)
    client = SyncClient(
        services.db, services.state, runtime.clock, services.edge_key, status.edge_id,
        HubLink(transport, root), settings_of(runtime.config),
    )  # fmt: skip

    def push_alerts(record: ScanRecord) -> None:
        if record.verdict.outcome is Outcome.ALERT:
            client.wake_push()

    services.scanner.listeners.append(push_alerts)
    runtime.sync_now = client.sync_now
    await client.start()
    try:
        yield
    finally:
        runtime.sync_now = None
        await client.stop()
        await transport.close()  # type: ignore[attr-defined]


def install(app: web.Application) -> None:
    app.cleanup_ctx.append(sync_ctx)
