"""Logins through real HTTP: the rate limit per account and per client address, the
lockout, failed logins in the audit log; disabling users, resetting passwords, ending
sessions (API and command line), and API tokens that expire."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from hubkit import PASSWORD, Hub, add_user, bearer, csrf_of
from test_hub_cli import hub_command

from hub.app import create_app

MINUTE_MS = 60_000


async def login_csrf(client: TestClient) -> str:
    return csrf_of(await (await client.get("/login")).text())


async def attempt(
    client: TestClient, csrf: str, username: str, password: str, **headers: str
) -> tuple[int, str]:
    """One login; (status, reason code or "" for a success)."""
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf, "next": "/"},
        headers=headers,
        allow_redirects=False,
    )
    if response.status == 303:
        return 303, ""
    text = await response.text()
    reasons = [r for r in ("bad_login", "too_many_attempts", "bad_csrf") if r in text]
    return response.status, reasons[0] if reasons else text


async def audit(client: TestClient, hub: Hub, **query: str) -> list[dict[str, Any]]:
    response = await client.get("/api/audit", params=query, headers=bearer(hub, "admin"))
    assert response.status == 200
    return list((await response.json())["audit"])


def actions(records: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [r for r in records if r["action"] == action]


async def test_the_31st_bad_login_for_an_account_within_a_minute_is_refused(
    client: TestClient, hub: Hub
) -> None:
    await add_user(client, hub, "hr1", "issuer")
    csrf = await login_csrf(client)
    for _ in range(30):
        assert await attempt(client, csrf, "hr1", "wrong password") == (401, "bad_login")
        hub.clock.advance(1_000)
    assert await attempt(client, csrf, "hr1", PASSWORD) == (429, "too_many_attempts")
    records = await audit(client, hub, limit="100")
    failed = actions(records, "user.login_failed")
    assert len(failed) == 30
    assert {(r["target"], r["detail"]["reason"], r["detail"]["address"]) for r in failed} == {
        ("hr1", "bad_password", "127.0.0.1")
    }
    locked = actions(records, "login.locked")
    assert {r["target"] for r in locked} == {"user:hr1", "address:127.0.0.1"}
    hub.clock.advance(2 * MINUTE_MS)
    assert await attempt(client, csrf, "hr1", PASSWORD) == (429, "too_many_attempts"), "locked"
    assert len(actions(await audit(client, hub), "user.login_failed")) == 30, "refusals unchecked"
    hub.clock.advance(15 * MINUTE_MS)
    assert await attempt(client, csrf, "hr1", PASSWORD) == (303, "")


async def test_the_31st_bad_login_from_one_address_is_refused(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "cop", "police")
    csrf = await login_csrf(client)
    for n in range(30):
        assert await attempt(client, csrf, f"guess{n}", "password1") == (401, "bad_login")
    assert await attempt(client, csrf, "cop", PASSWORD) == (429, "too_many_attempts")
    records = await audit(client, hub, limit="100")
    reasons = {r["detail"]["reason"] for r in actions(records, "user.login_failed")}
    assert reasons == {"unknown_user"}
    assert [r["target"] for r in actions(records, "login.locked")] == ["address:127.0.0.1"]


async def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit(
    client: TestClient, hub: Hub
) -> None:
    await add_user(client, hub, "hr1", "issuer")
    csrf = await login_csrf(client)
    results = await asyncio.gather(
        *(attempt(client, csrf, "hr1", f"guess number {n}") for n in range(45))
    )
    assert sum(1 for r in results if r == (401, "bad_login")) == 30
    assert sum(1 for r in results if r == (429, "too_many_attempts")) == 15
    assert len(actions(await audit(client, hub, limit="200"), "user.login_failed")) == 30


async def test_a_good_login_clears_the_accounts_count(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "hr1", "issuer")
    csrf = await login_csrf(client)
    for _ in range(29):
        await attempt(client, csrf, "hr1", "wrong password")
    assert await attempt(client, csrf, "hr1", PASSWORD) == (303, "")
    client.session.cookie_jar.clear()
    csrf = await login_csrf(client)
    assert await attempt(client, csrf, "hr1", "wrong password") == (401, "bad_login")


async def test_the_client_address_comes_from_a_trusted_proxy_only(
    client: TestClient, hub: Hub, aiohttp_client: Any
) -> None:
    csrf = await login_csrf(client)
    await attempt(client, csrf, "nobody", "password1", **{"X-Forwarded-For": "203.0.113.9"})
    assert actions(await audit(client, hub), "user.login_failed")[0]["detail"]["address"] == (
        "127.0.0.1"
    )
    proxied = await aiohttp_client(
        create_app(replace(hub.config, trusted_proxies=("127.0.0.1",), advertise=False), hub.clock)
    )
    csrf = await login_csrf(proxied)
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    await attempt(proxied, csrf, "nobody", "password1", **forwarded)
    assert actions(await audit(client, hub), "user.login_failed")[0]["detail"]["address"] == (
        "203.0.113.9"
    )


async def admin_post(client: TestClient, hub: Hub, path: str, body: Any = None) -> Any:
    response = await client.post(path, json=body or {}, headers=bearer(hub, "admin"))
    return response.status, await response.json()


async def logged_in(client: TestClient) -> bool:
    return (await client.get("/alerts", allow_redirects=False)).status == 200


async def test_disable_and_enable_a_user(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "cop", "police")
    assert await attempt(client, await login_csrf(client), "cop", PASSWORD) == (303, "")
    assert await logged_in(client)
    status, body = await admin_post(client, hub, "/api/users/cop/disable")
    assert status == 200 and body == {"username": "cop", "disabled": True, "sessions_ended": 1}
    assert not await logged_in(client)
    assert await attempt(client, await login_csrf(client), "cop", PASSWORD) == (401, "bad_login")
    listed = await client.get("/api/users", headers=bearer(hub, "admin"))
    assert {"username": "cop", "disabled": True}.items() <= (await listed.json())["users"][
        0
    ].items()
    assert (await admin_post(client, hub, "/api/users/cop/enable"))[0] == 200
    assert await attempt(client, await login_csrf(client), "cop", PASSWORD) == (303, "")
    records = await audit(client, hub, target="cop")
    assert [r["action"] for r in records][:4] == [
        "user.login", "user.enable", "user.login_failed", "user.disable",
    ]  # fmt: skip
    assert records[3]["actor"].startswith("token:")
    assert (await admin_post(client, hub, "/api/users/nobody/disable"))[0] == 404
    police = await client.post("/api/users/cop/disable", headers=bearer(hub, "police"))
    assert police.status == 403


async def test_reset_a_password_and_end_sessions(client: TestClient, hub: Hub) -> None:
    await add_user(client, hub, "hr1", "issuer")
    assert await attempt(client, await login_csrf(client), "hr1", PASSWORD) == (303, "")
    status, body = await admin_post(client, hub, "/api/users/hr1/end-sessions")
    assert status == 200 and body["sessions_ended"] == 1
    assert not await logged_in(client)
    assert await attempt(client, await login_csrf(client), "hr1", PASSWORD) == (303, "")
    weak = await admin_post(client, hub, "/api/users/hr1/password", {"password": "short"})
    assert weak[0] == 400 and weak[1]["error"]["reason"] == "weak_password"
    status, body = await admin_post(
        client, hub, "/api/users/hr1/password", {"password": "a brand new passphrase"}
    )
    assert status == 200 and body["sessions_ended"] == 1
    assert not await logged_in(client)
    assert await attempt(client, await login_csrf(client), "hr1", PASSWORD) == (401, "bad_login")
    csrf = await login_csrf(client)
    assert await attempt(client, csrf, "hr1", "a brand new passphrase") == (303, "")
    done = [r["action"] for r in await audit(client, hub, target="hr1")]
    assert {"user.end_sessions", "user.reset_password"} <= set(done)


async def test_an_admin_lifts_a_lockout(hub: Hub, aiohttp_client: Any) -> None:
    config = replace(hub.config, login_max_failures=3, trusted_proxies=("127.0.0.1",))
    small: TestClient = await aiohttp_client(create_app(config, hub.clock))
    await add_user(small, hub, "hr1", "issuer")
    csrf = await login_csrf(small)
    addresses = (f"198.51.100.{n}" for n in range(1, 100))

    async def try_login(password: str) -> tuple[int, str]:
        return await attempt(small, csrf, "hr1", password, **{"X-Forwarded-For": next(addresses)})

    for _ in range(3):
        assert await try_login("wrong password") == (401, "bad_login")
    assert await try_login(PASSWORD) == (429, "too_many_attempts")
    assert (await admin_post(small, hub, "/api/users/hr1/enable"))[0] == 200
    assert await try_login(PASSWORD) == (303, "")
    small.session.cookie_jar.clear()
    csrf = await login_csrf(small)
    for _ in range(3):
        await try_login("wrong password")
    new = {"password": "a brand new passphrase"}
    assert (await admin_post(small, hub, "/api/users/hr1/password", new))[0] == 200
    assert await try_login("a brand new passphrase") == (303, "")


async def test_api_tokens_may_expire(client: TestClient, hub: Hub) -> None:
    status, made = await admin_post(
        client, hub, "/api/tokens", {"role": "police", "expires_in_days": 1}
    )
    assert status == 201 and made["expires_at"] is not None
    police = {"Authorization": f"Bearer {made['token']}"}
    assert (await client.get("/api/alerts", headers=police)).status == 200
    listed = await client.get("/api/tokens", headers=bearer(hub, "admin"))
    row = next(t for t in (await listed.json())["tokens"] if t["token_id"] == made["token_id"])
    assert row["expires_at"] == made["expires_at"]
    hub.clock.advance(86_400_000)
    expired = await client.get("/api/alerts", headers=police)
    assert expired.status == 401
    assert (await expired.json())["error"]["reason"] == "token_expired"
    for bad in (0, -1, "7", True, 4000):
        refused = await admin_post(
            client, hub, "/api/tokens", {"role": "police", "expires_in_days": bad}
        )
        assert refused[0] == 400 and refused[1]["error"]["reason"] == "invalid_field", bad


def audit_rows(data: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(data / "hub.db")
    try:
        rows = conn.execute("SELECT actor, action, target FROM audit_log ORDER BY audit_id")
        return [(str(a), str(b), str(c)) for a, b, c in rows]
    finally:
        conn.close()


def test_the_command_line_looks_after_users_and_token_expiry(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    assert hub_command(data, "init").returncode == 0
    added = hub_command(data, "add-user", "--username", "hr1", "--role", "issuer",
                        stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    for command in ("disable-user", "enable-user", "end-sessions"):
        done = hub_command(data, command, "--username", "hr1")
        assert done.returncode == 0, done.stderr
    reset = hub_command(data, "reset-password", "--username", "hr1", stdin="another passphrase\n")
    assert reset.returncode == 0 and "reset" in reset.stdout
    missing = hub_command(data, "disable-user", "--username", "nobody")
    assert missing.returncode == 2 and "not_found" in missing.stderr
    expiring = hub_command(data, "add-token", "--role", "police", "--expires-days", "7")
    assert expiring.returncode == 0 and "expires" in expiring.stdout
    assert hub_command(data, "add-token", "--role", "police", "--expires-days", "0").returncode == 2
    assert [r for r in audit_rows(data) if r[2] == "hr1"] == [
        ("cli", "user.add", "hr1"), ("cli", "user.disable", "hr1"), ("cli", "user.enable", "hr1"),
        ("cli", "user.end_sessions", "hr1"), ("cli", "user.reset_password", "hr1"),
    ]  # fmt: skip
    conn = sqlite3.connect(data / "hub.db")
    try:
        expiries = [r[0] for r in conn.execute("SELECT expires_at_ms FROM api_tokens")]
    finally:
        conn.close()
    assert expiries[0] is None and expiries[-1] is not None
