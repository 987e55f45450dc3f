"""Employers: the list with the registration form, one employer, expelling one."""

from __future__ import annotations

from aiohttp import web

from hub import actions, context, lookups, registration
from hub.html import Markup, join, table, tag
from hub.pages import words
from hub.pages.layout import field, form, heading, page, redirect
from hub.pages.permits import permit_table, revoke_form
from hub.roles import ISSUING

_FIELDS = ("employer_id", "name_zh", "name_vi", "hiring_permit_no")
_DATES = ("hiring_permit_valid_from", "hiring_permit_valid_until")


def _add_form(request: web.Request) -> Markup:
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    parks = [
        tag("option", f"{words.zone_name(sites, z, lang)} ({z})", value=z)
        for z in registration.park_zones(sites)
    ]
    inputs = [field(t(f"employer.{n}"), n, required=n != "employer_id") for n in _FIELDS]
    inputs += [field(t(f"employer.{n}"), n, "date", required=True) for n in _DATES]
    inputs += [
        tag("label", t("employer.park_zone"), for_="park_zone"),
        tag("select", join(parks), id="park_zone", name="park_zone"),
        field(t("employer.agency_id"), "agency_id"),
    ]
    return form(request, "/employers", inputs, t("employers.add"))


async def list_all(request: web.Request) -> web.Response:
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    found = await lookups.employers(request)
    rows = [
        [tag("a", e.employer_id, href=f"/employers/{e.employer_id}"), e.name_zh, e.name_vi,
         e.hiring_permit_no, words.day(e.hiring_permit_valid_until),
         words.zone_name(sites, e.park_zone, lang),
         tag("span", t("status.revoked"), class_="revoked") if r else t("status.valid")]
        for e, r in found
    ]  # fmt: skip
    headers = [t(f"employer.{n}") for n in (*_FIELDS, "hiring_permit_valid_until", "park_zone")]
    parts = [table([*headers, t("permit.status")], rows)]
    if context.principal(request).role in ISSUING:
        parts += [heading(t("employers.add")), _add_form(request)]
    return page(request, t("employers.title"), join(parts))


async def create(request: web.Request) -> web.Response:
    posted = await request.post()
    body = {k: str(v) for k, v in posted.items() if k != "csrf"}
    employer = registration.parse_employer(body, context.sites(request))
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(lambda tx: actions.register_employer(tx, employer, now, actor))
    raise redirect(f"/employers/{employer.employer_id}")


async def show(request: web.Request) -> web.Response:
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    view = await lookups.employer(request, request.match_info["employer_id"])
    e = view.employer
    facts = [
        (t("employer.name_zh"), e.name_zh), (t("employer.name_vi"), e.name_vi),
        (t("employer.hiring_permit_no"), e.hiring_permit_no),
        (t("employer.hiring_permit_valid_from"), words.day(e.hiring_permit_valid_from)),
        (t("employer.hiring_permit_valid_until"), words.day(e.hiring_permit_valid_until)),
        (t("employer.park_zone"), words.zone_name(sites, e.park_zone, lang)),
        (t("permit.status"), t("status.revoked") if view.revoked else t("status.valid")),
    ]  # fmt: skip
    parts = [tag("dl", join(join([tag("dt", k), tag("dd", v)]) for k, v in facts))]
    parts += [heading(t("worker.permits")), permit_table(request, view.permits)]
    if context.principal(request).role in ISSUING and view.revoked is None:
        action = f"/employers/{e.employer_id}/revoke"
        parts += [heading(t("employer.revoke")), revoke_form(request, action)]
    return page(request, f"{e.name_zh} ({e.employer_id})", join(parts))
