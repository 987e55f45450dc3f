"""A worker: who they are, their permits, expelling them."""

from __future__ import annotations

from aiohttp import web

from hub import context, lookups
from hub.html import join, tag
from hub.pages import words
from hub.pages.layout import heading, page
from hub.pages.permits import permit_table, revoke_form
from hub.roles import ISSUING


async def show(request: web.Request) -> web.Response:
    t = context.translator(request)
    view = await lookups.worker(request, request.match_info["border_pass_no"])
    w = view.worker
    facts = [
        ("worker.name", w.name), ("worker.name_zh", w.name_zh),
        ("worker.border_pass_no", w.border_pass_no),
        ("worker.birth_date", words.day(w.birth_date)), ("worker.sex", w.sex.value),
        ("permit.status", tag("span", t("status.revoked"), class_="revoked")
         if view.revoked else t("status.valid")),
    ]  # fmt: skip
    timeline = tag("a", t("timeline.link"), href=f"/workers/{w.border_pass_no}/timeline")
    parts = [tag("dl", join(join([tag("dt", t(k)), tag("dd", v)]) for k, v in facts)),
             tag("p", timeline), heading(t("worker.permits")),
             permit_table(request, view.permits)]  # fmt: skip
    if context.principal(request).role in ISSUING and view.revoked is None:
        action = f"/workers/{w.border_pass_no}/revoke"
        parts += [heading(t("worker.revoke")), revoke_form(request, action)]
    return page(request, t("worker.title", border_pass_no=w.border_pass_no), join(parts))
