"""The ``overshoulder`` command: run a relay, list its sessions, make invite links, share media."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from overshoulder import __version__
from overshoulder.core import links, relay_api
from overshoulder.core.durations import DurationError, format_duration, parse_duration
from overshoulder.core.settings import DEFAULT_RELAY
from overshoulder.relay import config as relay_config

PROG = "overshoulder"
ROLES = ("host", "reviewer", "viewer")


class CliError(Exception):
    """A failure the user can act on: printed as one line, exit status 1."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "relay":
        return _run_relay(args[1:])
    if args and args[0] == "demo":
        return _run_demo(args[1:])
    if args and args[0] == "share":
        return _run_share(args[1:])
    if args and args[0] == "install":
        return _run_install(args[1:])
    parser = build_parser()
    ns = parser.parse_args(args)
    if not getattr(ns, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(ns.handler(ns))
    except relay_api.RelayError as exc:
        return _failed(ns.command, relay_failed(exc, getattr(ns, "session", None)))
    except CliError as exc:
        return _failed(ns.command, exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (| head): quiet, and no second error when Python flushes.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _failed(command: str, exc: CliError) -> int:
    print(f"{PROG} {command}: {exc}", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Over-the-shoulder review at a distance: the relay and its tools.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser(
        "relay",
        help="run a relay (options: overshoulder relay --help)",
        add_help=False,
    )
    sub.add_parser(
        "demo", help="start a relay and play a sample shot into a demo session", add_help=False
    )
    sub.add_parser(
        "share",
        help="share an image sequence or OTIO timeline from disk (overshoulder share --help)",
        add_help=False,
    )

    sub.add_parser(
        "install",
        help="make Nuke load Overshoulder, or take it out (overshoulder install nuke --help)",
        add_help=False,
    )

    relay_help = f"the relay's address (default: $OVERSHOULDER_RELAY or {DEFAULT_RELAY})"

    sessions = sub.add_parser("sessions", help="list the relay's sessions")
    sessions.add_argument("--relay", metavar="URL", help=relay_help)
    sessions.add_argument("--all", action="store_true", help="include closed sessions")
    sessions.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sessions.set_defaults(handler=cmd_sessions)

    invite = sub.add_parser(
        "invite",
        help="make an invite link for a session",
        description="Make a signed, expiring invite link for a role in a session.",
    )
    invite.add_argument("session", metavar="SESSION", help="the session id (see: sessions)")
    invite.add_argument("--role", required=True, choices=ROLES, help="what the link allows")
    invite.add_argument(
        "--expires",
        required=True,
        metavar="DURATION",
        help="lifetime, e.g. 90s, 30m, 8h, 2d, 1h30m",
    )
    invite.add_argument("--name", help="the display name of the person invited")
    invite.add_argument(
        "--seats",
        type=int,
        metavar="N",
        help="how many people may use the link at once (default: the relay's, 4)",
    )
    invite.add_argument("--relay", metavar="URL", help=relay_help)
    invite.add_argument(
        "--key",
        help="the relay's admin key or the session's host token "
        "(default: $OVERSHOULDER_ADMIN_KEY, else admin.key in the data dir)",
    )
    invite.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="the relay's data dir, to read admin.key from "
        "(default: $OVERSHOULDER_DATA_DIR or ~/.local/share/overshoulder/relay)",
    )
    invite.add_argument("--json", action="store_true", help="print the relay's answer as JSON")
    invite.set_defaults(handler=cmd_invite)
    return parser


# --- commands ----------------------------------------------------------------------------------


def cmd_sessions(ns: argparse.Namespace) -> int:
    base = relay_base(ns.relay)
    found = relay_api.session_list(base, include_closed=ns.all)
    if ns.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    if not found:
        print(f"No {'' if ns.all else 'open '}sessions on {base}.")
        return 0
    print(format_sessions(found))
    return 0


def cmd_invite(ns: argparse.Namespace) -> int:
    try:
        seconds = parse_duration(ns.expires)
    except DurationError as exc:
        raise CliError(f"--expires: {exc}") from None
    base = relay_base(ns.relay)
    key = admin_key(ns.key, ns.data_dir)
    expires = format_duration(seconds)
    body = relay_api.invite(base, ns.session, key, ns.role, expires, name=ns.name, seats=ns.seats)
    link = body["link"]
    if ns.json:
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return 0
    print(link)
    expires_at = body.get("expires_at")
    when = (
        dt.datetime.fromtimestamp(expires_at).strftime("%Y-%m-%d %H:%M")
        if isinstance(expires_at, (int, float))
        else f"in {format_duration(seconds)}"
    )
    who = f" for {ns.name}" if ns.name else ""
    print(f"{ns.role} link{who} to session {ns.session}, valid until {when}", file=sys.stderr)
    return 0


# --- helpers -------------------------------------------------------------------------------------


def relay_base(given: Optional[str]) -> str:
    """The relay's base URL: --relay, else $OVERSHOULDER_RELAY, else the local default."""
    try:
        return links.normalise_relay(given or os.environ.get("OVERSHOULDER_RELAY") or DEFAULT_RELAY)
    except links.LinkError as exc:
        raise CliError(str(exc)) from None


def admin_key(given: Optional[str], data_dir: Optional[Path]) -> str:
    """--key, else $OVERSHOULDER_ADMIN_KEY, else admin.key in the relay's data dir."""
    if given:
        return given.strip()
    env = os.environ.get("OVERSHOULDER_ADMIN_KEY", "").strip()
    if env:
        return env
    folder = Path(data_dir).expanduser() if data_dir else relay_config.default_data_dir()
    try:
        key = relay_config.read_admin_key(folder)
    except relay_config.DataDirError as exc:
        raise CliError(str(exc)) from None
    if key:
        return key
    raise CliError(
        f"no admin key: pass --key, set OVERSHOULDER_ADMIN_KEY, or point --data-dir at the "
        f"relay's data dir (looked for {folder / 'admin.key'})"
    )


def relay_failed(exc: relay_api.RelayError, session: Optional[str] = None) -> CliError:
    """The relay's failure as a ``CliError``, with what to do on the command line."""
    hint = ""
    if isinstance(exc, relay_api.RelayUnreachable):
        hint = " (set --relay or OVERSHOULDER_RELAY)"
    elif isinstance(exc, relay_api.RelayRefused) and exc.status == 401:
        hint = "; check the admin key (--key, OVERSHOULDER_ADMIN_KEY or --data-dir)"
    elif isinstance(exc, relay_api.RelayRefused) and exc.status == 404 and session is not None:
        hint = f"; list the sessions with: {PROG} sessions --relay {exc.relay}"
    return CliError(f"{exc}{hint}")


def format_sessions(sessions: list[Any]) -> str:
    """The session list as an aligned table."""
    rows = [("ID", "NAME", "HOST", "PEOPLE", "CREATED", "STATE")]
    for item in sessions:
        if not isinstance(item, dict):
            continue
        created = item.get("created")
        rows.append(
            (
                str(item.get("id", "?")),
                str(item.get("name", "")),
                str(item.get("host_name") or "-"),
                str(item.get("participants", 0)),
                dt.datetime.fromtimestamp(created).strftime("%Y-%m-%d %H:%M")
                if isinstance(created, (int, float))
                else "-",
                "closed" if item.get("closed") else "open",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    )


def _delegate(command: str, module: str, extra: str, rest: list[str]) -> int:
    """Run ``module.main(rest)``; say which install is missing if it cannot be imported."""
    try:
        main = importlib.import_module(module).main
    except ModuleNotFoundError as exc:
        hint = f"; install it with: pip install 'overshoulder[{extra}]'" if extra else ""
        print(
            f"{PROG} {command}: cannot start, {exc.name or exc} is missing{hint}", file=sys.stderr
        )
        return 1
    return int(main(rest) or 0)


def _run_relay(rest: list[str]) -> int:
    return _delegate("relay", "overshoulder.relay.start", "relay", rest)


def _run_demo(rest: list[str]) -> int:
    return _delegate("demo", "overshoulder.demo", "", rest)


def _run_share(rest: list[str]) -> int:
    return _delegate("share", "overshoulder.plugins.player.cli", "player", rest)


def _run_install(rest: list[str]) -> int:
    return _delegate("install", "overshoulder.install.cli", "", rest)
