"""The landing page after login: who you are, the recent permits you may see."""

from __future__ import annotations

from aiohttp import web

from hub import context, lookups
from hub.html import join, tag
from hub.pages.layout import heading, page
from hub.pages.permits import permit_table


async def show(request: web.Request) -> web.Response:
    t = context.translator(request)
    who = context.principal(request)
    recent = await lookups.permits(request, limit=20)
    content = join([
        tag("p", t("home.welcome", actor=who.actor, role=t("role." + who.role.value))),
        heading(t("home.recent")),
        permit_table(request, recent),
    ])  # fmt: skip
    return page(request, t("home.title"), content)
