"""The one error a hub rule or handler raises to refuse a request.

The error middleware turns it into ``{"error": {"reason": ..., "detail": ...}}`` with
its HTTP status for the API, and into an error page for the web pages. ``reason`` is a
stable machine-readable code (documented in the README); ``detail`` is for humans.
"""

from __future__ import annotations


class Refusal(Exception):
    def __init__(self, reason: str, detail: str = "", status: int = 400) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.status = status


def not_found(what: str) -> Refusal:
    return Refusal("not_found", f"no such {what}", status=404)
