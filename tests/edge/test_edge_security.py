"""The edge's web defences through real HTTP: redirects stay on the edge; the loopback
API refuses cross-site requests and foreign Host names; deep JSON is a 400; pages and
answers carry the security headers and are not cached."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from edgekit import Edge, StartEdge
from factories import Issuer

from edge.auth import SESSION_COOKIE
from edge.runtime import RUNTIME

REDIRECT_PAYLOADS = [
    "/%09/evil.example",
    "//evil.example",
    "/%5Cevil.example",
    "/\\evil.example",
    "https://evil.example",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/%0D%0A/evil.example",
    "/%00/evil.example",
    "javascript:alert(1)",
]


@pytest.fixture
async def exposed(start_edge: StartEdge) -> Edge:
    return await start_edge(host="0.0.0.0")


@pytest.mark.parametrize("payload", REDIRECT_PAYLOADS)
async def test_every_redirect_payload_stays_on_the_edge(exposed: Edge, payload: str) -> None:
    form = await exposed.client.get(f"/login?next={payload}")
    assert form.status == 200
    assert 'name="next" value="/"' in await form.text()
    login = await exposed.client.post(
        "/login",
        data=f"token={exposed.provisioned.token}&next={payload}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )
    assert login.status == 303
    assert login.headers["Location"] == "/"


def scan_body(issuer: Issuer) -> bytes:
    return json.dumps({"qr": issuer.issue(), "direction": "in"}).encode()


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_a_scan_that_is_not_json_is_refused_and_not_logged(
    edge: Edge, issuer: Issuer, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await edge.client.post(
        "/api/scan", data=scan_body(issuer), headers=headers, skip_auto_headers=["Content-Type"]
    )
    assert response.status == 415
    assert (await response.json())["error"]["reason"] == "unsupported_media_type"
    assert await edge.log() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:1"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_a_scan_from_another_sites_page_is_refused_and_not_logged(
    edge: Edge, issuer: Issuer, headers: dict[str, str]
) -> None:
    response = await edge.client.post(
        "/api/scan", data=scan_body(issuer),
        headers={"Content-Type": "application/json", **headers},
    )  # fmt: skip
    assert response.status == 403
    assert (await response.json())["error"]["reason"] == "foreign_origin"
    assert await edge.log() == []
    login = await edge.client.post("/login", data={"token": "x"}, headers=headers)
    assert login.status == 403


async def test_the_edges_own_page_may_scan(edge: Edge, issuer: Issuer) -> None:
    own = f"http://{edge.client.host}:{edge.client.port}"
    response = await edge.client.post(
        "/api/scan", data=scan_body(issuer),
        headers={"Content-Type": "application/json", "Origin": own,
                 "Sec-Fetch-Site": "same-origin"},
    )  # fmt: skip
    assert response.status == 200
    assert len(await edge.log()) == 1
    link = await edge.client.get("/", headers={"Sec-Fetch-Site": "cross-site"})
    assert link.status == 200, "a plain visit from a link elsewhere is a page view"


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8441", "", "[::1"])
async def test_a_foreign_host_is_refused(edge: Edge, issuer: Issuer, host: str) -> None:
    await edge.scan(issuer.issue())
    for path in ("/api/scans", "/api/status", "/", "/fragments/scans"):
        response = await edge.client.get(path, headers={"Host": host})
        assert response.status == 421, path
        assert (await response.json())["error"]["reason"] == "bad_host"
    refused = await edge.client.post(
        "/api/scan", data=scan_body(issuer),
        headers={"Content-Type": "application/json", "Host": host},
    )  # fmt: skip
    assert refused.status == 421
    assert len(await edge.log()) == 1


async def test_loopback_ip_addresses_and_listed_names_are_answered(
    start_edge: StartEdge,
) -> None:
    edge = await start_edge(allowed_hosts=("edge-dongxing.lan",))
    port = edge.client.port
    for host in ("localhost", f"localhost:{port}", "127.0.0.1", "[::1]:8441", "10.0.0.7:8441",
                 "edge-dongxing.lan", f"EDGE-DONGXING.LAN:{port}"):  # fmt: skip
        response = await edge.client.get("/api/status", headers={"Host": host})
        assert response.status == 200, host
    proxied = await edge.client.post("/api/sync", headers={"Origin": "https://edge-dongxing.lan"})
    assert proxied.status == 409, "a listed name is this edge's origin (behind a proxy)"


async def log_in(edge: Edge) -> str:
    """Log in with the edge's token; return the session cookie's value (the client's
    cookie jar is emptied, so each request names its session itself)."""
    response = await edge.client.post(
        "/login", data={"token": edge.provisioned.token, "next": "/"}, allow_redirects=False
    )
    assert response.status == 303
    morsel = response.cookies[SESSION_COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "Strict"
    assert int(morsel["max-age"]) == 12 * 3600
    edge.client.session.cookie_jar.clear()
    return morsel.value


async def status_with(edge: Edge, session: str) -> int:
    response = await edge.client.get(
        "/api/status", headers={"Cookie": f"{SESSION_COOKIE}={session}"}
    )
    return response.status


async def test_edge_sessions_are_random_server_side_and_end_at_logout(exposed: Edge) -> None:
    first, second = await log_in(exposed), await log_in(exposed)
    assert first != second, "each login gets its own random session"
    assert await status_with(exposed, first) == 200
    assert await status_with(exposed, second) == 200
    stored = await exposed.services.db.read(
        lambda c: c.execute("SELECT session_digest, account FROM sessions").fetchall()
    )
    assert len(stored) == 2 and all(first not in d and second not in d for d, _ in stored)
    logout = await exposed.client.post(
        "/logout", headers={"Cookie": f"{SESSION_COOKIE}={first}"}, allow_redirects=False
    )
    assert logout.status == 303
    assert await status_with(exposed, first) == 401, "a copied cookie dies at logout"
    assert await status_with(exposed, second) == 200, "another officer stays logged in"


async def test_edge_sessions_expire(exposed: Edge) -> None:
    session = await log_in(exposed)
    exposed.clock.advance(12 * 3_600_000 - 1)
    assert await status_with(exposed, session) == 200
    exposed.clock.advance(1)
    assert await status_with(exposed, session) == 401
    page = await exposed.client.get(
        "/", headers={"Cookie": f"{SESSION_COOKIE}={session}"}, allow_redirects=False
    )
    assert page.status == 303 and page.headers["Location"].startswith("/login")


async def test_a_session_of_a_token_no_longer_accepted_ends(start_edge: StartEdge) -> None:
    edge = await start_edge(host="0.0.0.0", api_token="first-configured-token")
    response = await edge.client.post(
        "/login", data={"token": "first-configured-token"}, allow_redirects=False
    )
    session = response.cookies[SESSION_COOKIE].value
    edge.client.session.cookie_jar.clear()
    assert await status_with(edge, session) == 200
    account = await edge.services.db.read(
        lambda c: c.execute("SELECT account FROM sessions").fetchone()[0]
    )
    services = edge.services
    edge.client.app[RUNTIME].services = replace(
        services, token_digests=(services.token_digests[0],)
    )
    assert account.startswith("token:")
    assert await status_with(edge, session) == 401


@pytest.mark.parametrize("depth", [40, 3000, 8000])
async def test_deeply_nested_json_is_a_400_and_not_logged(edge: Edge, depth: int) -> None:
    body = b'{"qr": ' + b"[" * depth + b"]" * depth + b', "direction": "in"}'
    response = await edge.client.post(
        "/api/scan", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["error"]["reason"] == "not_json"
    assert await edge.log() == []


async def test_pages_and_answers_carry_the_security_headers(edge: Edge, issuer: Issuer) -> None:
    await edge.scan(issuer.issue())
    for path in ("/", "/login", "/api/status", "/api/scans", "/fragments/scans"):
        response = await edge.client.get(path)
        assert response.status == 200, path
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store", path
    refused = await edge.client.get("/api/scans?limit=0")
    assert refused.status == 400 and refused.headers["Cache-Control"] == "no-store"
    static = await edge.client.get("/static/edge.js")
    assert static.status == 200 and static.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in static.headers.get("Cache-Control", "")
