"""Tokens: needed for everything when the edge listens beyond loopback, not on loopback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from edgekit import Edge, StartEdge
from factories import Issuer

from borderpass.redirects import local_target
from edge.auth import SESSION_COOKIE


@pytest.fixture
async def exposed(start_edge: StartEdge) -> Edge:
    """An edge configured to listen on every interface (the test client is loopback)."""
    return await start_edge(host="0.0.0.0", api_token="configured-extra-token")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_loopback_needs_no_token(edge: Edge) -> None:
    assert (await edge.client.get("/api/status")).status == 200
    assert (await edge.client.get("/")).status == 200


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer"}, "bad_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "bad_token"),
        ({"Authorization": "Bearer wrong"}, "bad_token"),
    ],
)
async def test_the_api_refuses_without_the_right_token(
    exposed: Edge, headers: dict[str, str], reason: str
) -> None:
    for method, path in (
        ("GET", "/api/status"),
        ("POST", "/api/scan"),
        ("GET", "/api/scans"),
        ("GET", "/fragments/status"),
    ):
        response = await exposed.client.request(method, path, headers=headers, json={})
        assert response.status == 401
        assert (await response.json())["error"]["reason"] == reason
    assert await exposed.log() == []


async def test_the_init_token_and_the_configured_token_work(exposed: Edge, issuer: Issuer) -> None:
    for token in (exposed.provisioned.token, "configured-extra-token"):
        response = await exposed.client.post(
            "/api/scan", json={"qr": issuer.issue(), "direction": "in"}, headers=bearer(token)
        )
        assert response.status == 200
    assert len(await exposed.log()) == 2


async def test_pages_send_to_the_login_and_a_login_sets_a_strict_cookie(exposed: Edge) -> None:
    response = await exposed.client.get("/onsite?lang=vi", allow_redirects=False)
    assert response.status == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/onsite?lang=vi"]
    login = await exposed.client.get("/login")
    assert login.status == 200 and "访问令牌" in await login.text()
    bad = await exposed.client.post(
        "/login", data={"token": "nope", "next": "/"}, allow_redirects=False
    )
    assert bad.status == 401 and "令牌错误" in await bad.text()
    good = await exposed.client.post(
        "/login", data={"token": exposed.provisioned.token, "next": "/"}, allow_redirects=False
    )
    assert good.status == 303 and good.headers["Location"] == "/"
    cookie = good.headers["Set-Cookie"]
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert exposed.provisioned.token not in cookie
    assert (await exposed.client.get("/")).status == 200
    assert (await exposed.client.get("/api/status")).status == 200


async def test_a_forged_session_cookie_is_refused(exposed: Edge) -> None:
    exposed.client.session.cookie_jar.update_cookies({SESSION_COOKIE: "f" * 64})
    response = await exposed.client.get("/api/status")
    assert (await response.json())["error"]["reason"] == "bad_token"


async def test_logout_clears_the_session(exposed: Edge) -> None:
    await exposed.client.post("/login", data={"token": exposed.provisioned.token})
    assert (await exposed.client.get("/api/status")).status == 200
    await exposed.client.post("/logout")
    assert (await exposed.client.get("/api/status")).status == 401


async def test_static_files_and_the_login_page_need_no_token(exposed: Edge) -> None:
    assert (await exposed.client.get("/static/edge.js")).status == 200
    assert (await exposed.client.get("/login")).status == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/onsite?lang=vi", "/onsite?lang=vi"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
        ("/\u200b/evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_a_login_only_redirects_to_this_server(target: str | None, expected: str) -> None:
    assert local_target(target) == expected
