"""The hub's request pipeline: refusals as JSON or pages, who is asking, and whether
they may.

* Every ``/api/*`` call needs ``Authorization: Bearer TOKEN``: ``401 missing_token``
  without one, ``401 bad_token`` for an unknown or revoked token, ``401
  token_expired`` past a token's expiry.
* Every page needs a login session (a ``GET`` without one is sent to the login page);
  every page ``POST`` needs the session's CSRF token in its ``csrf`` field
  (``403 bad_csrf``). The login form, which has no session yet, checks a
  double-submit cookie instead.
* The route's roles come from :data:`hub.roles.ACCESS`: ``403 forbidden`` names the
  roles needed. Public paths (``/sync/``, ``/public/``, ``/static/``, the login page)
  skip all of it: sync requests are authenticated by edge signatures.
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Awaitable, Callable

from aiohttp import web
from yarl import URL

from hub import auth, context
from hub.errors import Refusal
from hub.pages.layout import error_page
from hub.store import access

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SESSION_COOKIE = "bp_session"
LOGIN_CSRF_COOKIE = "bp_login_csrf"


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def refusal_response(request: web.Request, refusal: Refusal) -> web.StreamResponse:
    if is_api(request):
        body = {"error": {"reason": refusal.reason, "detail": refusal.detail}}
        return web.json_response(body, status=refusal.status)
    return error_page(request, refusal)


@web.middleware
async def refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn a :class:`Refusal` (or an HTTP error on the API) into its response."""
    try:
        return await handler(request)
    except Refusal as refusal:
        return refusal_response(request, refusal)
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[context.CONFIG].max_body_bytes
        return refusal_response(request, Refusal("too_large", f"over {limit} bytes", 413))
    except web.HTTPException as exc:
        if not is_api(request) or exc.status < 400:
            raise
        reason = exc.reason.lower().replace(" ", "_")
        return refusal_response(request, Refusal(reason, exc.reason, exc.status))


async def _token_principal(request: web.Request) -> auth.Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Refusal("missing_token", "send Authorization: Bearer TOKEN", 401)
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal("bad_token", "send Authorization: Bearer TOKEN", 401)
    digest = auth.digest(token.strip())
    found = await context.db(request).read(lambda c: access.token_by_digest(c, digest))
    if found is None or found.revoked_at_ms is not None:
        raise Refusal("bad_token", "unknown or revoked token", 401)
    if found.expired(context.now_ms(request)):
        raise Refusal("token_expired", "this token has expired: ask an admin for a new one", 401)
    return auth.Principal(f"token:{found.token_id}", found.role, found.employer_id)


async def _session_principal(request: web.Request) -> auth.Principal | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    digest, now = auth.digest(session_id), context.now_ms(request)

    def lookup(conn: sqlite3.Connection) -> access.Session | None:
        return access.session_by_digest(conn, digest, now)

    session = await context.db(request).read(lookup)
    if session is None:
        return None
    return auth.Principal(
        f"user:{session.username}", session.role, session.employer_id, session.csrf_token
    )


async def _check_csrf(request: web.Request, expected: str | None) -> None:
    form = await request.post()
    sent = form.get("csrf")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise Refusal("bad_csrf", "the form has expired: reload the page and try again", 403)


def _login_redirect(request: web.Request) -> web.HTTPFound:
    return web.HTTPFound(URL("/login").with_query(next=request.path_qs))


async def _authenticate(request: web.Request) -> auth.Principal:
    if is_api(request):
        return await _token_principal(request)
    found = await _session_principal(request)
    if found is None:
        if request.method in ("GET", "HEAD"):
            raise _login_redirect(request)
        raise Refusal("login_required", "log in first", 401)
    if request.method == "POST":
        await _check_csrf(request, found.csrf_token)
    return found


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Set the request's principal and check the route's roles."""
    policy = request.app[context.POLICY]
    match = request.match_info
    name = match.route.name
    if policy.is_public(request.path, name) and match.http_exception is None:
        if request.method == "POST" and name in policy.public_routes:
            # the login form; /sync/ is authenticated by edge signatures instead
            await _check_csrf(request, request.cookies.get(LOGIN_CSRF_COOKIE))
        return await handler(request)
    principal = await _authenticate(request)
    request[context.PRINCIPAL] = principal
    if match.http_exception is not None:
        raise match.http_exception
    allowed = policy.roles_for(name)
    if principal.role not in allowed:
        needed = ", ".join(sorted(r.value for r in allowed)) or "none"
        raise Refusal("forbidden", f"needs role: {needed}", 403)
    return await handler(request)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The headers above on every answer, and ``Cache-Control: no-store`` on all but
    the static files: pages, API answers and CSVs carry personal data."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
