"""Only this edge's own pages may drive it: checks against cross-site requests and DNS
rebinding, which matter most on loopback, where the API needs no token.

* **Host.** A web page on ``attacker.example`` whose name the attacker points at
  127.0.0.1 (DNS rebinding) reaches the edge as the same origin, but its requests say
  ``Host: attacker.example``. The edge answers only a Host that is an IP address (a
  rebinding needs a name), ``localhost``, the address it listens on, or a name listed
  in ``allowed_hosts``: 421 ``bad_host`` otherwise.
* **Origin.** A browser names the page that sent a cross-origin request (and every
  ``POST``) in ``Origin``; one that is not this edge's own origin is refused with 403
  ``foreign_origin``, as is ``Sec-Fetch-Site: cross-site`` or ``same-site`` on anything
  but a plain page visit. A request without those headers (curl, a scanner app) passes.
* **Content type.** ``POST /api/scan`` needs ``Content-Type: application/json`` (415
  ``unsupported_media_type``): an HTML form can only send form or text bodies, so
  without this a page anywhere could log a scan by ``<form method=post>`` alone.

The decisions are pure functions; :func:`same_origin_only` applies them to every request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp import web

from .httpio import ApiError, Handler
from .runtime import runtime_of

JSON_ONLY_PATHS = frozenset({"/api/scan"})
"""POST bodies that must be JSON (``/api/decode`` takes an image, ``/api/sync`` none)."""
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})


def host_name(host_header: str) -> str:
    """The name in a ``Host`` header, without port or IPv6 brackets, lower case."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else ""
    name, _, _ = text.partition(":")
    return name.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host_header: str | None, listen_host: str, allowed: Iterable[str]) -> bool:
    """Whether a request naming ``host_header`` was meant for this edge."""
    if not host_header:
        return False
    name = host_name(host_header)
    if not name:
        return False
    if _is_ip(name) or name == "localhost":
        return True
    return name == listen_host.lower() or name in {a.lower().rstrip(".") for a in allowed}


def origin_allowed(origin: str, host_header: str, allowed: Iterable[str]) -> bool:
    """Whether ``Origin`` names the server the request was sent to: the same authority
    as ``Host`` (scheme aside: the edge cannot tell whether a proxy added TLS), or a
    name in ``allowed_hosts`` (a proxy that rewrites ``Host``)."""
    if origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
        return False
    if parts.netloc.lower() == host_header.strip().lower():
        return True
    return host_name(parts.netloc) in {a.lower().rstrip(".") for a in allowed}


def cross_site(
    method: str, origin: str | None, fetch_site: str | None, host: str, allowed: Iterable[str]
) -> bool:
    """Whether a browser sent this request on behalf of another site's page. A plain
    page visit (a ``GET`` without ``Origin``) is welcome from a link anywhere."""
    if origin is not None and not origin_allowed(origin, host, allowed):
        return True
    if method in _SAFE_METHODS and origin is None:
        return False
    return fetch_site is not None and fetch_site not in _TRUSTED_FETCH_SITES


def needs_json(method: str, path: str, content_type: str) -> bool:
    """Whether this request is refused for want of a JSON body."""
    return method == "POST" and path in JSON_ONLY_PATHS and content_type != "application/json"


@web.middleware
async def same_origin_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    config = runtime_of(request).config
    host = request.headers.get("Host")
    if not host_allowed(host, config.host, config.allowed_hosts):
        raise ApiError(421, "bad_host", "this edge does not answer to that Host name")
    assert host is not None  # host_allowed refuses a missing Host
    origin, fetch_site = request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site")
    if cross_site(request.method, origin, fetch_site, host, config.allowed_hosts):
        raise ApiError(403, "foreign_origin", "requests from other sites' pages are refused")
    if needs_json(request.method, request.path, request.content_type):
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    return await handler(request)
