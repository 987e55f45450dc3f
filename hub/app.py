"""``create_app(config, clock)``: the hub's aiohttp application.

The database opens and closes with the application (``cleanup_ctx``); later parts
(sync server, reconciliation tick, alerts webhook) add their own routes and
``cleanup_ctx`` entries through :data:`EXTENSIONS` without touching this module's
logic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from borderpass.clock import Clock
from hub import context
from hub.alerts_setup import install_alerts
from hub.config import HubConfig
from hub.keyring import Keyring
from hub.middleware import authenticate, refusals, security_headers
from hub.roles import AccessPolicy
from hub.routes import setup_routes
from hub.store.schema import open_database
from hub.sync_setup import install_sync
from protocol.sites import SiteMap, default_site_map, parse_site_map

Extension = Callable[[web.Application], None]
EXTENSIONS: list[Extension] = []
"""Called with the application before it starts: add routes, ``cleanup_ctx`` entries."""


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[context.CONFIG]
    database = open_database(config.database_path, config.db_cache_mb)
    app[context.DB] = database
    yield
    database.close()


def _site_map(config: HubConfig) -> SiteMap:
    if config.sites_file is None:
        return default_site_map()
    return parse_site_map(config.sites_file.read_text("utf-8"))


def create_app(
    config: HubConfig,
    clock: Clock,
    *,
    sites: SiteMap | None = None,
    policy: AccessPolicy | None = None,
    extensions: list[Extension] | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[refusals, authenticate], client_max_size=config.max_body_bytes
    )
    app[context.CONFIG] = config
    app[context.CLOCK] = clock
    app[context.KEYRING] = Keyring(config.keys_dir)
    app[context.SITES] = sites if sites is not None else _site_map(config)
    app[context.POLICY] = policy if policy is not None else AccessPolicy()
    app.cleanup_ctx.append(database_ctx)
    app.on_response_prepare.append(security_headers)
    setup_routes(app)
    install_sync(app)
    install_alerts(app)
    for extend in [*EXTENSIONS, *(extensions or [])]:
        extend(app)
    return app
