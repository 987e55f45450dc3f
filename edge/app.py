"""``create_app(config, clock)``: the edge's aiohttp application.

Startup opens ``DIR/edge.db`` (migrating it), loads the state inside the writer (so it
sees every commit), reads the edge key and builds the scanner; cleanup closes the
database after the last request. Extensions such as the sync client are callables that
receive the application before it starts and add their own routes and ``cleanup_ctx``
entries (which run after the edge's, so ``Runtime.services`` is ready for them).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable

from aiohttp import web

from borderpass.clock import Clock
from borderpass.sqlite import Database
from protocol.verdict import TrustAgePolicy

from . import routes, store
from .auth import require_token
from .config import EdgeConfig
from .headers import add_security_headers
from .httpio import api_errors
from .identity import load_edge_key, token_digest
from .origin import same_origin_only
from .runtime import RUNTIME, EdgeServices, Runtime
from .scanner import Scanner
from .state import load_state

Extension = Callable[[web.Application], None]
_HEADROOM = 64 * 1024


def create_app(
    config: EdgeConfig, clock: Clock, *, extensions: Iterable[Extension] = ()
) -> web.Application:
    guards = [] if config.loopback_only else [require_token]
    app = web.Application(
        middlewares=[api_errors, same_origin_only, *guards],
        client_max_size=max(config.max_body_bytes, config.max_image_bytes) + _HEADROOM,
    )
    app[RUNTIME] = Runtime(config, clock)
    app.on_response_prepare.append(add_security_headers)
    app.cleanup_ctx.append(_open_data_dir)
    routes.register(app)
    for extend in extensions:
        extend(app)
    return app


async def _open_data_dir(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    config = runtime.config
    edge_key = load_edge_key(config.key_path)
    db = Database(config.database_path, store.migrate).open()
    try:
        state = await db.write(lambda tx: load_state(tx.conn))
        digests = [state.identity.token_digest]
        if config.api_token:
            digests.append(token_digest(config.api_token))
        policy = TrustAgePolicy(warn_after_ms=config.trust_warn_after_s * 1000)
        runtime.services = EdgeServices(
            db=db,
            state=state,
            scanner=Scanner(db, state, runtime.clock, policy),
            edge_key=edge_key,
            token_digests=tuple(digests),
        )
        yield
    finally:
        runtime.services = None
        await asyncio.to_thread(db.close)
