"""The server-rendered pages: Chinese by default, a language switch remembered in a
cookie, every value escaped, and the words table complete."""

from __future__ import annotations

import json
import re

import pytest
from edgekit import Edge, StartEdge
from factories import NOW_MS, Issuer, make_worker

from borderpass.sqlite import Transaction
from edge import i18n, reference, store
from edge.records import Employer, SyncKey
from edge.render import Markup, element, render, script_json
from edge.state import EdgeState
from protocol.reasons import Reason
from protocol.sites import SiteKind
from protocol.verdict import Direction, Outcome

HOSTILE = '<img src=x onerror="alert(1)">'


async def page(edge: Edge, path: str) -> str:
    response = await edge.client.get(path)
    assert response.status == 200
    assert response.content_type == "text/html"
    return await response.text()


def page_data(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


async def test_the_scan_page_is_chinese_by_default(edge: Edge) -> None:
    html = await page(edge, "/")
    assert '<html lang="zh-Hans">' in html
    assert "请扫描通行证二维码" in html and "东兴口岸" in html
    assert 'id="qr-input"' in html and "autofocus" in html
    for word in ("入境", "出境", "核查"):
        assert f'data-direction="{word}"' not in html and word in html
    assert "未配置中心（独立运行）" in html  # status bar: standalone
    data = page_data(html)
    assert data["page"] == "scan" and data["lang"] == "zh"


async def test_a_language_chosen_once_is_remembered(edge: Edge) -> None:
    response = await edge.client.get("/?lang=vi")
    assert "Hãy quét mã QR của giấy phép" in await response.text()
    assert "lang=vi" in response.headers["Set-Cookie"]
    html = await page(edge, "/")  # the client keeps the cookie
    assert "Hãy quét mã QR của giấy phép" in html and '<html lang="vi">' in html
    assert "Please" not in html
    english = await page(edge, "/?lang=en")
    assert "Scan the permit's QR code" in english or "Scan the permit&#x27;s QR code" in english


async def test_every_value_on_the_page_is_escaped(start_edge: StartEdge, issuer: Issuer) -> None:
    park = await start_edge("jiangping-park")
    services = park.services

    def hostile_employer(tx: Transaction, state: EdgeState = services.state) -> None:
        reference.apply_employers(tx, state, [Employer("EMP-JP-001", HOSTILE)])

    await services.db.write(hostile_employer)
    worker = make_worker(name=HOSTILE, name_zh="</script><script>alert(2)</script>")
    result = await park.scan(issuer.sign(issuer.permit(worker=worker)), "in")
    assert result["permit"]["name"] == HOSTILE  # the API returns data, the page escapes it
    for path in ("/", "/onsite", "/fragments/scans"):
        html = await page(park, path)
        assert "<img src=x" not in html and "<script>alert" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    fragments = await (await park.client.get("/fragments/onsite")).json()
    assert "<img" not in fragments["on_site"] and "&lt;img" in fragments["on_site"]


def test_script_json_cannot_close_its_script_element() -> None:
    text = script_json({"a": "</script><b>&\u2028"})
    assert "</script>" not in text and "<" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><b>&\u2028"}


def test_render_escapes_unless_the_value_is_markup() -> None:
    html = render("login.html", lang_tag="en", title="<t>", error=Markup("<b>e</b>"),
                  next='"/x"', token_label="T", sign_in="S", languages="")  # fmt: skip
    assert "<title>&lt;t&gt;</title>" in html and "<b>e</b>" in html
    assert 'value="&quot;/x&quot;"' in html
    assert element("a", "<x>", href='"q"') == '<a href="&quot;q&quot;">&lt;x&gt;</a>'


async def test_the_status_fragment_shows_trust_age_and_waiting_events(
    edge: Edge, issuer: Issuer
) -> None:
    await edge.scan(issuer.issue(), "in")
    edge.clock.advance(2 * 3600_000)
    html = await page(edge, "/fragments/status?lang=en")
    assert "Events waiting: 1" in html
    assert "Trust data: updated 2 h ago" in html
    edge.clock.advance(23 * 3600_000)
    stale = await page(edge, "/fragments/status?lang=en")
    assert 'class="item warn" id="st-trust"' in stale


async def test_the_on_site_page_is_only_for_parks(edge: Edge) -> None:
    assert (await edge.client.get("/onsite")).status == 404
    assert 'href="/onsite"' not in await page(edge, "/")


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_reason_label_verdict_and_direction_has_words(lang: str) -> None:
    for reason in Reason:
        assert i18n.reason_text(reason.value, lang) != reason.value
    for outcome in Outcome:
        assert i18n.verdict_text(outcome.value, lang)
    for kind in SiteKind:
        for direction in Direction:
            assert i18n.direction_text(kind, direction.value, lang)
    for key, table in i18n.LABELS.items():
        assert table.get(lang), f"label {key} has no {lang}"
    assert set(i18n.REASONS) == set(Reason)
    for table in (*i18n.REASONS.values(), *i18n.VERDICTS.values(), *i18n.DIRECTIONS.values()):
        assert set(table) == set(i18n.LANGUAGES)


def test_an_unknown_reason_from_a_newer_peer_is_shown_as_its_code() -> None:
    assert i18n.reason_text("some_future_reason", "zh") == "some_future_reason"
    assert i18n.pick_language("fr", None, "vi") == "vi"
    assert i18n.pick_language(None, None, default="en") == "en"


async def test_status_of_a_standalone_edge(edge: Edge) -> None:
    status = await (await edge.client.get("/api/status")).json()
    assert status["site"] == {"site_id": "dongxing-port", "kind": "border_gate", "name": "东兴口岸"}
    assert status["edge_id"] is None
    assert status["edge_key_fingerprint"] == edge.provisioned.edge_fingerprint
    assert status["hub"]["configured"] is False and status["hub"]["reachable"] is False
    assert status["hub"]["synced"] is False and status["hub"]["last_push"] is None
    assert status["trust"]["version"] == 1 and status["trust"]["age_s"] == 0
    assert status["clock"] == {
        "now": NOW_MS,
        "now_local": "2026-11-02 12:00:00",
        "offset_ms": None,
        "warning": False,
    }


async def test_status_shows_what_the_sync_client_recorded(edge: Edge, issuer: Issuer) -> None:
    for _ in range(3):
        await edge.scan(issuer.issue(), "check")
    values = {
        SyncKey.HUB_URL: "http://hub.example:8440",
        SyncKey.EDGE_ID: "edge-7",
        SyncKey.ACKNOWLEDGED_SEQ: 1,
        SyncKey.LAST_PUSH_MS: NOW_MS - 5000,
        SyncKey.LAST_PULL_MS: NOW_MS - 4000,
        SyncKey.HUB_REACHABLE: True,
        SyncKey.CLOCK_OFFSET_MS: -300_000,
    }
    await edge.services.db.write(lambda tx: store.write_sync_state(tx.conn, values))
    status = await (await edge.client.get("/api/status")).json()
    assert status["edge_id"] == "edge-7"
    assert status["hub"]["reachable"] is True and status["hub"]["synced"] is True
    assert status["hub"]["last_pull"] == NOW_MS - 4000
    assert status["events"]["unacknowledged"] == 2
    assert status["clock"]["offset_ms"] == -300_000 and status["clock"]["warning"] is True
    bar = await page(edge, "/fragments/status?lang=en")
    assert "Hub reachable" in bar and "Events waiting: 2" in bar
    assert "This clock is far off the hub&#x27;s" in bar
