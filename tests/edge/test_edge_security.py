"""The edge's web defences through real HTTP: redirects stay on the edge; the loopback
API refuses cross-site requests and foreign Host names; deep JSON is a 400; pages and
answers carry the security headers and are not cached."""

from __future__ import annotations

import pytest
from edgekit import Edge, StartEdge
from factories import Issuer

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
