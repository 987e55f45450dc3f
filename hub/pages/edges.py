"""Edge nodes: their health, and for administrators making an edge (its one-time
enrolment token is shown once, with the command that enrols it) and revoking one.

Making and revoking go through :mod:`hub.edges`, the same audited actions as
``POST /api/edges`` and ``POST /api/edges/{id}/revoke``.
"""

from __future__ import annotations

import shlex
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from hub import context, edges, fields
from hub.auth import Role
from hub.charts import HealthLimits, condition_of
from hub.html import Markup, join, table, tag
from hub.pages import words
from hub.pages.layout import csrf_field, field, form, heading, page, redirect
from hub.store import sync as sync_store
from hub.store import trust as trust_store


def health_limits(request: web.Request) -> HealthLimits:
    """When an edge counts as silent or its clock as skewed: the thresholds of the
    ``edge_silent`` and ``clock_skew`` alerts."""
    config = request.app[context.CONFIG]
    return HealthLimits(config.edge_silent_hours * 3600, config.clock_skew_ms)


def _read_health(conn: sqlite3.Connection, now_ms: int) -> list[dict[str, Any]]:
    trust = trust_store.current_trust_list(conn)
    version = None if trust is None else trust.version
    return [edges.health(e, now_ms, version) for e in sync_store.list_edges(conn)]


async def edge_health(request: web.Request) -> list[dict[str, Any]]:
    """Every edge's health figures (:func:`hub.edges.health`), by site."""
    now = context.now_ms(request)
    return await context.db(request).read(lambda conn: _read_health(conn, now))


def duration(seconds: int | None) -> str:
    """``2 d 3 h``, ``5 h 12 min``, ``40 s``; empty for None."""
    if seconds is None:
        return ""
    days, rest = divmod(max(seconds, 0), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


def offset(ms: int | None) -> str:
    return "" if ms is None else f"{ms / 1000:+.1f} s"


def _condition_badge(request: web.Request, health: Mapping[str, Any]) -> Markup:
    t = context.translator(request)
    condition = condition_of(health, health_limits(request))
    return tag("span", t(f"condition.{condition.value}"), class_=f"condition {condition.value}")


def _trust(request: web.Request, health: Mapping[str, Any]) -> Markup:
    t = context.translator(request)
    version = health["trust_version"]
    if version is None:
        return Markup("")
    state = t("edge.trust_current") if health["trust_current"] else t("edge.trust_old")
    return tag("span", f"v{version} · {state}", class_=None if health["trust_current"] else "warn")


_HEADERS = (
    "edge.id", "edge.site", "edge.label", "edge.state", "edge.condition", "edge.last_seen",
    "edge.silent_for", "edge.waiting", "edge.offset", "edge.trust",
)  # fmt: skip


def health_table(
    request: web.Request, health: Sequence[Mapping[str, Any]], revoke: bool = False
) -> Markup:
    """The health of every edge; with ``revoke``, a revoke form on each live edge."""
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    if not health:
        return tag("p", t("edges.none"))
    rows = []
    for h in health:
        site = sites.sites.get(h["site"])
        row: list[object] = [
            h["edge_id"], site.names.get(lang) if site else h["site"], h["label"],
            t(f"edge.status.{h['status']}"), _condition_badge(request, h),
            words.instant(None if h["last_seen"] is None else h["last_seen"] // 1000),
            duration(h["silent_for_s"]), h["events_waiting"], offset(h["clock_offset_ms"]),
            _trust(request, h),
        ]  # fmt: skip
        if revoke:
            row.append(_revoke_form(request, h) if h["status"] != "revoked" else "")
        rows.append(row)
    return table([t(k) for k in _HEADERS] + ([t("edge.revoke")] if revoke else []), rows)


def _revoke_form(request: web.Request, health: Mapping[str, Any]) -> Markup:
    t = context.translator(request)
    action = f"/edges/{health['edge_id']}/revoke"
    inputs = [tag("input", name="reason", required=True, placeholder=t("revoke.reason"),
                  aria_label=t("revoke.reason")), tag("button", t("edge.revoke"))]  # fmt: skip
    return form_inline(request, action, inputs)


def form_inline(request: web.Request, action: str, inputs: list[Markup]) -> Markup:
    """A one-line POST form (with the CSRF token)."""
    return tag("form", join([csrf_field(request), *inputs]), method="post", action=action,
               class_="inline")  # fmt: skip


def _create_form(request: web.Request) -> Markup:
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    options = [
        tag("option", f"{s.names.get(lang)} ({s.site_id})", value=s.site_id)
        for s in sorted(sites.sites.values(), key=lambda s: s.site_id)
    ]
    inputs = [
        tag("label", t("edge.site"), for_="site_id"),
        tag("select", join(options), id="site_id", name="site_id"),
        field(t("edge.label") + t("form.optional"), "label", maxlength=100),
    ]
    return form(request, "/edges", inputs, t("edges.add"))


async def _page(request: web.Request, before: Markup | None = None) -> web.Response:
    t = context.translator(request)
    admin = context.principal(request).role is Role.ADMIN
    parts = [before] if before is not None else []
    parts.append(health_table(request, await edge_health(request), revoke=admin))
    if admin:
        parts += [heading(t("edges.add")), _create_form(request)]
    return page(request, t("edges.title"), join(parts))


async def list_all(request: web.Request) -> web.Response:
    return await _page(request)


def enrol_command(hub_url: str, site_id: str, token: str) -> str:
    """The shell command that enrols the new edge."""
    return shlex.join(["borderpass", "edge", "enrol", "--data", f"edge-{site_id}",
                       "--hub", hub_url, "--token", token])  # fmt: skip


async def create(request: web.Request) -> web.Response:
    t = context.translator(request)
    posted = await request.post()
    body = {k: str(posted.get(k, "")) for k in ("site_id", "label")}
    site_id = fields.text(body, "site_id", 64)
    label = fields.optional_text(body, "label", 100) or site_id
    now, actor = context.now_ms(request), context.principal(request).actor
    hours, sites = request.app[context.CONFIG].enrol_token_hours, context.sites(request)
    made = await context.db(request).write(
        lambda tx: edges.create_edge(tx, sites, site_id, label, now, hours, actor)
    )
    command = enrol_command(str(request.url.origin()), made.site_id, made.token)
    shown = tag("div", join([
        tag("h2", t("edges.created", edge_id=made.edge_id)),
        tag("p", t("edges.token")), tag("pre", made.token, class_="token"),
        tag("p", f"{t('edges.token_expires')}: {words.instant(made.expires_ms // 1000)}"),
        tag("p", t("edges.command")), tag("pre", command, class_="command"),
    ]), class_="notice")  # fmt: skip
    response = await _page(request, shown)
    response.headers["Cache-Control"] = "no-store"
    return response


async def revoke(request: web.Request) -> web.Response:
    posted = await request.post()
    reason = fields.text({"reason": str(posted.get("reason", ""))}, "reason", 500)
    edge_id = request.match_info["edge_id"]
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(lambda tx: edges.revoke_edge(tx, edge_id, now, actor, reason))
    raise redirect("/edges")
