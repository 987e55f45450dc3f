"""``borderpass hub ...``: init, serve, rotate-key, export-trust, add-user, add-token,
reset-password, disable-user, enable-user, end-sessions, backup, restore.

Every subcommand takes ``--data DIR``; settings come from ``DIR/hub.toml`` and
``BORDERPASS_HUB_*`` (see :mod:`hub.config`). Secrets are printed once and never
stored: the admin token by ``init``, a new token by ``add-token``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from borderpass.clock import parse_clock
from borderpass.private import UMASK, private_dir, write_private
from borderpass.sqlite import Transaction
from hub import accounts, backup, trustlist
from hub.auth import Role
from hub.config import HubConfig, load_config, settings_table
from hub.errors import Refusal
from hub.keyring import Keyring, KeyringError
from hub.store.schema import open_database
from hub.store.trust import HubIdentity
from protocol.days import to_datetime
from protocol.keys import fingerprint

T = TypeVar("T")
MAX_TOKEN_DAYS = 3650


class CommandError(Exception):
    """A subcommand cannot do what was asked; the message says why."""


def _config(args: argparse.Namespace, **overrides: Any) -> HubConfig:
    return load_config(Path(args.data), **overrides)


def _in_transaction(config: HubConfig, job: Callable[[Transaction], T]) -> T:
    database = open_database(config.database_path, config.db_cache_mb)
    try:
        return database.write_blocking(job)
    finally:
        database.close()


def _when(seconds: int) -> str:
    return to_datetime(seconds * 1000).strftime("%Y-%m-%d %H:%M UTC")


def cmd_init(args: argparse.Namespace) -> int:
    config = _config(args)
    private_dir(config.data_dir)
    now = parse_clock(config.clock).now_ms()
    keyring = Keyring(config.keys_dir)

    def job(tx: Transaction) -> tuple[HubIdentity, trustlist.Rotation, str]:
        identity, first = trustlist.initialise(tx, keyring, now, config.issuer_key_years)
        _, token = accounts.add_token(tx, Role.ADMIN, None, "hub init", now, "cli")
        return identity, first, token

    identity, first, token = _in_transaction(config, job)
    print(f"hub initialised in {config.data_dir}")
    print(f"root key fingerprint: {fingerprint(identity.root_public_key)}")
    print(f"issuer key {first.key.key_id.hex()}: valid {_when(first.key.not_before)}"
          f" to {_when(first.key.not_after)}")  # fmt: skip
    print(f"trust list version {first.trust.version}; hub epoch {identity.epoch}")
    print("admin API token (shown once, keep it safe):")
    print(token)
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    config = _config(args)
    lead = config.key_lead_days if args.lead_days is None else args.lead_days
    now = parse_clock(config.clock).now_ms()
    keyring = Keyring(config.keys_dir)
    done = _in_transaction(
        config,
        lambda tx: trustlist.rotate(tx, keyring, now, lead, config.issuer_key_years, "cli"),
    )
    print(f"issuer key {done.key.key_id.hex()}: valid {_when(done.key.not_before)}"
          f" to {_when(done.key.not_after)}")  # fmt: skip
    print(f"trust list version {done.trust.version}")
    return 0


def cmd_export_trust(args: argparse.Namespace) -> int:
    config = _config(args)
    bundle = _in_transaction(config, lambda tx: trustlist.trust_bundle(tx.conn))
    identity, current = _in_transaction(config, lambda tx: trustlist.trusted_keys(tx.conn))
    write_private(Path(args.out), bundle)
    print(f"wrote trust list version {current.version} ({len(current.keys)} keys) to {args.out}")
    print(f"root key fingerprint: {fingerprint(identity.root_public_key)}")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise CommandError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_add_user(args: argparse.Namespace) -> int:
    config = _config(args)
    password_hash = accounts.check_password(_read_password())
    now = parse_clock(config.clock).now_ms()
    role = Role(args.role)
    _in_transaction(
        config,
        lambda tx: accounts.add_user(
            tx, args.username, password_hash, role, args.employer, now, "cli"
        ),
    )
    print(f"user {args.username} added with role {role.value}")
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    config = _config(args)
    password_hash = accounts.check_password(_read_password())
    now = parse_clock(config.clock).now_ms()
    ended = _in_transaction(
        config, lambda tx: accounts.reset_password(tx, args.username, password_hash, now, "cli")
    )
    print(f"password of {args.username} reset; {ended} session(s) ended")
    return 0


def cmd_disable_user(args: argparse.Namespace) -> int:
    config = _config(args)
    now = parse_clock(config.clock).now_ms()
    ended = _in_transaction(config, lambda tx: accounts.disable_user(tx, args.username, now, "cli"))
    print(f"user {args.username} disabled; {ended} session(s) ended")
    return 0


def cmd_enable_user(args: argparse.Namespace) -> int:
    config = _config(args)
    now = parse_clock(config.clock).now_ms()
    _in_transaction(config, lambda tx: accounts.enable_user(tx, args.username, now, "cli"))
    print(f"user {args.username} enabled (and any login lockout lifted)")
    return 0


def cmd_end_sessions(args: argparse.Namespace) -> int:
    config = _config(args)
    now = parse_clock(config.clock).now_ms()
    ended = _in_transaction(config, lambda tx: accounts.end_sessions(tx, args.username, now, "cli"))
    print(f"{ended} session(s) of {args.username} ended")
    return 0


def cmd_add_token(args: argparse.Namespace) -> int:
    config = _config(args)
    now = parse_clock(config.clock).now_ms()
    role = Role(args.role)
    if args.expires_days is not None and not 0 < args.expires_days <= MAX_TOKEN_DAYS:
        raise CommandError(f"--expires-days: above 0, at most {MAX_TOKEN_DAYS}")
    expires = None if args.expires_days is None else now + int(args.expires_days * 86_400_000)
    token_id, token = _in_transaction(
        config,
        lambda tx: accounts.add_token(tx, role, args.employer, args.label, now, "cli", expires),
    )
    until = "" if expires is None else f", expires {_when(expires // 1000)}"
    print(f"token {token_id} ({role.value}{until}), shown once:")
    print(token)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from hub.app import create_app

    config = _config(args, host=args.host, port=args.port, clock=args.clock)
    _in_transaction(config, lambda tx: trustlist.trusted_keys(tx.conn))
    clock = parse_clock(config.clock)
    print(f"hub serving on http://{config.host}:{config.port}/", flush=True)
    web.run_app(create_app(config, clock), host=config.host, port=config.port, print=None)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    config = _config(args)
    backup.backup(config.database_path, Path(args.out))
    print(f"hub database copied to {args.out} (keys are in {config.keys_dir}: back them up apart)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    config = _config(args)
    source = Path(args.source)
    if not source.exists():
        raise CommandError(f"no backup at {source}")
    epoch = backup.restore(config.database_path, source, parse_clock(config.clock).now_ms())
    print(f"hub database restored from {source}; new epoch {epoch}")
    print("edges will resend what the copy lacks and pull every dataset afresh")
    return 0


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (CommandError, KeyringError, trustlist.TrustStateError, ValueError) as exc:
            print(f"borderpass hub: {exc}", file=sys.stderr)
            return 2
        except Refusal as exc:
            print(f"borderpass hub: {exc.reason}: {exc.detail}", file=sys.stderr)
            return 2

    return run


def _subcommand(
    commands: Any, name: str, run: Callable[[argparse.Namespace], int], help_text: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text,
                                                          description=help_text)  # fmt: skip
    parser.add_argument("--data", required=True, metavar="DIR", help="the hub's data directory")
    parser.set_defaults(run=_guarded(run))
    return parser


def register(subparsers: Any) -> None:
    """Add ``hub`` and its subcommands to the ``borderpass`` program."""
    hub = subparsers.add_parser(
        "hub",
        help="the hub: issue permits, serve the API and pages",
        epilog="settings (DIR/hub.toml or environment):\n" + settings_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = hub.add_subparsers(dest="hub_command", required=True, metavar="SUBCOMMAND")
    _subcommand(commands, "init", cmd_init, "create the database and keys; print an admin token")
    serve = _subcommand(commands, "serve", cmd_serve, "run the hub's web server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8440)")
    serve.add_argument("--clock", help="clock spec (default system)")
    rotate = _subcommand(commands, "rotate-key", cmd_rotate_key, "add a new issuer key")
    rotate.add_argument("--lead-days", type=int, help="days before the new key is used")
    export = _subcommand(commands, "export-trust", cmd_export_trust, "write a trust bundle")
    export.add_argument("--out", required=True, metavar="FILE", help="bundle file to write")
    user = _subcommand(commands, "add-user", cmd_add_user, "add a web user (password on stdin)")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--employer", help="the employer id an employer user is bound to")
    copy = _subcommand(commands, "backup", cmd_backup, "copy the database (safe while serving)")
    copy.add_argument("--out", required=True, metavar="FILE", help="the copy to write")
    restore = _subcommand(
        commands, "restore", cmd_restore, "put a backup back (hub stopped); edges refill it"
    )
    restore.add_argument("--from", dest="source", required=True, metavar="FILE",
                         help="a copy made by 'hub backup'")  # fmt: skip
    token = _subcommand(commands, "add-token", cmd_add_token, "make an API token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--employer", help="the employer id an employer token is bound to")
    token.add_argument("--label", default="", help="what the token is for")
    token.add_argument(
        "--expires-days", type=float, metavar="DAYS", help="days until it stops (default: never)"
    )
    register_user_admin(commands)


def register_user_admin(commands: Any) -> None:
    """The subcommands that look after existing users (each audited as ``cli``)."""
    for name, run, help_text in (
        ("reset-password", cmd_reset_password,
         "give a user a new password (on stdin); ends their sessions"),
        ("disable-user", cmd_disable_user, "refuse a user's logins and end their sessions"),
        ("enable-user", cmd_enable_user, "let a disabled or locked-out user log in again"),
        ("end-sessions", cmd_end_sessions, "log a user out everywhere"),
    ):  # fmt: skip
        _subcommand(commands, name, run, help_text).add_argument("--username", required=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m hub.cli ...``: the hub's commands without the rest of the program."""
    parser = argparse.ArgumentParser(prog="borderpass")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    os.umask(UMASK)
    sys.exit(main())
