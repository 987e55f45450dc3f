"""Pieces the alerts pages, the worker timeline and the dashboard share: a scan as a
table row (site, direction, verdict and reasons in words), an alert as a link and as
a table row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aiohttp import web

from hub import context
from hub.html import Markup, join, table, tag
from hub.i18n import Translator
from hub.pages import words
from hub.reconcile import EvidenceRef
from hub.store.alerts import AlertRecord
from hub.store.evidence import Scan
from protocol.sites import SiteMap

SCAN_HEADERS = ("scan.at", "scan.site", "scan.direction", "scan.verdict", "scan.reasons",
                "scan.alerts", "scan.ref")  # fmt: skip
ALERT_HEADERS = ("alert.id", "alert.kind", "alert.severity", "alert.status", "alert.certainty",
                 "alert.worker", "alert.site", "alert.at")  # fmt: skip


def site_name(sites: SiteMap, site_id: str | None, lang: str) -> str:
    found = sites.sites.get(site_id or "")
    return found.names.get(lang) if found is not None else site_id or ""


def alert_link(t: Translator, alert: AlertRecord) -> Markup:
    """The alert's kind in words, linking to its page (marked if retracted)."""
    marks = f"alert-link {alert.severity.value}" + (" retracted" if alert.retracted else "")
    return tag("a", t(f"alert.kind.{alert.kind.value}"), href=f"/alerts/{alert.alert_id}",
               class_=marks)  # fmt: skip


def severity(t: Translator, alert: AlertRecord) -> Markup:
    value = alert.severity.value
    return tag("span", t(f"severity.{value}"), class_=f"badge severity {value}")


def certainty(t: Translator, alert: AlertRecord) -> Markup:
    """Retracted, provisional (rests on an absence an unsynced edge could fill) or
    confirmed."""
    if alert.retracted:
        return tag("span", t("alert.retracted"), class_="retracted")
    if alert.provisional:
        return tag("span", t("alert.provisional"), class_="provisional")
    return tag("span", t("alert.confirmed"), class_="confirmed")


def worker_link(worker_id: str | None, name: str | None = None) -> Markup:
    """The worker (name and border pass number), linking to their timeline."""
    if worker_id is None:
        return Markup("")
    shown = f"{name} ({worker_id})" if name else worker_id
    return tag("a", shown, href=f"/workers/{worker_id}/timeline")


def alert_table(
    request: web.Request, alerts: Sequence[AlertRecord], names: Mapping[str, str] | None = None
) -> Markup:
    """The alerts as a table; ``names``: the workers' names by border pass number."""
    t, lang, sites = context.translator(request), context.lang(request), context.sites(request)
    names = names or {}
    if not alerts:
        return tag("p", t("alerts.none"))
    rows = [
        [tag("a", a.alert_id, href=f"/alerts/{a.alert_id}"), t(f"alert.kind.{a.kind.value}"),
         severity(t, a), t(f"alert.status.{a.status.value}"), certainty(t, a),
         worker_link(a.worker_id, names.get(a.worker_id or "")),
         site_name(sites, a.site, lang) or (a.edge_id or ""), words.instant(a.at_ms // 1000)]
        for a in alerts
    ]  # fmt: skip
    return table([t(h) for h in ALERT_HEADERS], rows)


def scan_anchor(scan: Scan) -> str:
    """The id of the scan's row on its worker's timeline."""
    return f"scan-{scan.edge_id}-{scan.seq}"


def scan_cells(
    request: web.Request,
    scan: Scan,
    alerts: Iterable[AlertRecord] = (),
    timeline_of: str | None = None,
) -> list[object]:
    """One scan as table cells, in the order of :data:`SCAN_HEADERS`; the instant links
    to the scan on the timeline of the worker ``timeline_of`` when given, and is that
    row's anchor otherwise."""
    t, lang = context.translator(request), context.lang(request)
    at = words.instant(scan.at_ms // 1000)
    if timeline_of is not None:
        when = tag("a", at, href=f"/workers/{timeline_of}/timeline#{scan_anchor(scan)}")
    else:
        when = tag("span", at, id=scan_anchor(scan))
    return [
        when,
        site_name(context.sites(request), scan.site, lang),
        t(f"direction.{scan.direction}"),
        tag("span", t(f"verdict.{scan.verdict}"), class_=f"verdict {scan.verdict}"),
        "；".join(t(f"reason.{r}") for r in scan.reasons),
        join((alert_link(t, a) for a in alerts), " "),
        f"{scan.edge_id} / {scan.seq}",
    ]


def caused_by(alerts: Iterable[AlertRecord]) -> dict[EvidenceRef, list[AlertRecord]]:
    """For each scan, the alerts it is evidence for."""
    found: dict[EvidenceRef, list[AlertRecord]] = {}
    for alert in alerts:
        for ref in alert.evidence:
            found.setdefault(ref, []).append(alert)
    return found


def scan_table(
    request: web.Request,
    scans: Sequence[Scan],
    caused: Mapping[EvidenceRef, list[AlertRecord]] | None = None,
    timeline_of: str | None = None,
) -> Markup:
    """The scans as a table: on a timeline (each with the alerts it ``caused``), or
    elsewhere linking each to the timeline of the worker ``timeline_of``."""
    t = context.translator(request)
    if not scans:
        return tag("p", t("timeline.none"))
    found = caused or {}
    rows = [scan_cells(request, s, found.get((s.edge_id, s.seq), []), timeline_of)
            for s in scans]  # fmt: skip
    return table([t(h) for h in SCAN_HEADERS], rows)
