"""The hub's web defences through real HTTP: redirects stay on the site, deep JSON is a
400, every answer but static files is ``no-store``, and the ``cookie_secure`` setting."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hubkit import PASSWORD, Hub, add_user, bearer, csrf_of

from hub.app import create_app

# As they appear in the query string; the server decodes them once.
REDIRECT_PAYLOADS = [
    "/%09/evil.example",
    "//evil.example",
    "/%5Cevil.example",
    "/\\evil.example",
    "https://evil.example",
    "https:evil.example",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/%0D%0A/evil.example",
    "/%00/evil.example",
    "/%E2%80%8B/evil.example",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("payload", REDIRECT_PAYLOADS)
async def test_every_redirect_payload_stays_on_the_site(
    client: TestClient, hub: Hub, payload: str
) -> None:
    switched = await client.get(f"/lang/en?next={payload}", allow_redirects=False)
    assert switched.status == 303
    assert switched.headers["Location"] == "/"
    form = await client.get(f"/login?next={payload}")
    assert 'name="next" value="/"' in await form.text()
    await add_user(client, hub, "hr1", "issuer")
    csrf = csrf_of(await form.text())
    body = f"username=hr1&password={PASSWORD.replace(' ', '+')}&csrf={csrf}&next={payload}"
    login = await client.post(
        "/login",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )
    assert login.status == 303
    assert login.headers["Location"] == "/"


async def test_a_local_next_is_kept(client: TestClient, hub: Hub) -> None:
    switched = await client.get("/lang/en?next=/alerts%3Fkind%3Doverstay", allow_redirects=False)
    assert switched.headers["Location"] == "/alerts?kind=overstay"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [40, 5000, 30000])
async def test_deeply_nested_json_is_a_400(client: TestClient, hub: Hub, depth: int) -> None:
    for path in ("/api/employers", "/api/permits", "/api/tokens"):
        response = await client.post(
            path,
            data=nested(depth),
            headers={**bearer(hub, "admin"), "Content-Type": "application/json"},
        )
        assert response.status in (400, 413), await response.text()
        if response.status == 400:
            assert (await response.json())["error"]["reason"] == "bad_json"
    still = await client.get("/api/employers", headers=bearer(hub, "admin"))
    assert still.status == 200


async def test_api_pages_and_csv_are_not_cached(client: TestClient, hub: Hub) -> None:
    api = await client.get("/api/employers", headers=bearer(hub, "admin"))
    assert api.headers["Cache-Control"] == "no-store"
    refused = await client.get("/api/employers")
    assert refused.status == 401 and refused.headers["Cache-Control"] == "no-store"
    await add_user(client, hub, "cop", "police")
    csrf = csrf_of(await (await client.get("/login")).text())
    await client.post("/login", data={"username": "cop", "password": PASSWORD, "csrf": csrf})
    for path in ("/", "/alerts", "/reports/overstayers", "/reports/overstayers.csv"):
        response = await client.get(path)
        assert response.status == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    static = await client.get("/static/hub.css")
    assert static.status == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def cookies(response: Any) -> list[str]:
    return list(response.headers.getall("Set-Cookie", []))


async def test_cookies_are_secure_only_when_configured(
    client: TestClient, hub: Hub, aiohttp_client: Any
) -> None:
    plain = await client.get("/login")
    assert all("Secure" not in c for c in cookies(plain))
    secure_config = replace(hub.config, cookie_secure=True, advertise=False)
    secure = await aiohttp_client(create_app(secure_config, hub.clock))
    await add_user(client, hub, "hr1", "issuer")
    page = await secure.get("/login")
    assert cookies(page) and all("; Secure" in c for c in cookies(page))
    csrf = csrf_of(await page.text())
    login = await secure.post(
        "/login",
        data={"username": "hr1", "password": PASSWORD, "csrf": csrf},
        headers={"Cookie": f"bp_login_csrf={page.cookies['bp_login_csrf'].value}"},
        allow_redirects=False,
    )  # the client keeps Secure cookies for HTTPS, so the test sends it itself
    session = [c for c in cookies(login) if c.startswith("bp_session=")]
    assert session and "; Secure" in session[0] and "HttpOnly" in session[0]
    switched = await secure.get("/lang/en?next=/", allow_redirects=False)
    assert all("; Secure" in c for c in cookies(switched))
