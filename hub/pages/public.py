"""The published list of expelled workers and companies: no login, as the pilot plan
requires them to be made public. It shows names, the date and the reason, never
border pass numbers or birth dates."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from aiohttp import web

from hub import context
from hub.api.common import reply
from hub.html import join, table, tag
from hub.pages import words
from hub.pages.layout import heading, page
from hub.store import registry
from protocol.refs import RevocationKind


@dataclass(frozen=True, slots=True)
class Expulsion:
    kind: RevocationKind
    name: str
    name_other: str | None
    revoked_at: int
    reason: str


def _expelled(conn: sqlite3.Connection) -> list[Expulsion]:
    kinds = (RevocationKind.WORKER, RevocationKind.EMPLOYER)
    found = []
    for entry in registry.list_revocations(conn, active_only=True, kinds=kinds):
        r = entry.revocation
        if r.kind is RevocationKind.WORKER:
            worker = registry.get_worker(conn, r.subject)
            names = (worker.name, worker.name_zh) if worker else (r.subject, None)
        else:
            employer = registry.get_employer(conn, r.subject)
            names = (employer.name_zh, employer.name_vi) if employer else (r.subject, None)
        found.append(Expulsion(r.kind, names[0], names[1], r.revoked_at, r.reason))
    return found


async def expelled(request: web.Request) -> web.Response:
    t = context.translator(request)
    found = await context.db(request).read(_expelled)
    parts = [tag("p", t("expelled.intro"))]
    for kind, title in ((RevocationKind.WORKER, "expelled.workers"),
                        (RevocationKind.EMPLOYER, "expelled.companies")):  # fmt: skip
        rows = [[x.name, x.name_other, words.instant(x.revoked_at), x.reason]
                for x in found if x.kind is kind]  # fmt: skip
        headers = [t("worker.name"), "", t("revocation.at"), t("revocation.reason")]
        parts += [heading(t(title)), table(headers, rows) if rows else tag("p", t("expelled.none"))]
    return page(request, t("expelled.title"), join(parts))


async def expelled_json(request: web.Request) -> web.Response:
    found = await context.db(request).read(_expelled)
    return reply({"expelled": [
        {"kind": x.kind.value, "name": x.name, "name_other": x.name_other,
         "revoked_at": words.instant(x.revoked_at), "reason": x.reason}
        for x in found
    ]})  # fmt: skip
