"""Who is on site at a park, and which of its workers are in China but not here."""

from __future__ import annotations

from datetime import date

import pytest
from edgekit import Edge, StartEdge
from factories import NOW_MS, Issuer, make_worker

from borderpass.sqlite import Transaction
from edge import reference
from edge.onsite import roll_call
from edge.records import Employer, Presence, RosterEntry
from edge.state import EdgeState

MINUTE = 60_000


@pytest.fixture
async def park(start_edge: StartEdge) -> Edge:
    edge = await start_edge("jiangping-park")
    roster = [
        RosterEntry("VN-A", "Nguyễn Văn A", "阮文A", "EMP-JP-001", "P-A", date(2027, 1, 1), True),
        RosterEntry("VN-B", "Trần Thị B", None, "EMP-JP-001", "P-B", date(2027, 1, 1), True),
        RosterEntry("VN-C", "Lê Văn C", None, "EMP-JP-001", "P-C", date(2027, 1, 1), False),
    ]
    services = edge.services

    def load(tx: Transaction, state: EdgeState = services.state) -> None:
        reference.apply_roster(tx, state, roster, replace_all=True)
        reference.apply_employers(tx, state, [Employer("EMP-JP-001", "江平电子厂")])

    await services.db.write(load)
    return edge


def card(issuer: Issuer, worker_id: str, permit_id: str, **overrides: object) -> str:
    worker = make_worker(border_pass_no=worker_id, name=f"Worker {worker_id}")
    return issuer.issue(permit_id=permit_id, worker=worker, **overrides)


async def onsite(edge: Edge) -> dict[str, list[dict[str, object]]]:
    response = await edge.client.get("/api/onsite?lang=en")
    assert response.status == 200
    return await response.json()  # type: ignore[no-any-return]


async def test_the_roll_call_follows_the_log(park: Edge, issuer: Issuer) -> None:
    a, b = card(issuer, "VN-A", "P-A"), card(issuer, "VN-B", "P-B")
    await park.scan(a, "in")
    park.clock.advance(5 * MINUTE)
    await park.scan(b, "in")
    park.clock.advance(5 * MINUTE)
    await park.scan(a, "check")
    view = await onsite(park)
    assert [p["worker_id"] for p in view["on_site"]] == ["VN-A", "VN-B"]
    first = view["on_site"][0]
    assert (first["since"], first["last_scan"]) == (NOW_MS, NOW_MS + 10 * MINUTE)
    assert first["last_direction"] == "check" and first["employer_name"] == "江平电子厂"
    assert view["missing"] == []
    park.clock.advance(MINUTE)
    await park.scan(b, "out")
    view = await onsite(park)
    assert [p["worker_id"] for p in view["on_site"]] == ["VN-A"]
    assert [m["worker_id"] for m in view["missing"]] == ["VN-B"]  # in China, not here


async def test_a_new_stay_starts_at_the_first_scan_after_an_exit(
    park: Edge, issuer: Issuer
) -> None:
    a = card(issuer, "VN-A", "P-A", single_exit=False)
    for direction in ("in", "out"):
        await park.scan(a, direction)
        park.clock.advance(MINUTE)
    await park.scan(a, "check")
    [here] = (await onsite(park))["on_site"]
    assert here["since"] == NOW_MS + 2 * MINUTE


async def test_denied_and_unverified_scans_do_not_put_anyone_on_site(
    park: Edge, issuer: Issuer
) -> None:
    await park.scan(card(issuer, "VN-A", "P-A", zones=("dongxing",)), "in")  # park not allowed
    await park.scan("not a permit", "in")
    view = await onsite(park)
    assert view["on_site"] == []
    assert [m["worker_id"] for m in view["missing"]] == ["VN-A", "VN-B"]


def test_roll_call_orders_by_arrival_and_skips_workers_not_in_china() -> None:
    present = [
        Presence("VN-2", "P-2", "E", "B", None, 200, 250, "in"),
        Presence("VN-1", "P-1", "E", "A", None, 100, 300, "check"),
    ]
    roster = [
        RosterEntry("VN-1", "A", None, "E", "P-1", None, True),
        RosterEntry("VN-3", "Z", None, "E", "P-3", None, True),
        RosterEntry("VN-4", "C", None, "E", "P-4", None, True),
        RosterEntry("VN-5", "D", None, "E", "P-5", None, False),
    ]
    result = roll_call(present, roster)
    assert [p.worker_id for p in result.present] == ["VN-1", "VN-2"]
    assert [m.worker_id for m in result.missing] == ["VN-4", "VN-3"]


async def test_the_on_site_page_shows_both_lists(park: Edge, issuer: Issuer) -> None:
    await park.scan(card(issuer, "VN-A", "P-A"), "in")
    html = await (await park.client.get("/onsite?lang=vi")).text()
    assert 'Đang có mặt (<span id="on-site-count">1</span>)' in html
    assert "Worker VN-A" in html
    assert "Trần Thị B" in html  # missing: in China, not on site
    assert "Lê Văn C" not in html  # not in China
