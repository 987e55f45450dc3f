"""The read side, shared by the API and the pages: status, recent scans, roll call.

Queries run on the database's reader threads (never on the event loop); the results
are turned into views by :mod:`edge.views`.
"""

from __future__ import annotations

import sqlite3

from protocol.keys import fingerprint

from . import store, views
from .onsite import RollCall, roll_call
from .records import LoggedScan, Presence, SyncStatus
from .runtime import Runtime

JSON = views.JSON


async def status(runtime: Runtime, lang: str) -> JSON:
    services = runtime.ready()

    def query(conn: sqlite3.Connection) -> tuple[SyncStatus, int]:
        return store.read_sync_state(conn), store.count_events(conn)

    sync, stored = await services.db.read(query)
    counts = views.LogCounts(head_seq=services.state.head.seq, stored=stored)
    config = runtime.config
    return views.status_view(
        services.state,
        sync,
        counts,
        runtime.clock.now_ms(),
        trust_warn_after_s=config.trust_warn_after_s,
        clock_warn_after_s=config.clock_warn_after_s,
        edge_key_fingerprint=fingerprint(services.edge_key.public_key),
        lang=lang,
    )


async def recent_scans(runtime: Runtime, limit: int) -> list[LoggedScan]:
    return await runtime.ready().db.read(lambda conn: store.recent_scans(conn, limit))


async def current_roll_call(runtime: Runtime) -> RollCall:
    services = runtime.ready()
    present: list[Presence] = await services.db.read(store.on_site)
    return roll_call(present, services.state.roster.values())
