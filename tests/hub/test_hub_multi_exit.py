"""A multi-exit permit for a daily commuter: issued only when the request says
``"single_exit": false``; single exit stays the default. The edge then lets the
commuter in again after an exit."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import NOW_MS, SITES
from hubkit import Hub, add_user, bearer, log_in, permit_body
from test_hub_api import hub_trust

from hub import issuance
from hub.errors import Refusal
from protocol.credential import decode_permit
from protocol.refs import ReferenceData
from protocol.verdict import Direction, Outcome, decide


def test_a_permit_is_single_exit_unless_asked() -> None:
    assert issuance.parse_permit_request(permit_body()).single_exit is True
    commuter = issuance.parse_permit_request(permit_body(single_exit=False))
    permit = issuance.build_permit(commuter, ("dongxing",), "P1", 1_793_000_000, b"k" * 8)
    assert permit.single_exit is False


@pytest.mark.parametrize("value", ["no", 0, None, [False]])
def test_single_exit_must_be_a_boolean(value: Any) -> None:
    with pytest.raises(Refusal) as caught:
        issuance.parse_permit_request(permit_body(single_exit=value))
    assert caught.value.reason == "invalid_field"
    assert "single_exit" in caught.value.detail


async def test_a_commuter_permit_is_issued_and_not_used_up_by_an_exit(
    client: TestClient, hub: Hub
) -> None:
    response = await client.post(
        "/api/permits", json=permit_body(single_exit=False), headers=bearer(hub, "issuer")
    )
    assert response.status == 201, await response.text()
    issued = await response.json()
    assert decode_permit(issued["qr"]).permit.single_exit is False
    detail = await client.get(f"/api/permits/{issued['permit_id']}", headers=bearer(hub, "police"))
    assert (await detail.json())["single_exit"] is False
    await add_user(client, hub, "hr1", "issuer")
    await log_in(client, "hr1")
    card = await client.get(f"/permits/{issued['permit_id']}/card")
    assert card.status == 200 and "<svg" in await card.text()
    assert "一次出境有效" not in await card.text()
    stayer = permit_body(worker={"border_pass_no": "VN-BP-0002"})
    single = await client.post("/api/permits", json=stayer, headers=bearer(hub, "issuer"))
    single_card = await client.get(f"/permits/{(await single.json())['permit_id']}/card")
    assert "一次出境有效" in await single_card.text()

    exited = ReferenceData()
    exited.mark_used(issued["permit_id"], NOW_MS + 3600_000)
    gate, trust = SITES.site("dongxing-port"), hub_trust(hub)
    tomorrow = NOW_MS + 86_400_000
    again = decide(issued["qr"], gate, Direction.IN, tomorrow, trust, exited, tomorrow)
    assert again.outcome is Outcome.ALLOW, again.reasons
