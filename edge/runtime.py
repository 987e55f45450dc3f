"""What the handlers of a running edge share, reachable as ``request.app[RUNTIME]``.

:class:`Runtime` exists from :func:`edge.app.create_app`; its :class:`EdgeServices`
(the open database, the state, the scanner) exist once startup has opened the data
directory. Extensions (the sync client) hook in through ``Runtime.sync_now`` and their
own ``cleanup_ctx`` entries added after the edge's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from borderpass.clock import Clock
from borderpass.sqlite import Database
from protocol.keys import SigningKey

from .config import EdgeConfig
from .httpio import ApiError
from .scanner import Scanner
from .state import EdgeState

SyncNow = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class EdgeServices:
    db: Database
    state: EdgeState
    scanner: Scanner
    edge_key: SigningKey
    token_digests: tuple[str, ...]
    """SHA-256 digests of the tokens accepted (the init token, and the configured one)."""


@dataclass
class Runtime:
    config: EdgeConfig
    clock: Clock
    services: EdgeServices | None = None
    sync_now: SyncNow | None = None
    """Set by the sync client: ``POST /api/sync`` awaits it and returns its result."""

    def ready(self) -> EdgeServices:
        if self.services is None:
            raise ApiError(503, "starting", "the edge is starting")
        return self.services


RUNTIME = web.AppKey("edge_runtime", Runtime)


def runtime_of(request: web.Request) -> Runtime:
    return request.app[RUNTIME]
