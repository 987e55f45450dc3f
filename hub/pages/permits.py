"""Permits: the list, the issuing form, one permit, its printable card, revoking."""

from __future__ import annotations

from aiohttp import web

from borderpass import qr
from hub import actions, context, issuance, lookups, registration
from hub.api.permits import issuing
from hub.html import Markup, escape, join, render, table, tag
from hub.i18n import CARD_LABELS
from hub.pages import words
from hub.pages.layout import field, form, heading, page, redirect
from hub.records import IssuedPermit
from hub.roles import ISSUING
from protocol.refs import RevocationKind

_WORKER_FIELDS = ("name", "name_zh", "border_pass_no")
_DATES = ("valid_from", "valid_until", "health_cert_until", "insurance_until")


def permit_table(request: web.Request, permits: list[tuple[IssuedPermit, bool]]) -> Markup:
    t = context.translator(request)
    if not permits:
        return tag("p", t("permits.none"))
    rows = [
        [tag("a", p.permit_id, href=f"/permits/{p.permit_id}"),
         tag("a", p.permit.worker.name, href=f"/workers/{p.permit.worker_id}"),
         p.permit.worker.name_zh, p.permit.employer_id, words.day(p.permit.valid_until),
         tag("span", t("status.revoked"), class_="revoked") if revoked else t("status.valid")]
        for p, revoked in permits
    ]  # fmt: skip
    headers = ["permit.id", "worker.name", "worker.name_zh", "permit.employer",
               "permit.valid_until", "permit.status"]  # fmt: skip
    return table([t(h) for h in headers], rows)


def revoke_form(request: web.Request, action: str) -> Markup:
    t = context.translator(request)
    return form(request, action, [field(t("revoke.reason"), "reason", required=True)],
                t("revoke.submit"))  # fmt: skip


async def list_all(request: web.Request) -> web.Response:
    t = context.translator(request)
    bpn = request.query.get("border_pass_no") or None
    found = await lookups.permits(request, border_pass_no=bpn)
    search = tag("form", join([
        tag("label", t("permits.search"), for_="border_pass_no"),
        tag("input", id="border_pass_no", name="border_pass_no", value=bpn or ""),
        tag("button", "🔍"),
    ]), method="get", action="/permits")  # fmt: skip
    return page(request, t("permits.title"), join([search, permit_table(request, found)]))


def _zone_choices(request: web.Request) -> Markup:
    lang, sites = context.lang(request), context.sites(request)
    boxes = [
        tag("label", join([tag("input", type="checkbox", name="zones", value=z),
                           f" {words.zone_name(sites, z, lang)} ({z})"]))
        for z in sorted(sites.zones)
    ]  # fmt: skip
    return join(boxes, " ")


async def new(request: web.Request) -> web.Response:
    t = context.translator(request)
    employers = await lookups.employers(request)
    options = [
        tag("option", f"{e.name_zh} ({e.employer_id})", value=e.employer_id)
        for e, revoked in employers
        if revoked is None
    ]
    inputs = [field(t(f"worker.{n}"), n, required=n != "name_zh") for n in _WORKER_FIELDS]
    inputs += [
        field(t("worker.birth_date"), "birth_date", "date", required=True),
        field(t("worker.sex"), "sex", required=True, maxlength=1),
        tag("label", t("permit.employer"), for_="employer_id"),
        tag("select", join(options), id="employer_id", name="employer_id"),
        tag("fieldset", join([tag("legend", t("permit.zones")), _zone_choices(request)])),
        field(t("permit.zone_reason") + t("form.optional"), "zone_reason"),
    ]
    inputs += [field(t(f"permit.{n}"), n, "date", required=True) for n in _DATES]
    return page(request, t("issue.title"), form(request, "/permits", inputs, t("issue.submit")))


async def create(request: web.Request) -> web.Response:
    posted = await request.post()
    worker = {k: str(posted.get(k, "")) for k in (*_WORKER_FIELDS, "birth_date", "sex")}
    body: dict[str, object] = {k: str(posted.get(k, "")) for k in (*_DATES, "employer_id")}
    body |= {"worker": worker, "zones": [str(z) for z in posted.getall("zones", [])],
             "zone_reason": str(posted.get("zone_reason", ""))}  # fmt: skip
    req = issuance.parse_permit_request(body)
    ctx = issuing(request)
    issued = await context.db(request).write(lambda tx: actions.issue_permit(tx, req, ctx))
    raise redirect(f"/permits/{issued.permit_id}/card")


async def show(request: web.Request) -> web.Response:
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    view = await lookups.permit(request, request.match_info["permit_id"])
    p, pid = view.issued.permit, view.issued.permit_id
    status = t("status.revoked") if view.revocations else t("status.valid")
    facts = [
        ("permit.worker", tag("a", f"{p.worker.name} {p.worker.name_zh or ''}",
                              href=f"/workers/{p.worker_id}")),
        ("worker.border_pass_no", p.worker_id),
        ("permit.employer", f"{view.employer.name_zh} ({p.employer_id})"),
        ("permit.zones", words.zone_names(sites, p.zones, lang)),
        ("permit.zone_reason", view.issued.zone_reason),
        *[(f"permit.{n}", words.day(getattr(p, n))) for n in _DATES],
        ("permit.end_date", words.day(p.end_date)),
        ("permit.issued_at", words.instant(p.issued_at)),
        ("permit.issued_by", view.issued.issued_by),
        ("permit.key_id", p.key_id.hex()),
        ("permit.status", tag("span", status, class_="revoked" if view.revocations else None)),
    ]  # fmt: skip
    links = [tag("a", t("permit.download_png"), href=f"/permits/{pid}/qr.png"),
             tag("a", t("permit.download_svg"), href=f"/permits/{pid}/qr.svg")]  # fmt: skip
    role = context.principal(request).role
    if role in ISSUING:
        links.insert(0, tag("a", t("permit.card"), href=f"/permits/{pid}/card"))
    parts = [tag("dl", join(join([tag("dt", t(k)), tag("dd", v)]) for k, v in facts)),
             tag("p", join(links, " · "))]  # fmt: skip
    if role in ISSUING and not view.revocations:
        parts += [heading(t("permit.revoke")), revoke_form(request, f"/permits/{pid}/revoke")]
    return page(request, t("permit.title", permit_id=pid), join(parts))


def _card_row(key: str, value: object, value_vi: object = None) -> Markup:
    zh, vi = CARD_LABELS[key]
    label = join([zh, tag("span", vi)])
    shown = join([value, tag("span", value_vi)]) if value_vi else escape(value)
    return join([tag("dt", label), tag("dd", shown)])


async def card(request: web.Request) -> web.Response:
    """The printable permit card, Chinese and Vietnamese, with the QR inline."""
    sites = context.sites(request)
    view = await lookups.permit(request, request.match_info["permit_id"])
    p, e = view.issued.permit, view.employer
    rows = [
        _card_row("name", p.worker.name_zh or p.worker.name, p.worker.name),
        _card_row("border_pass_no", p.worker_id),
        _card_row("birth_date", words.day(p.worker.birth_date)),
        _card_row("employer", e.name_zh, e.name_vi),
        _card_row("zones", words.zone_names(sites, p.zones, "zh"),
                  "; ".join(words.zone_name(sites, z, "vi") for z in p.zones)),
        _card_row("valid", f"{words.day(p.valid_from)} — {words.day(p.end_date)}"),
        _card_row("permit_id", p.permit_id),
    ]  # fmt: skip
    body = render(
        "card.html",
        permit_id=p.permit_id,
        title_zh=CARD_LABELS["title"][0],
        title_vi=CARD_LABELS["title"][1],
        rows=join(rows),
        qr_svg=Markup(qr.render_svg(view.issued.qr)),
        single_exit=" · ".join(CARD_LABELS["single_exit"]) if p.single_exit else "",
    )
    return web.Response(text=body, content_type="text/html", charset="utf-8")


async def revoke(request: web.Request) -> web.Response:
    return await _revoke(request, RevocationKind.PERMIT, "permit_id", "/permits/{}")


async def _revoke(
    request: web.Request, kind: RevocationKind, parameter: str, back: str
) -> web.Response:
    posted = await request.post()
    reason = registration.revocation_reason({"reason": str(posted.get("reason", ""))})
    subject = request.match_info[parameter]
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(
        lambda tx: actions.revoke(tx, kind, subject, reason, now, actor)
    )
    raise redirect(back.format(subject))


async def revoke_worker(request: web.Request) -> web.Response:
    return await _revoke(request, RevocationKind.WORKER, "border_pass_no", "/workers/{}")


async def revoke_employer(request: web.Request) -> web.Response:
    return await _revoke(request, RevocationKind.EMPLOYER, "employer_id", "/employers/{}")
