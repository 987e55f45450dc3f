"""``/api/users`` (and disabling, enabling, password resets, ending sessions),
``/api/tokens``, ``/api/audit``, ``/api/trust`` (admins, mostly)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from hub import accounts, context, fields, trustlist
from hub.api import shapes
from hub.api.common import read_json, reply
from hub.auth import Role
from hub.errors import Refusal, not_found
from hub.store import access
from protocol.keys import fingerprint

MAX_DAYS = 3650


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise fields.invalid("role", f"one of {[r.value for r in Role]}") from exc


async def create_user(request: web.Request) -> web.Response:
    body = fields.as_object(await read_json(request))
    username, role = fields.text(body, "username", 64), _role(fields.text(body, "role", 16))
    password = fields.text(body, "password", 200)
    employer_id = fields.optional_identifier(body, "employer_id")
    loop = asyncio.get_running_loop()
    password_hash = await loop.run_in_executor(None, accounts.check_password, password)
    now, actor = context.now_ms(request), context.principal(request).actor
    user = await context.db(request).write(
        lambda tx: accounts.add_user(tx, username, password_hash, role, employer_id, now, actor)
    )
    return reply(shapes.user_json(user), status=201)


async def list_users(request: web.Request) -> web.Response:
    found = await context.db(request).read(access.list_users)
    return reply({"users": [shapes.user_json(u) for u in found]})


def _expiry(body: Mapping[str, Any], now_ms: int) -> int | None:
    days = body.get("expires_in_days")
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= MAX_DAYS:
        raise fields.invalid("expires_in_days", f"a number of days above 0, at most {MAX_DAYS}")
    return now_ms + int(days * 86_400_000)


async def create_token(request: web.Request) -> web.Response:
    """A new API token; the token itself is in this reply only, never again."""
    body = fields.as_object(await read_json(request))
    role = _role(fields.text(body, "role", 16))
    employer_id = fields.optional_identifier(body, "employer_id")
    label = fields.optional_text(body, "label", 100) or ""
    now, actor = context.now_ms(request), context.principal(request).actor
    expires = _expiry(body, now)
    token_id, token = await context.db(request).write(
        lambda tx: accounts.add_token(tx, role, employer_id, label, now, actor, expires)
    )
    return reply({"token_id": token_id, "token": token, "role": role.value,
                  "employer_id": employer_id,
                  "expires_at": None if expires is None else shapes.instant(expires // 1000)},
                 status=201)  # fmt: skip


async def disable_user(request: web.Request) -> web.Response:
    """Refuse the user's logins and end their sessions."""
    username, now, actor = _user_call(request)
    ended = await context.db(request).write(
        lambda tx: accounts.disable_user(tx, username, now, actor)
    )
    return reply({"username": username, "disabled": True, "sessions_ended": ended})


async def enable_user(request: web.Request) -> web.Response:
    username, now, actor = _user_call(request)
    await context.db(request).write(lambda tx: accounts.enable_user(tx, username, now, actor))
    return reply({"username": username, "disabled": False})


async def reset_password(request: web.Request) -> web.Response:
    """``{"password"}``: a new password; the user's sessions end."""
    body = fields.as_object(await read_json(request))
    password = fields.text(body, "password", 200)
    loop = asyncio.get_running_loop()
    password_hash = await loop.run_in_executor(None, accounts.check_password, password)
    username, now, actor = _user_call(request)
    ended = await context.db(request).write(
        lambda tx: accounts.reset_password(tx, username, password_hash, now, actor)
    )
    return reply({"username": username, "sessions_ended": ended})


async def end_sessions(request: web.Request) -> web.Response:
    username, now, actor = _user_call(request)
    ended = await context.db(request).write(
        lambda tx: accounts.end_sessions(tx, username, now, actor)
    )
    return reply({"username": username, "sessions_ended": ended})


def _user_call(request: web.Request) -> tuple[str, int, str]:
    """The user named in the path, the instant and who asks."""
    return (request.match_info["username"], context.now_ms(request),
            context.principal(request).actor)  # fmt: skip


async def list_tokens(request: web.Request) -> web.Response:
    found = await context.db(request).read(access.list_tokens)
    return reply({"tokens": [shapes.token_json(t) for t in found]})


async def revoke_token(request: web.Request) -> web.Response:
    try:
        token_id = int(request.match_info["token_id"])
    except ValueError as exc:
        raise not_found("token") from exc
    now, actor = context.now_ms(request), context.principal(request).actor
    await context.db(request).write(lambda tx: accounts.revoke_token(tx, token_id, now, actor))
    return reply({"token_id": token_id, "revoked": True})


async def list_audit(request: web.Request) -> web.Response:
    target = request.query.get("target") or None
    try:
        limit = min(1000, max(1, int(request.query.get("limit", "200"))))
    except ValueError as exc:
        raise Refusal("invalid_field", "limit: expected a number") from exc
    found = await context.db(request).read(
        lambda c: access.list_audit(c, target=target, limit=limit)
    )
    return reply({"audit": [shapes.audit_json(a) for a in found]})


async def trust(request: web.Request) -> web.Response:
    """The hub's root key fingerprint and the keys of the current trust list."""
    identity, current = await context.db(request).read(trustlist.trusted_keys)
    keys = [
        {"key_id": k.key_id.hex(), "not_before": shapes.instant(k.not_before),
         "not_after": shapes.instant(k.not_after), "scope": list(k.scope)}
        for k in current.keys
    ]  # fmt: skip
    return reply({"version": current.version, "issued_at": shapes.instant(current.issued_at),
                  "root_fingerprint": fingerprint(identity.root_public_key),
                  "epoch": identity.epoch, "keys": keys})  # fmt: skip
