"""The page frame every hub page shares: navigation by role, language switch, the
logout form, error pages, and form helpers (the CSRF field).

Add a page to the navigation by adding a :class:`NavItem`: it shows only to roles the
route's row in :data:`hub.roles.ACCESS` allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from yarl import URL

from hub import context
from hub.errors import Refusal
from hub.html import Markup, escape, join, render, tag


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str
    """An i18n key."""
    route: str | None
    """The route whose roles decide who sees the item; None: everyone, logged in or not."""


NAV: tuple[NavItem, ...] = (
    NavItem("/", "nav.home", "page.home"),
    NavItem("/employers", "nav.employers", "page.employers"),
    NavItem("/permits", "nav.permits", "page.permits"),
    NavItem("/permits/new", "nav.issue", "page.permits.new"),
    NavItem("/revocations", "nav.revocations", "page.revocations"),
    NavItem("/alerts", "nav.alerts", "page.alerts"),
    NavItem("/edges", "nav.edges", "page.edges"),
    NavItem("/reports", "nav.reports", "page.reports"),
    NavItem("/public/expelled", "nav.expelled", None),
)


def csrf_field(request: web.Request) -> Markup:
    found = context.optional_principal(request)
    token = found.csrf_token if found is not None else request.get(context.LOGIN_CSRF, "")
    return tag("input", type="hidden", name="csrf", value=token)


def post_button(request: web.Request, action: str, label: str) -> Markup:
    """A one-button form that POSTs (with the CSRF token) to ``action``."""
    return tag("form", join([csrf_field(request), tag("button", label)]), method="post",
               action=action)  # fmt: skip


def _nav(request: web.Request) -> Markup:
    t = context.translator(request)
    found = context.optional_principal(request)
    policy = request.app[context.POLICY]
    items = [
        tag("a", t(item.label), href=item.path)
        for item in NAV
        if item.route is None or (found is not None and found.role in policy.roles_for(item.route))
    ]
    return join(items)


def _session(request: web.Request) -> Markup:
    t = context.translator(request)
    other = "en" if context.lang(request) == "zh" else "zh"
    switch = tag("a", t("lang.switch"), href=str(URL(f"/lang/{other}").with_query(
        next=request.path_qs)))  # fmt: skip
    found = context.optional_principal(request)
    if found is None:
        return join([switch, tag("a", t("nav.login"), href="/login")])
    who = tag("span", f"{found.actor} · {t('role.' + found.role.value)}")
    return join([switch, who, post_button(request, "/logout", t("nav.logout"))])


def page(request: web.Request, title: str, content: Markup, status: int = 200) -> web.Response:
    t = context.translator(request)
    body = render(
        "base.html",
        lang=context.lang(request),
        title=title,
        app_title=t("app.title"),
        nav=_nav(request),
        session=_session(request),
        content=content,
    )
    return web.Response(text=body, content_type="text/html", charset="utf-8", status=status)


def error_page(request: web.Request, refusal: Refusal) -> web.Response:
    t = context.translator(request)
    content = tag(
        "div",
        join([tag("p", tag("code", refusal.reason)), tag("p", refusal.detail),
              tag("p", tag("a", t("error.back"), href="/"))]),
        class_="error",
    )  # fmt: skip
    return page(request, t("error.title"), content, status=refusal.status)


def field(label: str, name: str, kind: str = "text", value: object = "", **extra: object) -> Markup:
    """A labelled input for a ``stack`` form."""
    return join([tag("label", label, for_=name),
                 tag("input", id=name, name=name, type=kind, value=value, **extra)])  # fmt: skip


def form(request: web.Request, action: str, fields: list[Markup], submit: str) -> Markup:
    parts = [csrf_field(request), *fields, tag("p", tag("button", submit))]
    return tag("form", join(parts), method="post", action=action, class_="stack")


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)


def heading(text: object) -> Markup:
    return tag("h2", escape(text))
