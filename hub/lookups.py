"""Registry reads as a handler needs them: one read transaction each, limited to what
the asker may see (an ``employer`` sees only its own records; anything else is
``404 not_found``, so it cannot even learn that another employer's record exists)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from aiohttp import web

from hub import context
from hub.errors import not_found
from hub.records import Employer, IssuedPermit, RevocationEntry
from hub.store import registry
from protocol.permit import Worker
from protocol.refs import RevocationKind


@dataclass(frozen=True, slots=True)
class PermitView:
    issued: IssuedPermit
    employer: Employer
    revocations: list[RevocationEntry]


@dataclass(frozen=True, slots=True)
class WorkerView:
    worker: Worker
    permits: list[tuple[IssuedPermit, bool]]
    """Each permit with whether it is revoked."""
    revoked: RevocationEntry | None


@dataclass(frozen=True, slots=True)
class EmployerView:
    employer: Employer
    permits: list[tuple[IssuedPermit, bool]]
    """Each permit with whether it is revoked."""
    revoked: RevocationEntry | None


def _with_status(
    conn: sqlite3.Connection, permits: list[IssuedPermit]
) -> list[tuple[IssuedPermit, bool]]:
    return [(p, bool(registry.revocations_covering(conn, p.permit))) for p in permits]


async def permit(request: web.Request, permit_id: str) -> PermitView:
    scope = context.principal(request).employer_scope

    def read(conn: sqlite3.Connection) -> PermitView | None:
        issued = registry.get_permit(conn, permit_id)
        if issued is None or scope not in (None, issued.permit.employer_id):
            return None
        employer = registry.get_employer(conn, issued.permit.employer_id)
        assert employer is not None  # a foreign key
        return PermitView(issued, employer, registry.revocations_covering(conn, issued.permit))

    found = await context.db(request).read(read)
    if found is None:
        raise not_found("permit")
    return found


async def worker(request: web.Request, border_pass_no: str) -> WorkerView:
    scope = context.principal(request).employer_scope

    def read(conn: sqlite3.Connection) -> WorkerView | None:
        found = registry.get_worker(conn, border_pass_no)
        permits = registry.list_permits(conn, border_pass_no=border_pass_no, employer_id=scope)
        if found is None or (scope is not None and not permits):
            return None
        revoked = registry.active_revocation(conn, RevocationKind.WORKER, border_pass_no)
        return WorkerView(found, _with_status(conn, permits), revoked)

    view = await context.db(request).read(read)
    if view is None:
        raise not_found("worker")
    return view


async def employer(request: web.Request, employer_id: str) -> EmployerView:
    if not context.principal(request).sees_employer(employer_id):
        raise not_found("employer")

    def read(conn: sqlite3.Connection) -> EmployerView | None:
        found = registry.get_employer(conn, employer_id)
        if found is None:
            return None
        permits = registry.list_permits(conn, employer_id=employer_id)
        revoked = registry.active_revocation(conn, RevocationKind.EMPLOYER, employer_id)
        return EmployerView(found, _with_status(conn, permits), revoked)

    view = await context.db(request).read(read)
    if view is None:
        raise not_found("employer")
    return view


async def employers(request: web.Request) -> list[tuple[Employer, RevocationEntry | None]]:
    scope = context.principal(request).employer_scope

    def read(conn: sqlite3.Connection) -> list[tuple[Employer, RevocationEntry | None]]:
        return [
            (e, registry.active_revocation(conn, RevocationKind.EMPLOYER, e.employer_id))
            for e in registry.list_employers(conn, only=scope)
        ]

    return await context.db(request).read(read)


async def permits(
    request: web.Request, border_pass_no: str | None = None, limit: int = 200
) -> list[tuple[IssuedPermit, bool]]:
    """Permits the asker may see, newest first, each with whether it is revoked."""
    scope = context.principal(request).employer_scope

    def read(conn: sqlite3.Connection) -> list[tuple[IssuedPermit, bool]]:
        found = registry.list_permits(
            conn, employer_id=scope, border_pass_no=border_pass_no, limit=limit
        )
        return _with_status(conn, found)

    return await context.db(request).read(read)
