"""The role matrix: who may call what, and an employer sees only its own."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hubkit import EMPLOYER, OTHER_EMPLOYER, Hub, bearer, permit_body

from hub.app import create_app
from hub.roles import ACCESS, AccessPolicy


async def issue(client: TestClient, hub: Hub, **overrides: Any) -> str:
    response = await client.post(
        "/api/permits", json=permit_body(**overrides), headers=bearer(hub, "issuer")
    )
    assert response.status == 201, await response.text()
    permit_id: str = (await response.json())["permit_id"]
    return permit_id


async def reason(response: Any) -> tuple[int, str]:
    return response.status, (await response.json())["error"]["reason"]


def test_every_route_is_in_the_table_or_public(hub: Hub) -> None:
    app = create_app(hub.config, hub.clock)
    policy = AccessPolicy()
    for route in app.router.routes():
        name = route.name
        path = route.resource.canonical if route.resource else ""
        if isinstance(route.resource, web.StaticResource):
            path += "/"
        if policy.is_public(path, name):
            continue
        assert name in ACCESS, f"{route.method} {path} ({name}) has no row in hub.roles.ACCESS"


def test_every_table_row_names_a_route(hub: Hub) -> None:
    app: web.Application = create_app(hub.config, hub.clock)
    names = {route.name for route in app.router.routes()}
    assert set(ACCESS) <= names


async def test_no_token_no_data(client: TestClient, hub: Hub) -> None:
    pid = await issue(client, hub)
    for path in ("/api/permits", f"/api/permits/{pid}", f"/api/permits/{pid}/qr.png",
                 "/api/employers", "/api/revocations", "/api/does-not-exist"):  # fmt: skip
        response = await client.get(path)
        assert await reason(response) == (401, "missing_token"), path
        wrong = await client.get(path, headers={"Authorization": "Bearer bpt_wrong"})
        assert await reason(wrong) == (401, "bad_token"), path
    basic = await client.get("/api/permits", headers={"Authorization": "Basic eDp5"})
    assert await reason(basic) == (401, "bad_token")
    response = await client.post("/api/permits", json=permit_body())
    assert await reason(response) == (401, "missing_token")


async def test_an_unknown_api_path_with_a_token_is_404(client: TestClient, hub: Hub) -> None:
    response = await client.get("/api/nothing-here", headers=bearer(hub, "admin"))
    assert await reason(response) == (404, "not_found")


@pytest.mark.parametrize("who", ["police", "employer"])
async def test_police_and_employers_cannot_issue_or_revoke(
    client: TestClient, hub: Hub, who: str
) -> None:
    response = await client.post("/api/permits", json=permit_body(), headers=bearer(hub, who))
    status, why = await reason(response)
    assert (status, why) == (403, "forbidden")
    pid = await issue(client, hub)
    revoke = await client.post(
        f"/api/permits/{pid}/revoke", json={"reason": "x"}, headers=bearer(hub, who)
    )
    assert await reason(revoke) == (403, "forbidden")
    employer = {**EMPLOYER, "employer_id": "E-NEW"}
    created = await client.post("/api/employers", json=employer, headers=bearer(hub, who))
    assert await reason(created) == (403, "forbidden")


async def test_forbidden_names_the_roles_needed(client: TestClient, hub: Hub) -> None:
    response = await client.post("/api/permits", json=permit_body(), headers=bearer(hub, "police"))
    body = await response.json()
    assert body["error"]["detail"] == "needs role: admin, issuer"


async def test_only_admins_manage_tokens_users_and_audit(client: TestClient, hub: Hub) -> None:
    for who in ("issuer", "police", "employer"):
        for method, path in (("GET", "/api/tokens"), ("POST", "/api/tokens"),
                             ("POST", "/api/users"), ("GET", "/api/audit")):  # fmt: skip
            response = await client.request(method, path, json={}, headers=bearer(hub, who))
            assert await reason(response) == (403, "forbidden"), (who, path)


async def test_an_employer_sees_only_its_own(client: TestClient, hub: Hub) -> None:
    mine = await issue(client, hub)
    theirs = await issue(
        client, hub, employer_id=OTHER_EMPLOYER["employer_id"], zones=["dongxing/chonglan"],
        worker={"border_pass_no": "VN-BP-0002", "name": "Trần Văn Minh"},
    )  # fmt: skip
    me = bearer(hub, "employer")
    listed = await (await client.get("/api/permits", headers=me)).json()
    assert [p["permit_id"] for p in listed["permits"]] == [mine]
    assert (await client.get(f"/api/permits/{mine}", headers=me)).status == 200
    for path in (f"/api/permits/{theirs}", f"/api/permits/{theirs}/qr.png",
                 f"/api/permits/{theirs}/qr.svg", "/api/workers/VN-BP-0002",
                 f"/api/employers/{OTHER_EMPLOYER['employer_id']}"):  # fmt: skip
        assert await reason(await client.get(path, headers=me)) == (404, "not_found"), path
    employers = await (await client.get("/api/employers", headers=me)).json()
    assert [e["employer_id"] for e in employers["employers"]] == [EMPLOYER["employer_id"]]
    worker = await (await client.get("/api/workers/VN-BP-0001", headers=me)).json()
    assert [p["permit_id"] for p in worker["permits"]] == [mine]
    other = bearer(hub, "other_employer")
    assert (await client.get(f"/api/permits/{theirs}", headers=other)).status == 200
    assert (await client.get(f"/api/permits/{mine}", headers=other)).status == 404
    police = await (await client.get("/api/permits", headers=bearer(hub, "police"))).json()
    assert {p["permit_id"] for p in police["permits"]} == {mine, theirs}


async def test_an_employer_binding_is_checked(client: TestClient, hub: Hub) -> None:
    admin = bearer(hub, "admin")
    unbound = await client.post("/api/tokens", json={"role": "employer"}, headers=admin)
    assert await reason(unbound) == (400, "bad_binding")
    bound_police = await client.post(
        "/api/tokens", json={"role": "police", "employer_id": "E-JP-01"}, headers=admin
    )
    assert await reason(bound_police) == (400, "bad_binding")
    ghost = await client.post(
        "/api/tokens", json={"role": "employer", "employer_id": "E-GHOST"}, headers=admin
    )
    assert await reason(ghost) == (400, "unknown_employer")
    bad_role = await client.post("/api/tokens", json={"role": "root"}, headers=admin)
    assert await reason(bad_role) == (400, "invalid_field")
