"""An edge's one-time enrolment token must survive the command line: a token starting
with ``-`` (one in 64 drawn by ``secrets.token_urlsafe``) made ``borderpass edge enrol
--token T`` refuse it as a missing value."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient
from hubkit import Hub, bearer

from borderpass.cli import build_parser
from hub import edges as hub_edges
from hub.pages.edges import enrol_command


def draws(*tokens: str) -> Iterator[str]:
    yield from tokens


async def test_a_token_that_would_read_as_an_option_is_drawn_again(
    client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = draws("-dash-first-token-aaaaaaaaaaaaaaaa", "fine-token-bbbbbbbbbbbbbbbbbbbbbbbb")
    monkeypatch.setattr(hub_edges.secrets, "token_urlsafe", lambda n: next(drawn))
    response = await client.post("/api/edges", json={"site_id": "kec-park"},
                                 headers=bearer(hub, "admin"))  # fmt: skip
    assert response.status == 201, await response.text()
    token = (await response.json())["token"]
    assert token == "fine-token-bbbbbbbbbbbbbbbbbbbbbbbb"

    command = shlex.split(enrol_command("http://127.0.0.1:8440", "kec-park", token))
    args = build_parser().parse_args(command[1:])
    assert args.token == token


def test_the_command_line_refuses_a_token_starting_with_a_dash() -> None:
    """Why the token must not start with ``-`` (argparse's rule, not ours)."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["edge", "enrol", "--data", "d", "--token", "-abc"])
