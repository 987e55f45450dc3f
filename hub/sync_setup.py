"""Install sync into the hub application: the ``/sync/v1`` endpoints, the service
behind them (made once the database is open), and the zeroconf advertisement."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from hub import context, sync_server
from hub.discovery import HubAdvertiser
from hub.store import trust as trust_store
from hub.sync_service import SyncService, SyncSettings
from protocol.sites import default_site_map_text

log = logging.getLogger("borderpass.hub")


def sites_text(app: web.Application) -> str:
    path = app[context.CONFIG].sites_file
    return path.read_text("utf-8") if path is not None else default_site_map_text()


async def sync_ctx(app: web.Application) -> AsyncIterator[None]:
    config, db, clock = app[context.CONFIG], app[context.DB], app[context.CLOCK]
    identity = await db.read(trust_store.get_identity)
    if identity is None:
        raise RuntimeError(f"no hub in {config.data_dir}: run 'borderpass hub init' first")
    settings = SyncSettings(
        request_window_ms=config.sync_window_s * 1000,
        change_retention_ms=int(config.change_retention_days * 86_400_000),
    )
    service = SyncService(
        db, clock, app[context.KEYRING].root(), identity.epoch, app[context.SITES],
        sites_text(app), settings,
    )  # fmt: skip
    await db.write(lambda tx: service.publish_reference(tx, clock.now_ms()))
    app[sync_server.SYNC_SERVICE] = service
    advertiser = None
    if config.advertise and config.port:
        advertiser = HubAdvertiser(
            identity.root_public_key, identity.epoch, config.port, config.advertise_interfaces
        )
        await advertiser.start()
    compactor = asyncio.create_task(_compact_daily(service, config.compact_interval_s))
    yield
    compactor.cancel()
    await asyncio.gather(compactor, return_exceptions=True)
    if advertiser is not None:
        await advertiser.stop()


async def _compact_daily(service: SyncService, interval_s: float) -> None:
    while True:
        try:
            dropped = await service.db.write(lambda tx: service.compact(tx, service.clock.now_ms()))
            if dropped:
                log.info("dropped %d superseded changes from the change log", dropped)
        except Exception:
            log.exception("compacting the change log failed; trying again later")
        await asyncio.sleep(interval_s)


def install_sync(app: web.Application) -> None:
    sync_server.add_routes(app)
    app.cleanup_ctx.append(sync_ctx)
