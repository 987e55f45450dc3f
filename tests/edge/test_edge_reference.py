"""Reference data changes (what the sync client will apply): disk and memory together,
refused changes leave both alone, and a restart loads what was committed."""

from __future__ import annotations

from datetime import date

import pytest
from aiohttp.test_utils import TestClient, TestServer
from edgekit import Edge
from factories import ISSUED_AT, NOW_MS, Issuer, make_issuer, make_trust_list

from borderpass.clock import ManualClock
from borderpass.sqlite import Transaction
from edge import reference, store
from edge.app import create_app
from edge.config import EdgeConfig
from edge.records import Employer, RosterEntry, UsedUp, UsedUpSource
from edge.reference import ChangeRefused
from edge.runtime import RUNTIME, EdgeServices
from edge.state import EdgeState
from protocol.refs import Revocation, RevocationKind
from protocol.sites import default_site_map_text


async def apply(edge: Edge, change: object) -> object:
    services = edge.services
    return await services.db.write(lambda tx: change(tx, services.state))  # type: ignore[operator]


async def test_a_newer_trust_list_replaces_the_old_and_an_older_is_refused(
    edge: Edge, issuer: Issuer
) -> None:
    _, v2 = make_trust_list(issuer.root, issuer.issuer_key, version=2)
    edge.clock.advance(3600_000)
    assert await apply(edge, lambda tx, s: reference.replace_trust_list(tx, s, v2, NOW_MS + 1))
    state = edge.services.state
    assert state.trust is not None and state.trust.record.version == 2
    with pytest.raises(ChangeRefused) as older:
        await apply(edge, lambda tx, s: reference.replace_trust_list(tx, s, issuer.signed_trust, 0))
    assert older.value.reason == "older_version"
    assert state.trust.record.version == 2
    assert not await apply(edge, lambda tx, s: reference.replace_trust_list(tx, s, v2, NOW_MS + 9))
    assert state.trust.refreshed_ms == NOW_MS + 9


async def test_a_trust_list_from_another_root_is_refused(edge: Edge) -> None:
    other = make_issuer("other-root", version=9)
    before = edge.services.state.trust
    with pytest.raises(ChangeRefused) as refused:
        await apply(edge, lambda tx, s: reference.replace_trust_list(tx, s, other.signed_trust, 1))
    assert refused.value.reason == "bad_signature"
    assert edge.services.state.trust is before


async def test_a_failed_commit_undoes_every_in_memory_change(edge: Edge) -> None:
    state = edge.services.state
    revocation = Revocation(RevocationKind.EMPLOYER, "EMP-JP-001", ISSUED_AT + 10)
    roster = RosterEntry("VN-1", "Lê Thị Mai", None, "EMP-JP-001", "P-1", None, True)

    def change_then_fail(tx: Transaction, s: EdgeState) -> None:
        reference.apply_revocations(tx, s, [revocation])
        reference.apply_used_up(tx, s, [UsedUp("P-1", 5, UsedUpSource.HUB)])
        reference.apply_employers(tx, s, [Employer("EMP-JP-001", "江平电子")])
        reference.apply_roster(tx, s, [roster])
        reference.refresh_trust(tx, s, NOW_MS + 99)
        raise RuntimeError("the commit fails")

    trust_before = state.trust
    with pytest.raises(RuntimeError):
        await apply(edge, change_then_fail)
    assert state.refs.revocation_count == 0 and state.refs.used_up_count == 0
    assert state.employers == {} and state.roster == {}
    assert state.trust is trust_before


async def test_reference_data_is_loaded_again_after_a_restart(edge: Edge, issuer: Issuer) -> None:
    roster = [
        RosterEntry("VN-1", "Lê Thị Mai", "黎氏梅", "EMP-JP-001", "P-1", date(2027, 1, 5), True),
        RosterEntry("VN-2", "Phạm Văn An", None, "EMP-JP-001", "P-2", None, False),
    ]

    def change(tx: Transaction, s: EdgeState) -> None:
        reference.apply_revocations(
            tx, s, [Revocation(RevocationKind.WORKER, "VN-BP-0001", ISSUED_AT + 1, "expelled")]
        )
        reference.apply_used_up(tx, s, [UsedUp("P-9", 77, UsedUpSource.HUB)], version=4, now_ms=1)
        reference.apply_employers(tx, s, [Employer("EMP-JP-001", "江平电子")], version=2)
        reference.apply_roster(tx, s, roster, version=3)
        reference.replace_site_map(tx, s, default_site_map_text(), version=7)

    await apply(edge, change)
    await edge.client.close()
    app = create_app(EdgeConfig(data_dir=edge.data_dir), ManualClock(NOW_MS))
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/api/scan", json={"qr": issuer.issue(), "direction": "in"})
        result = await response.json()
        assert result["reasons"] == ["revoked_worker"]
        assert result["permit"]["employer_name"] == "江平电子"
        state = runtime_services(client).state
        assert state.refs.used_at("P-9") == 77
        assert list(state.roster.values()) == roster
        versions = await state_versions(client)
    assert versions == {"trust_list": 1, "used_up": 4, "employers": 2, "roster": 3, "site_map": 7}


async def state_versions(client: TestClient) -> dict[str, int]:
    return await runtime_services(client).db.read(store.read_dataset_versions)


def runtime_services(client: TestClient) -> EdgeServices:
    assert client.app is not None
    services = client.app[RUNTIME].services
    assert services is not None
    return services


async def test_a_site_map_without_this_site_is_refused(edge: Edge) -> None:
    text = default_site_map_text().replace("[sites.dongxing-port]", "[sites.renamed-port]")
    with pytest.raises(ChangeRefused) as refused:
        await apply(edge, lambda tx, s: reference.replace_site_map(tx, s, text, version=2))
    assert refused.value.reason == "bad_site_map"
    with pytest.raises(ChangeRefused):
        await apply(edge, lambda tx, s: reference.replace_site_map(tx, s, "[zones", version=2))
    assert edge.services.state.site.site_id == "dongxing-port"


async def test_reinstating_lifts_a_revocation(edge: Edge, issuer: Issuer) -> None:
    revocation = Revocation(RevocationKind.PERMIT, "P-2026-000001", ISSUED_AT)
    await apply(edge, lambda tx, s: reference.apply_revocations(tx, s, [revocation]))
    assert (await edge.scan(issuer.issue()))["reasons"] == ["revoked_permit"]
    await apply(
        edge,
        lambda tx, s: reference.apply_revocations(
            tx, s, [], [(RevocationKind.PERMIT, "P-2026-000001")]
        ),
    )
    assert (await edge.scan(issuer.issue()))["reasons"] == []


async def test_the_earliest_exit_counts(edge: Edge) -> None:
    used = [UsedUp("P-5", 900, UsedUpSource.HUB), UsedUp("P-5", 500, UsedUpSource.LOCAL)]
    await apply(edge, lambda tx, s: reference.apply_used_up(tx, s, used))
    await apply(
        edge, lambda tx, s: reference.apply_used_up(tx, s, [UsedUp("P-5", 700, UsedUpSource.HUB)])
    )
    assert edge.services.state.refs.used_at("P-5") == 500
    rows = await edge.services.db.read(store.read_used_up)
    assert rows == [UsedUp("P-5", 500, UsedUpSource.LOCAL)]
