"""Revocations and expulsions, with reinstatement for admins."""

from __future__ import annotations

from aiohttp import web

from hub import actions, context, registration
from hub.auth import Role
from hub.errors import not_found
from hub.html import Markup, table, tag
from hub.pages import words
from hub.pages.layout import form, page, redirect
from hub.records import RevocationEntry
from hub.store import registry

SUBJECT_PAGES = {"permit": "/permits/{}", "worker": "/workers/{}", "employer": "/employers/{}"}


def _state(request: web.Request, entry: RevocationEntry) -> Markup:
    t = context.translator(request)
    if not entry.active:
        return tag("span", t("revocation.lifted", reason=entry.reinstate_reason or ""))
    if context.principal(request).role is not Role.ADMIN:
        return tag("span", t("revocation.active"), class_="revoked")
    action = f"/revocations/{entry.revocation_id}/reinstate"
    reason = tag("input", name="reason", required=True, placeholder=t("revoke.reason"))
    return form(request, action, [reason], t("revocation.reinstate"))


async def list_all(request: web.Request) -> web.Response:
    t = context.translator(request)
    found = await context.db(request).read(registry.list_revocations)
    rows = [
        [t(f"kind.{e.revocation.kind.value}"),
         tag("a", e.revocation.subject,
             href=SUBJECT_PAGES[e.revocation.kind.value].format(e.revocation.subject)),
         words.instant(e.revocation.revoked_at), e.revoked_by, e.revocation.reason,
         _state(request, e)]
        for e in found
    ]  # fmt: skip
    headers = ["kind", "subject", "at", "by", "reason", "state"]
    content = table([t(f"revocation.{h}") for h in headers], rows)
    return page(request, t("revocations.title"), content)


async def reinstate(request: web.Request) -> web.Response:
    posted = await request.post()
    reason = registration.revocation_reason({"reason": str(posted.get("reason", ""))})
    try:
        revocation_id = int(request.match_info["revocation_id"])
    except ValueError as exc:
        raise not_found("revocation") from exc
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(
        lambda tx: actions.reinstate(tx, revocation_id, reason, now, actor)
    )
    raise redirect("/revocations")
