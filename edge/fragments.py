"""HTML pieces of the pages, built from views with every value escaped.

The pages render these at load, and their script refreshes them by fetching the same
pieces again (``/fragments/...``), so all HTML is made here, on the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlencode

from protocol.sites import SiteKind
from protocol.verdict import Direction

from . import i18n
from .render import Markup, element, escape, join
from .views import JSON

_UNITS = {
    "zh": ("秒", "分钟", "小时", "天"),
    "vi": (" giây", " phút", " giờ", " ngày"),
    "en": (" s", " min", " h", " d"),
}


def age_text(seconds: int, lang: str) -> str:
    sec, minute, hour, day = _UNITS.get(lang, _UNITS["en"])
    if seconds < 60:
        return f"{seconds}{sec}"
    if seconds < 3600:
        return f"{seconds // 60}{minute}"
    if seconds < 86400:
        return f"{seconds // 3600}{hour}"
    return f"{seconds // 86400}{day}"


def direction_buttons(kind: SiteKind, directions: Sequence[Direction], lang: str) -> Markup:
    return join(
        element(
            "button",
            i18n.direction_text(kind, d.value, lang),
            type="button",
            class_="direction",
            data_direction=d.value,
            aria_pressed="false",
        )
        for d in directions
    )


def language_links(current: str, path: str) -> Markup:
    links = []
    for lang in i18n.LANGUAGES:
        name = i18n.LANGUAGE_NAMES[lang]
        if lang == current:
            links.append(element("strong", name, lang=lang))
        else:
            links.append(element("a", name, href=f"{path}?{urlencode({'lang': lang})}", lang=lang))
    return join(links, " · ")


def _hub_item(hub: JSON, lang: str) -> Markup:
    if not hub["configured"]:
        return element("span", i18n.label("hub_none", lang), class_="item warn", id="st-hub")
    if hub["reachable"]:
        return element("span", i18n.label("hub_reachable", lang), class_="item ok", id="st-hub")
    return element("span", i18n.label("hub_unreachable", lang), class_="item warn", id="st-hub")


def _trust_item(trust: JSON, lang: str) -> Markup:
    if trust["age_s"] is None:
        text = i18n.label("trust_never", lang)
    else:
        text = i18n.label("trust_age", lang).format(age=age_text(trust["age_s"], lang))
    css = "item warn" if trust["stale"] else "item ok"
    return element("span", text, class_=css, id="st-trust")


def status_bar(status: JSON, lang: str) -> Markup:
    events = status["events"]
    waiting = f"{i18n.label('events_waiting', lang)}: {events['unacknowledged']}"
    items = [
        _hub_item(status["hub"], lang),
        element("span", waiting, class_="item", id="st-waiting"),
        _trust_item(status["trust"], lang),
        element("span", status["clock"]["now_local"], class_="item", id="st-clock"),
    ]
    if status["clock"]["warning"]:
        items.append(
            element("span", i18n.label("clock_warning", lang), class_="item alert", id="st-skew")
        )
    return join(items, " ")


def _person(name: object, name_zh: object) -> Markup:
    if not name_zh:
        return escape(name or "—")
    return join([escape(name or "—"), element("span", name_zh, class_="name-zh")], " ")


def scan_rows(scans: Iterable[JSON]) -> Markup:
    rows = [
        element(
            "tr",
            join(
                [
                    element("td", s["at_local"]),
                    element("td", s["direction_text"]),
                    element("td", s["verdict_text"], class_=f"v-{s['verdict']}"),
                    element("td", _person(s["name"], s["name_zh"])),
                    element("td", s["employer_name"] or s["employer_id"] or "—"),
                    element("td", "；".join(s["reason_text"])),
                ]
            ),
            data_seq=s["seq"],
        )
        for s in scans
    ]
    return join(rows)


def presence_rows(people: Iterable[JSON], lang: str) -> Markup:
    rows = [
        element(
            "tr",
            join(
                [
                    element("td", _person(p["name"], p["name_zh"])),
                    element("td", p["employer_name"] or p["employer_id"] or "—"),
                    element("td", p["since_local"]),
                    element("td", f"{p['last_scan_local']} {p['last_direction_text']}"),
                ]
            ),
            data_worker=p["worker_id"],
        )
        for p in people
    ]
    return join(rows) if rows else _nobody(4, lang)


def missing_rows(people: Iterable[JSON], lang: str) -> Markup:
    rows = [
        element(
            "tr",
            join(
                [
                    element("td", _person(p["name"], p["name_zh"])),
                    element("td", p["employer_name"] or p["employer_id"]),
                    element("td", p["end_date"] or "—"),
                ]
            ),
            data_worker=p["worker_id"],
        )
        for p in people
    ]
    return join(rows) if rows else _nobody(3, lang)


def _nobody(columns: int, lang: str) -> Markup:
    return element("tr", element("td", i18n.label("nobody", lang), colspan=columns))
