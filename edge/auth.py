"""Who may use the edge: anyone on this machine when it listens on loopback only;
otherwise a token, or a browser session opened with one.

Bound to anything but loopback (:func:`edge.app.create_app` installs
:func:`require_token` only then), every ``/api/*`` call needs ``Authorization: Bearer
<token>`` (401 ``missing_token`` / ``bad_token``) or the session cookie a login sets,
and every page needs that login.

A login opens a **server-side session**: a random id in the cookie (HttpOnly,
SameSite=Strict), only its SHA-256 digest in ``edge.db``, tied to the account that
logged in and ending after ``session_hours``, at logout, or when the account goes (a
token account is named by its token's digest, so changing the configured token ends
its sessions). Several officers can be logged in at once, each with their own session.
Token comparisons are constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import quote

from aiohttp import web

from . import store
from .httpio import ApiError, Handler
from .identity import new_session_id, token_digest
from .runtime import Runtime, runtime_of

SESSION_COOKIE = "bp_edge_session"
OPEN_PATHS = ("/login", "/static/")


def token_account(digest: str) -> str:
    """The account a token logs in as: ``token:`` and the start of its digest."""
    return f"token:{digest[:16]}"


def accounts(runtime: Runtime) -> Mapping[str, str]:
    """Account name -> token digest, for every token this edge accepts now."""
    return {token_account(d): d for d in runtime.ready().token_digests}


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def account_for_token(runtime: Runtime, token: str) -> str | None:
    """The account whose token this is; every digest is compared, in constant time."""
    candidate = token_digest(token).encode("ascii")
    found = None
    for account, digest in accounts(runtime).items():
        if hmac.compare_digest(candidate, digest.encode("ascii")):
            found = account
    return found


async def session_account(request: web.Request) -> str | None:
    """The account of the request's live session, or None."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    runtime = runtime_of(request)
    digest, now = token_digest(session_id), runtime.clock.now_ms()
    account = await runtime.ready().db.read(lambda c: store.session_account(c, digest, now))
    return account if account in accounts(runtime) else None


async def _authorised(request: web.Request) -> bool:
    token = bearer_token(request)
    if token is not None:
        return account_for_token(runtime_of(request), token) is not None
    return await session_account(request) is not None


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(OPEN_PATHS) or await _authorised(request):
        return await handler(request)
    if request.path.startswith(("/api/", "/fragments/")):
        header = request.headers.get("Authorization")
        cookie = request.cookies.get(SESSION_COOKIE)
        if header is None and cookie is None:
            raise ApiError(401, "missing_token", "send Authorization: Bearer <token>")
        raise ApiError(401, "bad_token", "the token is not valid for this edge")
    raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")


async def log_in(response: web.StreamResponse, request: web.Request, token: str) -> bool:
    """Open a session and set its cookie when ``token`` is valid; return whether it was."""
    runtime = runtime_of(request)
    account = account_for_token(runtime, token)
    if account is None:
        return False
    session_id, now = new_session_id(), runtime.clock.now_ms()
    lifetime_ms = int(runtime.config.session_hours * 3_600_000)
    digest, expires = token_digest(session_id), now + lifetime_ms
    await runtime.ready().db.write(
        lambda tx: store.open_session(tx.conn, digest, account, now, expires)
    )
    response.set_cookie(
        SESSION_COOKIE, session_id, max_age=lifetime_ms // 1000, httponly=True,
        samesite="Strict", secure=request.secure, path="/",
    )  # fmt: skip
    return True


async def log_out(response: web.StreamResponse, request: web.Request) -> None:
    """End the request's session on the server and clear its cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        digest = token_digest(session_id)
        await runtime_of(request).ready().db.write(lambda tx: store.end_session(tx.conn, digest))
    response.del_cookie(SESSION_COOKIE, path="/")
