"""The officer's scan page, the park's on-site page, the login page, and the HTML
fragments the pages' script refreshes. Thin handlers: gather, render, answer.

Chinese unless ``?lang=vi`` / ``?lang=en`` chose otherwise; the choice is remembered in
the ``lang`` cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from borderpass.redirects import local_target
from protocol.verdict import Direction

from . import fragments, i18n, reads, views
from .auth import log_in, log_out
from .httpio import json_response, read_body
from .render import Markup, element, join, render, script_json
from .runtime import Runtime, runtime_of
from .state import EdgeState

LANG_COOKIE = "lang"
RECENT_ON_PAGE = 10
VERDICT_SHOWN_MS = {"allow": 3000, "deny": 10000, "alert": 0}
"""How long the full-screen verdict stays; 0: until the officer dismisses it."""
CAMERA_REPEAT_MS = 10_000
"""The camera does not scan the same text again within this time (the card is still
in front of it)."""


def page_language(request: web.Request) -> str:
    default = runtime_of(request).config.default_language
    chosen = request.query.get("lang")
    return i18n.pick_language(chosen, request.cookies.get(LANG_COOKIE), default=default)


def _remember_language(request: web.Request, response: web.StreamResponse, lang: str) -> None:
    if request.query.get("lang") in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", path="/")


def _labels(lang: str, *keys: str) -> dict[str, str]:
    return {f"{key}_label": i18n.label(key, lang) for key in keys}


def _nav(state: EdgeState, lang: str) -> Markup:
    links = [element("a", i18n.label("scan_page", lang), href="/")]
    if state.site.is_park:
        links.append(element("a", i18n.label("onsite_title", lang), href="/onsite"))
    return join(links, " · ")


def _page_data(runtime: Runtime, state: EdgeState, lang: str, page: str) -> dict[str, Any]:
    return {
        "page": page,
        "lang": lang,
        "site": state.site.site_id,
        "default_direction": Direction.CHECK.value if page == "onsite" else Direction.IN.value,
        "fixed_direction": Direction.CHECK.value if page == "onsite" else None,
        "camera_interval_ms": runtime.config.camera_interval_ms,
        "verdict_shown_ms": VERDICT_SHOWN_MS,
        "camera_repeat_ms": CAMERA_REPEAT_MS,
        "labels": i18n.labels(lang),
    }


def _scan_field(lang: str) -> Markup:
    return render(
        "scanfield.html",
        prompt=i18n.label("scan_prompt", lang),
        camera_label=i18n.label("camera", lang),
        camera_stop=i18n.label("camera_stop", lang),
    )


def _verdict_overlay(lang: str) -> Markup:
    return render(
        "verdict.html",
        not_verified=i18n.label("not_verified", lang),
        dismiss=i18n.label("dismiss", lang),
        **_labels(lang, "name", "employer", "zones", "end_date", "permit_id"),
    )


async def _layout(
    request: web.Request, lang: str, title: str, body: Markup, page: str
) -> web.Response:
    runtime = runtime_of(request)
    state = runtime.ready().state
    status = await reads.status(runtime, lang)
    html = render(
        "layout.html",
        lang_tag={"zh": "zh-Hans", "vi": "vi", "en": "en"}[lang],
        title=title,
        site_name=state.site.names.get(lang),
        body_class=f"{page} site-{state.site.kind.value}",
        nav=_nav(state, lang),
        languages=fragments.language_links(lang, request.path),
        body=body,
        status_bar=fragments.status_bar(status, lang),
        page_data=script_json(_page_data(runtime, state, lang, page)),
    )
    response = web.Response(text=html, content_type="text/html", charset="utf-8")
    _remember_language(request, response, lang)
    return response


async def scan_page(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    state = runtime.ready().state
    lang = page_language(request)
    scans = await reads.recent_scans(runtime, RECENT_ON_PAGE)
    body = render(
        "scan.html",
        direction_buttons=fragments.direction_buttons(state.site.kind, list(Direction), lang),
        scan_field=_scan_field(lang),
        last_scan_rows=fragments.scan_rows(views.logged_scan_view(s, state, lang) for s in scans),
        verdict_overlay=_verdict_overlay(lang),
        **_labels(lang, "direction", "last_scans", "time", "verdict", "name", "employer"),
        **_labels(lang, "reasons"),
    )
    return await _layout(request, lang, i18n.label("scan_title", lang), body, "scan")


async def onsite_page(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    state = runtime.ready().state
    lang = page_language(request)
    if not state.site.is_park:
        raise web.HTTPNotFound(text=i18n.label("not_a_park", lang))
    onsite = views.onsite_view(await reads.current_roll_call(runtime), state, lang)
    body = render(
        "onsite.html",
        scan_field=_scan_field(lang),
        on_site_count=len(onsite["on_site"]),
        on_site_rows=fragments.presence_rows(onsite["on_site"], lang),
        missing_count=len(onsite["missing"]),
        missing_rows=fragments.missing_rows(onsite["missing"], lang),
        verdict_overlay=_verdict_overlay(lang),
        **_labels(lang, "on_site", "missing", "name", "employer", "since", "last_seen"),
        **_labels(lang, "end_date"),
    )
    return await _layout(request, lang, i18n.label("onsite_title", lang), body, "onsite")


async def status_fragment(request: web.Request) -> web.Response:
    lang = page_language(request)
    status = await reads.status(runtime_of(request), lang)
    return web.Response(text=fragments.status_bar(status, lang), content_type="text/html")


async def scans_fragment(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    state = runtime.ready().state
    lang = page_language(request)
    scans = await reads.recent_scans(runtime, RECENT_ON_PAGE)
    rows = fragments.scan_rows(views.logged_scan_view(s, state, lang) for s in scans)
    return web.Response(text=rows, content_type="text/html")


async def onsite_fragment(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    state = runtime.ready().state
    lang = page_language(request)
    onsite = views.onsite_view(await reads.current_roll_call(runtime), state, lang)
    return json_response(
        {
            "on_site": fragments.presence_rows(onsite["on_site"], lang),
            "missing": fragments.missing_rows(onsite["missing"], lang),
            "on_site_count": len(onsite["on_site"]),
            "missing_count": len(onsite["missing"]),
        }
    )


def _login_page(request: web.Request, error: str, target: str, status: int) -> web.Response:
    lang = page_language(request)
    html = render(
        "login.html",
        lang_tag=lang,
        title=i18n.label("login_title", lang),
        error=error,
        next=target,
        token_label=i18n.label("token", lang),
        sign_in=i18n.label("sign_in", lang),
        languages=fragments.language_links(lang, "/login"),
    )
    return web.Response(text=html, content_type="text/html", status=status)


async def login_form(request: web.Request) -> web.Response:
    return _login_page(request, "", local_target(request.query.get("next")), 200)


async def login_submit(request: web.Request) -> web.StreamResponse:
    body = await read_body(request, runtime_of(request).config.max_body_bytes)
    form = parse_qs(body.decode("utf-8", "replace"))
    target = local_target(form.get("next", ["/"])[0])
    response = _see_other(target)
    if await log_in(response, request, form.get("token", [""])[0]):
        return response
    lang = page_language(request)
    return _login_page(request, i18n.label("bad_token", lang), target, 401)


def _see_other(target: str) -> web.Response:
    return web.Response(status=303, headers={"Location": target})


async def logout(request: web.Request) -> web.StreamResponse:
    response = _see_other("/login")
    await log_out(response, request)
    return response
