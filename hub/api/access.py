"""``/api/users``, ``/api/tokens``, ``/api/audit``, ``/api/trust`` (admins, mostly)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hub import accounts, context, fields, trustlist
from hub.api import shapes
from hub.api.common import read_json, reply
from hub.auth import Role
from hub.errors import Refusal, not_found
from hub.store import access
from protocol.keys import fingerprint


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


async def create_token(request: web.Request) -> web.Response:
    """A new API token; the token itself is in this reply only, never again."""
    body = fields.as_object(await read_json(request))
    role = _role(fields.text(body, "role", 16))
    employer_id = fields.optional_identifier(body, "employer_id")
    label = fields.optional_text(body, "label", 100) or ""
    now, actor = context.now_ms(request), context.principal(request).actor
    token_id, token = await context.db(request).write(
        lambda tx: accounts.add_token(tx, role, employer_id, label, now, actor)
    )
    return reply({"token_id": token_id, "token": token, "role": role.value,
                  "employer_id": employer_id}, status=201)  # fmt: skip


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
