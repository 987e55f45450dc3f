"""The hub's JSON API end to end: aiohttp's test client, a real SQLite file, real key
files, a ManualClock. Issued QR codes are decoded from the PNG with zxing-cpp and
verified under the hub's own trust list with the edge's decide()."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from factories import NOW_MS, SITES, TODAY
from hubkit import EMPLOYER, OTHER_EMPLOYER, Hub, bearer, permit_body

from borderpass import qr
from borderpass.sqlite import Database
from hub import trustlist
from hub.store import access
from hub.store import trust as trust_store
from hub.store.schema import migrate
from protocol.days import start_of_day_ms
from protocol.reasons import Reason
from protocol.refs import ReferenceData, Revocation, RevocationKind
from protocol.trust import TrustList
from protocol.verdict import Direction, Outcome, decide


def hub_trust(hub: Hub) -> TrustList:
    database = Database(hub.database_path, migrate).open()
    try:
        return database.read_blocking(trustlist.trusted_keys)[1]
    finally:
        database.close()


async def issue(client: TestClient, hub: Hub, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/permits", json=permit_body(**overrides), headers=bearer(hub, "issuer")
    )
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def error_of(response: Any) -> str:
    body = await response.json()
    assert set(body) == {"error"}
    assert body["error"]["detail"]
    reason: str = body["error"]["reason"]
    return reason


async def test_issue_fetch_and_verify_at_an_edge(client: TestClient, hub: Hub) -> None:
    issued = await issue(client, hub)
    assert set(issued) == {"permit_id", "qr"}
    pid = issued["permit_id"]
    png = await client.get(f"/api/permits/{pid}/qr.png", headers=bearer(hub, "issuer"))
    assert png.status == 200 and png.content_type == "image/png"
    assert qr.decode_image(await png.read()) == (issued["qr"],)
    svg = await client.get(f"/api/permits/{pid}/qr.svg", headers=bearer(hub, "issuer"))
    assert svg.content_type == "image/svg+xml"
    assert (await svg.text()).startswith("<svg")

    trust = hub_trust(hub)
    at_park = decide(issued["qr"], SITES.site("jiangping-park"), Direction.IN, NOW_MS + 3600_000,
                     trust, ReferenceData(), NOW_MS)  # fmt: skip
    assert at_park.outcome is Outcome.ALLOW, at_park.reasons
    assert at_park.permit is not None and at_park.permit.permit_id == pid

    detail = await (await client.get(f"/api/permits/{pid}", headers=bearer(hub, "police"))).json()
    assert detail["zones"] == ["dongxing", "dongxing/jiangping"]
    assert detail["worker"]["name"] == "Nguyễn Thị Lan"
    assert detail["status"] == "valid" and detail["issued_by"].startswith("token:")
    assert detail["key_id"] == trust.keys[0].key_id.hex()


async def test_a_broken_rule_is_a_400_and_stores_nothing(client: TestClient, hub: Hub) -> None:
    response = await client.post(
        "/api/permits", json=permit_body(valid_until="2027-06-01"), headers=bearer(hub, "issuer")
    )
    assert response.status == 400
    assert await error_of(response) == "term_too_long"
    listed = await (await client.get("/api/permits", headers=bearer(hub, "admin"))).json()
    assert listed["permits"] == []


async def test_bad_bodies_are_refused_with_reasons(client: TestClient, hub: Hub) -> None:
    headers = {**bearer(hub, "issuer"), "Content-Type": "application/json"}
    response = await client.post("/api/permits", data=b"{not json", headers=headers)
    assert (response.status, await error_of(response)) == (400, "bad_json")
    huge = b'{"x": "' + b"a" * (hub.config.max_body_bytes + 10) + b'"}'
    response = await client.post("/api/permits", data=huge, headers=headers)
    assert (response.status, await error_of(response)) == (413, "too_large")
    response = await client.post("/api/employers", json={**EMPLOYER}, headers=headers)
    assert (response.status, await error_of(response)) == (409, "already_exists")
    bad_park = {**EMPLOYER, "employer_id": "E9", "park_zone": "dongxing"}
    response = await client.post("/api/employers", json=bad_park, headers=headers)
    assert (response.status, await error_of(response)) == (400, "unknown_park")


async def test_no_issuer_key_outlives_the_permit(client: TestClient, hub: Hub) -> None:
    """Near the end of the only key's window no key can sign a permit that outlives
    it: a 503 that says to rotate, never a permit edges would refuse."""
    long_lived = {**EMPLOYER, "employer_id": "E-LONG", "hiring_permit_valid_until": "2030-12-31"}
    created = await client.post("/api/employers", json=long_lived, headers=bearer(hub, "issuer"))
    assert created.status == 201
    day = TODAY + timedelta(days=700)
    hub.clock.set(start_of_day_ms(day) + 12 * 3600_000)
    body = permit_body(
        employer_id="E-LONG",
        valid_from=day.isoformat(),
        valid_until=(day + timedelta(days=60)).isoformat(),
        health_cert_until="2029-12-31",
        insurance_until="2029-12-31",
    )
    response = await client.post("/api/permits", json=body, headers=bearer(hub, "issuer"))
    assert (response.status, await error_of(response)) == (503, "no_issuer_key")
    body["valid_until"] = (day + timedelta(days=20)).isoformat()
    assert (
        await client.post("/api/permits", json=body, headers=bearer(hub, "issuer"))
    ).status == 201


async def revoke(client: TestClient, hub: Hub, path: str, reason: str = "fraud") -> Any:
    return await client.post(path, json={"reason": reason}, headers=bearer(hub, "issuer"))


async def test_revoke_a_permit(client: TestClient, hub: Hub) -> None:
    pid = (await issue(client, hub))["permit_id"]
    response = await revoke(client, hub, f"/api/permits/{pid}/revoke")
    assert response.status == 201
    entry = await response.json()
    assert (entry["kind"], entry["subject"], entry["active"]) == ("permit", pid, True)
    again = await revoke(client, hub, f"/api/permits/{pid}/revoke")
    assert (again.status, await error_of(again)) == (409, "already_revoked")
    no_reason = await client.post(
        f"/api/permits/{pid}/revoke", json={}, headers=bearer(hub, "issuer")
    )
    assert (no_reason.status, await error_of(no_reason)) == (400, "reason_required")
    missing = await revoke(client, hub, "/api/permits/NOPE/revoke")
    assert (missing.status, await error_of(missing)) == (404, "not_found")
    detail = await (await client.get(f"/api/permits/{pid}", headers=bearer(hub, "admin"))).json()
    assert detail["status"] == "revoked"
    assert detail["revocations"][0]["reason"] == "fraud"


async def test_expel_a_worker_then_reinstate(client: TestClient, hub: Hub) -> None:
    first = await issue(client, hub)
    bpn = permit_body()["worker"]["border_pass_no"]
    response = await revoke(client, hub, f"/api/workers/{bpn}/revoke", "worked outside the zone")
    assert response.status == 201
    revocation_id = (await response.json())["revocation_id"]

    refused = await client.post("/api/permits", json=permit_body(), headers=bearer(hub, "issuer"))
    assert (refused.status, await error_of(refused)) == (400, "worker_revoked")
    worker = await (await client.get(f"/api/workers/{bpn}", headers=bearer(hub, "police"))).json()
    assert worker["status"] == "revoked"
    assert worker["permits"][0]["status"] == "revoked"

    # an edge that holds the revocation denies the earlier permit
    refs = ReferenceData()
    refs.revoke(Revocation(RevocationKind.WORKER, bpn, NOW_MS // 1000, "worked outside"))
    verdict = decide(first["qr"], SITES.site("dongxing-port"), Direction.IN, NOW_MS + 1000,
                     hub_trust(hub), refs, NOW_MS)  # fmt: skip
    assert verdict.outcome is Outcome.DENY and Reason.REVOKED_WORKER in verdict.reasons

    path = f"/api/revocations/{revocation_id}/reinstate"
    by_issuer = await client.post(path, json={"reason": "appeal"}, headers=bearer(hub, "issuer"))
    assert (by_issuer.status, await error_of(by_issuer)) == (403, "forbidden")
    lifted = await client.post(path, json={"reason": "appeal"}, headers=bearer(hub, "admin"))
    assert lifted.status == 200
    assert (await lifted.json())["active"] is False
    twice = await client.post(path, json={"reason": "appeal"}, headers=bearer(hub, "admin"))
    assert (twice.status, await error_of(twice)) == (409, "not_revoked")
    hub.clock.advance(1000)
    await issue(client, hub)

    audit = await (await client.get("/api/audit", headers=bearer(hub, "admin"))).json()
    actions = [(a["action"], a["target"]) for a in audit["audit"]]
    assert ("worker.revoke", bpn) in actions and ("worker.reinstate", bpn) in actions
    assert ("permit.issue", first["permit_id"]) in actions
    issued_row = next(a for a in audit["audit"] if a["target"] == first["permit_id"])
    assert issued_row["actor"].startswith("token:")


async def test_expel_an_employer_and_publish_it(client: TestClient, hub: Hub) -> None:
    await issue(client, hub)
    eid = EMPLOYER["employer_id"]
    assert (await revoke(client, hub, f"/api/employers/{eid}/revoke", "no insurance")).status == 201
    refused = await client.post("/api/permits", json=permit_body(), headers=bearer(hub, "issuer"))
    assert await error_of(refused) == "employer_revoked"
    bpn = permit_body()["worker"]["border_pass_no"]
    await revoke(client, hub, f"/api/workers/{bpn}/revoke", "overstayed")
    public = await (await client.get("/public/expelled.json")).json()
    names = {(x["kind"], x["name"], x["reason"]) for x in public["expelled"]}
    assert names == {
        ("employer", EMPLOYER["name_zh"], "no insurance"),
        ("worker", "Nguyễn Thị Lan", "overstayed"),
    }
    assert bpn not in str(public)
    listed = await (
        await client.get("/api/revocations?active=1", headers=bearer(hub, "police"))
    ).json()
    assert {r["kind"] for r in listed["revocations"]} == {"worker", "employer"}


async def test_agencies_and_their_licences(client: TestClient, hub: Hub) -> None:
    agency = {"agency_id": "A-1", "name_zh": "东兴劳务", "name_vi": "Lao động Đông Hưng",
              "licence_no": "LS-9", "licence_valid_from": "2025-01-01",
              "licence_valid_until": "2026-10-31"}  # fmt: skip
    response = await client.post("/api/agencies", json=agency, headers=bearer(hub, "issuer"))
    assert response.status == 201
    employer = {**OTHER_EMPLOYER, "employer_id": "E-AG", "agency_id": "A-1"}
    assert (
        await client.post("/api/employers", json=employer, headers=bearer(hub, "issuer"))
    ).status == 201
    body = permit_body(employer_id="E-AG", zones=["dongxing/chonglan"])
    refused = await client.post("/api/permits", json=body, headers=bearer(hub, "issuer"))
    assert await error_of(refused) == "agency_licence_lapsed"
    unknown = {**employer, "employer_id": "E-AX", "agency_id": "A-404"}
    response = await client.post("/api/employers", json=unknown, headers=bearer(hub, "issuer"))
    assert await error_of(response) == "unknown_agency"


async def test_trust_endpoint_and_tokens(client: TestClient, hub: Hub) -> None:
    trust = await (await client.get("/api/trust", headers=bearer(hub, "police"))).json()
    assert trust["version"] == 1 and len(trust["keys"]) == 1
    assert trust["keys"][0]["scope"] == ["dongxing", "fangchenggang"]
    tokens = await (await client.get("/api/tokens", headers=bearer(hub, "admin"))).json()
    police = next(t for t in tokens["tokens"] if t["role"] == "police")
    assert "token" not in police
    path = f"/api/tokens/{police['token_id']}/revoke"
    assert (await client.post(path, headers=bearer(hub, "admin"))).status == 200
    response = await client.get("/api/trust", headers=bearer(hub, "police"))
    assert (response.status, await error_of(response)) == (401, "bad_token")


def test_a_new_epoch_is_kept_and_audited(hub: Hub) -> None:
    """After a restore the hub takes a new epoch (hub.backup); the root key stays."""
    database = Database(hub.database_path, migrate).open()
    try:
        before = database.read_blocking(trust_store.get_identity)
        database.write_blocking(lambda tx: trust_store.set_epoch(tx, "feedfacecafe0001", NOW_MS))
        after = database.read_blocking(trust_store.get_identity)
        audit = database.read_blocking(lambda c: access.list_audit(c, target="feedfacecafe0001"))
    finally:
        database.close()
    assert before is not None and after is not None
    assert after.epoch == "feedfacecafe0001" != before.epoch
    assert after.root_public_key == before.root_public_key
    assert [a.action for a in audit] == ["hub.new_epoch"]
