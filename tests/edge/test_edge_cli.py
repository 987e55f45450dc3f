"""``borderpass edge init`` and ``trust``, and the configuration they and ``serve`` read."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest
from edgekit import open_database
from factories import Issuer, make_issuer, make_trust_list

from borderpass.settings import ConfigError
from edge import store
from edge.cli import main
from edge.config import EdgeConfig, load_config
from edge.identity import IdentityError, load_edge_key, token_digest
from protocol.days import start_of_day_ms
from protocol.keys import fingerprint
from protocol.trust import encode_trust_bundle


def write_bundle(path: Path, issuer: Issuer, signed: bytes | None = None) -> Path:
    path.write_bytes(encode_trust_bundle(issuer.root_public_key, signed or issuer.signed_trust))
    return path


def init(tmp_path: Path, issuer: Issuer, *args: str) -> int:
    bundle = write_bundle(tmp_path / "trust.bundle", issuer)
    return main(["init", "--data", str(tmp_path / "edge"), "--trust", str(bundle), *args])


def test_init_makes_the_key_the_database_and_prints_fingerprint_and_token(
    tmp_path: Path, issuer: Issuer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(tmp_path, issuer, "--site", "hengjiang") == 0
    out = capsys.readouterr().out
    assert f"Root key fingerprint: {fingerprint(issuer.root_public_key)}" in out
    token = out.split("API token (shown once, keep it safe): ")[1].strip()
    key_path = tmp_path / "edge" / "edge.key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    edge_key = load_edge_key(key_path)
    assert f"Edge key fingerprint: {fingerprint(edge_key.public_key)}" in out
    db = open_database(tmp_path / "edge")
    try:
        identity = db.read_blocking(store.read_identity)
        trust = db.read_blocking(store.read_trust)
    finally:
        db.close()
    assert identity is not None and trust is not None
    assert identity.site_id == "hengjiang"
    assert identity.root_public_key == issuer.root_public_key
    assert identity.token_digest == token_digest(token)
    assert token not in (tmp_path / "edge" / "edge.db").read_bytes().decode("latin-1")
    assert trust.signed == issuer.signed_trust


@pytest.mark.parametrize(
    ("site", "bundle", "message"),
    [
        ("nowhere", None, "unknown site 'nowhere'"),
        ("dongxing-port", b"\x93not a bundle", "not a valid trust bundle"),
    ],
)
def test_init_refuses_a_bad_site_or_bundle(
    tmp_path: Path,
    issuer: Issuer,
    capsys: pytest.CaptureFixture[str],
    site: str,
    bundle: bytes | None,
    message: str,
) -> None:
    path = write_bundle(tmp_path / "b", issuer)
    if bundle is not None:
        path.write_bytes(bundle)
    code = main(["init", "--data", str(tmp_path / "e"), "--site", site, "--trust", str(path)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


def test_init_refuses_a_bundle_whose_list_the_root_did_not_sign(
    tmp_path: Path, issuer: Issuer, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = write_bundle(tmp_path / "b", issuer, make_issuer("mallory").signed_trust)
    code = main(
        ["init", "--data", str(tmp_path / "e"), "--site", "kec-park", "--trust", str(forged)]
    )
    assert code == 2
    assert "bad_signature" in capsys.readouterr().err


def test_init_never_overwrites_an_edge(
    tmp_path: Path, issuer: Issuer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(tmp_path, issuer, "--site", "kec-park") == 0
    key = (tmp_path / "edge" / "edge.key").read_bytes()
    assert init(tmp_path, issuer, "--site", "kec-park") == 2
    assert "already holds an edge" in capsys.readouterr().err
    assert (tmp_path / "edge" / "edge.key").read_bytes() == key


def test_trust_adopts_a_newer_list_from_the_pinned_root_only(
    tmp_path: Path, issuer: Issuer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(tmp_path, issuer, "--site", "kec-park") == 0
    data = str(tmp_path / "edge")
    _, v3 = make_trust_list(issuer.root, issuer.issuer_key, version=3)
    newer = write_bundle(tmp_path / "v3", issuer, v3)
    assert main(["trust", "--data", data, "--trust", str(newer)]) == 0
    assert "version 3 adopted" in capsys.readouterr().out
    older = write_bundle(tmp_path / "v1", issuer)
    assert main(["trust", "--data", data, "--trust", str(older)]) == 2
    assert "older_version" in capsys.readouterr().err
    stranger = write_bundle(tmp_path / "x", make_issuer("stranger", version=9))
    assert main(["trust", "--data", data, "--trust", str(stranger)]) == 2
    assert "not the one this edge pinned" in capsys.readouterr().err


def test_a_key_file_others_can_read_is_refused(tmp_path: Path, issuer: Issuer) -> None:
    assert init(tmp_path, issuer, "--site", "kec-park") == 0
    key_path = tmp_path / "edge" / "edge.key"
    key_path.chmod(0o644)
    with pytest.raises(IdentityError, match="owner only"):
        load_edge_key(key_path)


def test_serve_refuses_an_uninitialised_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--data", str(tmp_path), "--port", "0"]) == 2
    assert "no edge key" in capsys.readouterr().err


def test_config_layers_defaults_file_environment_and_flags(tmp_path: Path) -> None:
    (tmp_path / "edge.toml").write_text('port = 9001\noperator = "gate-3"\nhost = "0.0.0.0"\n')
    env = {
        "BORDERPASS_EDGE_PORT": "9002",
        "BORDERPASS_CLOCK": "accelerated:start=2026-11-02T00:00:00Z,speed=60",
    }
    config = load_config(tmp_path, env=env, host="127.0.0.1")
    assert (config.port, config.operator, config.host) == (9002, "gate-3", "127.0.0.1")
    assert config.clock.startswith("accelerated:")
    assert config.loopback_only
    assert config.data_dir == tmp_path and config.database_path == tmp_path / "edge.db"
    own = load_config(tmp_path, env={**env, "BORDERPASS_EDGE_CLOCK": "system"})
    assert own.clock == "system" and not own.loopback_only


@pytest.mark.parametrize(
    "bad",
    [{"port": 70000}, {"default_language": "fr"}, {"max_body_bytes": 0}, {"operator": ""}],
)
def test_config_refuses_impossible_values(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        EdgeConfig(**bad)  # type: ignore[arg-type]


def test_an_unknown_setting_in_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "edge.toml").write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown settings"):
        load_config(tmp_path, env={})


def test_init_reads_the_clock_it_is_given(tmp_path: Path, issuer: Issuer) -> None:
    clock = "accelerated:start=2026-11-02T00:00:00Z,speed=1"
    assert init(tmp_path, issuer, "--site", "kec-park", "--clock", clock) == 0
    db = open_database(tmp_path / "edge")
    try:
        trust = db.read_blocking(store.read_trust)
    finally:
        db.close()
    assert trust is not None
    start = start_of_day_ms(date(2026, 11, 2)) + 8 * 3600_000  # midnight UTC
    assert start <= trust.refreshed_ms < start + 3600_000
