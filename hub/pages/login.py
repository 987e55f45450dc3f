"""Logging in and out, and switching the page language."""

from __future__ import annotations

import asyncio

from aiohttp import web

from borderpass.redirects import local_target
from borderpass.sqlite import Transaction
from hub import accounts, auth, context, logins
from hub.errors import Refusal
from hub.html import Markup, tag
from hub.i18n import LANGUAGES
from hub.logins import Admission
from hub.middleware import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from hub.pages.layout import field, form, page
from hub.store import access


def set_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    """Every hub cookie: HttpOnly, SameSite=Strict, the whole site; ``Secure`` when the
    ``cookie_secure`` setting says the hub is reached over HTTPS."""
    secure = request.app[context.CONFIG].cookie_secure
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="Strict", path="/", secure=secure
    )


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
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token)
    return response


async def _check_password(request: web.Request, username: str, password: str) -> Admission:
    """Admit the attempt (rate limit, lockout), check the password, audit a failure;
    return the admission of a good login."""
    database, now = context.db(request), context.now_ms(request)
    address, policy = context.client_address(request), context.login_policy(request)
    admission = await database.write(lambda tx: logins.admit(tx, username, address, now, policy))
    if admission.refused_until_ms is not None:
        wait_s = max(1, (admission.refused_until_ms - now) // 1000)
        detail = f"too many failed logins: try again in {wait_s} s or ask an admin"
        raise Refusal("too_many_attempts", detail, 429)
    user = await database.read(lambda c: access.get_user(c, username))
    loop = asyncio.get_running_loop()
    failure = await loop.run_in_executor(None, accounts.login_failure, user, password)
    if failure is not None:
        await database.write(lambda tx: logins.failed(tx, username, address, failure, now, policy))
        raise Refusal("bad_login", "wrong username or password", status=401)
    return admission


async def submit(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    username, password = str(posted.get("username", "")), str(posted.get("password", ""))
    admission = await _check_password(request, username, password)
    now, lifetime = context.now_ms(request), request.app[context.CONFIG].session_ms

    def job(tx: Transaction) -> accounts.NewSession:
        logins.succeeded(tx, username, admission)
        return accounts.open_session(tx, username, now, lifetime)

    session = await context.db(request).write(job)
    response = web.HTTPSeeOther(local_target(str(posted.get("next", "/"))))
    set_cookie(request, response, SESSION_COOKIE, session.session_id, lifetime // 1000)
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
    set_cookie(request, response, context.LANG_COOKIE, chosen, 365 * 86400)
    raise response
