"""Headers on every answer of the edge: a strict Content-Security-Policy (the pages load
only the edge's own script, styles and camera frames), no framing, no MIME sniffing,
no referrer beyond this edge, and ``Cache-Control: no-store`` on everything but the
static files, since pages and API answers carry workers' names and crossings."""

from __future__ import annotations

from aiohttp import web

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STATIC_PREFIX = "/static/"


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith(STATIC_PREFIX):
        response.headers["Cache-Control"] = "no-store"
