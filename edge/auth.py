"""Who may use the edge: anyone on this machine when it listens on loopback only;
otherwise a token.

Bound to anything but loopback (:func:`edge.app.create_app` installs
:func:`require_token` only then), every ``/api/*`` call needs ``Authorization: Bearer
<token>`` (401 ``missing_token`` / ``bad_token``) or the session cookie a login sets,
and every page needs that login. The cookie is HttpOnly and SameSite=Strict, so another
site can neither read it nor make the browser send it; it carries a value derived from
the stored token hash, never the token. Comparisons are constant time.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from .httpio import ApiError, Handler
from .identity import session_matches, session_value, token_matches
from .runtime import runtime_of

SESSION_COOKIE = "bp_edge_session"
OPEN_PATHS = ("/login", "/static/")


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _authorised(request: web.Request, digests: tuple[str, ...]) -> bool:
    token = bearer_token(request)
    if token is not None:
        return token_matches(token, digests)
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie is not None and session_matches(cookie, digests)


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    runtime = runtime_of(request)
    if request.path.startswith(OPEN_PATHS):
        return await handler(request)
    digests = runtime.ready().token_digests
    if _authorised(request, digests):
        return await handler(request)
    if request.path.startswith(("/api/", "/fragments/")):
        header = request.headers.get("Authorization")
        cookie = request.cookies.get(SESSION_COOKIE)
        if header is None and cookie is None:
            raise ApiError(401, "missing_token", "send Authorization: Bearer <token>")
        raise ApiError(401, "bad_token", "the token is not valid for this edge")
    raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")


def log_in(response: web.StreamResponse, request: web.Request, token: str) -> bool:
    """Set the session cookie when ``token`` is valid; return whether it was."""
    digests = runtime_of(request).ready().token_digests
    for digest in digests:
        if token_matches(token, (digest,)):
            response.set_cookie(
                SESSION_COOKIE,
                session_value(digest),
                httponly=True,
                samesite="Strict",
                secure=request.secure,
                path="/",
            )
            return True
    return False
