"""Logging in and out, and switching the page language."""

from __future__ import annotations

import asyncio

from aiohttp import web

from borderpass.redirects import local_target
from hub import accounts, auth, context
from hub.html import Markup, tag
from hub.i18n import LANGUAGES
from hub.middleware import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from hub.pages.layout import field, form, page
from hub.store import access


def set_cookie(
    response: web.StreamResponse, name: str, value: str, max_age: int | None = None
) -> None:
    """Every hub cookie: HttpOnly, SameSite=Strict, the whole site."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Strict", path="/")


async def show(request: web.Request) -> web.Response:
    t = context.translator(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or auth.new_csrf_token()
    request[context.LOGIN_CSRF] = token
    fields: list[Markup] = [
        field(t("login.username"), "username", autocomplete="username", required=True),
        field(t("login.password"), "password", "password", autocomplete="current-password",
              required=True),
        tag("input", type="hidden", name="next", value=local_target(request.query.get("next"))),
    ]  # fmt: skip
    response = page(request, t("login.title"), form(request, "/login", fields, t("login.submit")))
    set_cookie(response, LOGIN_CSRF_COOKIE, token)
    return response


async def submit(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    username, password = str(posted.get("username", "")), str(posted.get("password", ""))
    database = context.db(request)
    user = await database.read(lambda c: access.get_user(c, username))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, accounts.authenticate, user, password)
    now, lifetime = context.now_ms(request), request.app[context.CONFIG].session_ms
    session = await database.write(lambda tx: accounts.open_session(tx, username, now, lifetime))
    response = web.HTTPSeeOther(local_target(str(posted.get("next", "/"))))
    set_cookie(response, SESSION_COOKIE, session.session_id, lifetime // 1000)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    session_id = request.cookies.get(SESSION_COOKIE, "")
    await context.db(request).write(lambda tx: accounts.log_out(tx, session_id))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def switch_language(request: web.Request) -> web.StreamResponse:
    chosen = request.match_info["lang"]
    if chosen not in LANGUAGES:
        raise web.HTTPNotFound()
    response = web.HTTPSeeOther(local_target(request.query.get("next")))
    set_cookie(response, context.LANG_COOKIE, chosen, 365 * 86400)
    raise response
