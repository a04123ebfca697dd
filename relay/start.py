"""Starting a relay process: its command line, the process settings, listening behind the
connection guard, and stopping on SIGINT or SIGTERM.

``overshoulder relay`` and ``python -m overshoulder.relay`` run ``main``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import logging
import signal
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from aiohttp import web

from overshoulder.core.durations import parse_duration
from overshoulder.core.limits import DEFAULT_LIMITS

from . import config
from .guard import ConnectionGuard, quiet_accept_errors, raise_descriptor_limit
from .janus import JanusError
from .server import Relay
from .turn import IceConfig, read_secret
from .voice import VoiceOptions
from .voice_sfu import add_arguments as add_media_arguments
from .voice_sfu import media_server_from_args
from .voicenotes import parse_size

log = logging.getLogger("overshoulder.relay")

#: How often Python may switch threads (default 5 ms): short, for the writer hand-over.
SWITCH_INTERVAL_S = 0.0005
#: The cyclic collector's thresholds (Python's default: 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overshoulder relay",
        description="Run an Overshoulder relay: JSON API, live sockets and web page on one port.",
    )
    parser.add_argument(
        "--host", default=config.DEFAULT_HOST, help="address to listen on (0.0.0.0: all)"
    )
    parser.add_argument(
        "--port", type=int, default=config.DEFAULT_PORT, help="port (0: any free one)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the event log, keys and kept frames live (default: %(default)s, "
        "else $OVERSHOULDER_DATA_DIR or ~/.local/share/overshoulder/relay)",
    )
    parser.add_argument("--public-url", help="the address reviewers use, e.g. behind a TLS proxy")
    parser.add_argument(
        "--lock", action="store_true", help="only the admin key may list and create sessions"
    )
    parser.add_argument(
        "--cert", type=Path, help="TLS certificate (PEM) to serve https/wss directly"
    )
    parser.add_argument("--key", type=Path, help="TLS private key (PEM) for --cert")
    parser.add_argument(
        "--sync",
        choices=("full", "normal"),
        default="normal",
        help="normal (default): an acknowledged event survives a killed relay, the last "
        "ones may not survive a power cut; full: an fsync before every acknowledgement",
    )
    parser.add_argument(
        "--carry-on",
        action="store_true",
        help="start even when the event log is damaged: it is kept aside, a new log is made "
        "of what can be read and what was lost is named in /api/health (without it the relay "
        "stops and says what is wrong)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_LIMITS.header_timeout_s,
        metavar="S",
        help="seconds a new connection has to send its request headers (default %(default)s)",
    )
    parser.add_argument(
        "--max-connections-per-address",
        type=int,
        default=DEFAULT_LIMITS.max_connections_per_address,
        metavar="N",
        help="open connections one client address may hold (default %(default)s; a studio's "
        "NAT is one address)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin (https://host[:port]) besides the relay's own whose pages may open "
        "its sockets; repeatable (--public-url's origin is always allowed)",
    )
    parser.add_argument(
        "--allow-embed",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin whose pages may show the reviewer page in a frame; repeatable "
        "(default: no site may frame it)",
    )
    voice = parser.add_argument_group(
        "voice", "STUN/TURN servers and the media server voice rooms use (docs/voice.md)"
    )
    voice.add_argument(
        "--stun-url",
        action="append",
        default=[],
        metavar="URL",
        help="a STUN server voice members use to find their public address "
        "(stun:host:port); repeatable",
    )
    voice.add_argument(
        "--turn-url",
        action="append",
        default=[],
        metavar="URL",
        help="a TURN server (coturn with use-auth-secret) for reviewers outside the studio "
        "network (turn:host:3478?transport=udp, turns:host:5349); repeatable; needs "
        "--turn-secret-file",
    )
    voice.add_argument(
        "--turn-secret-file",
        type=Path,
        metavar="FILE",
        help="a file holding the TURN server's static-auth-secret; the relay gives each voice "
        "member its own credential made from it",
    )
    voice.add_argument(
        "--voice-mesh-max",
        type=int,
        default=DEFAULT_LIMITS.voice_mesh_max,
        metavar="N",
        help="people in a voice room linked peer to peer (default %(default)s); beyond it "
        "voice goes through the media server, or without one the room is full",
    )
    # --media-server auto|janus|none|URL, --janus-url, --janus-secret-file, --janus-rtp-ports...
    add_media_arguments(voice)
    notes = parser.add_argument_group("voice notes", "the recordings reviewers attach to notes")
    notes.add_argument(
        "--voice-notes-max-bytes",
        type=parse_size,
        default=DEFAULT_LIMITS.max_voice_notes_bytes,
        metavar="SIZE",
        help="bytes of voice notes the relay keeps, all sessions together (4G, 512M...; "
        "default 4G); past it uploads are refused",
    )
    notes.add_argument(
        "--voice-notes-min-free",
        type=parse_size,
        default=DEFAULT_LIMITS.voice_notes_min_free_bytes,
        metavar="SIZE",
        help="free room the data dir's disk keeps (default 1G): an upload that would leave "
        "less is refused",
    )
    notes.add_argument(
        "--voice-notes-unused-after",
        type=parse_duration,
        default=DEFAULT_LIMITS.voice_note_unused_s,
        metavar="DURATION",
        help="how long an uploaded recording no note names is kept (default 1d); then it is "
        "removed, at start and at most hourly as uploads come",
    )
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # The event-log writer and the loop hand work to each other: with Python's
    # default 5 ms switch interval, a hand-over can wait that long for the GIL.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # A relay holds many long-lived small objects (notes, events): collect the
    # young generation less often, so full collections do not pause the loop.
    gc.set_threshold(*GC_THRESHOLDS)
    data_dir = args.data_dir or config.default_data_dir()
    ssl_ctx = None
    if args.cert:
        if not args.key:
            print("overshoulder relay: --cert needs --key", file=sys.stderr)
            return 2
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(args.cert, args.key)
    try:
        return asyncio.run(_serve(args, data_dir, ssl_ctx))
    except KeyboardInterrupt:
        return 0


async def _serve(
    args: argparse.Namespace, data_dir: Path, ssl_ctx: Optional[ssl.SSLContext]
) -> int:
    try:
        if not (0 < args.header_timeout <= 3600) or args.max_connections_per_address < 1:
            raise ValueError(
                "--header-timeout must be 0-3600 seconds and --max-connections-per-address "
                "at least 1"
            )
        if not 2 <= args.voice_mesh_max <= DEFAULT_LIMITS.max_connections_per_session:
            raise ValueError(
                f"--voice-mesh-max must be 2-{DEFAULT_LIMITS.max_connections_per_session}, "
                f"not {args.voice_mesh_max}"
            )
        media = media_server_from_args(args, data_dir)
        ice = IceConfig(
            stun_urls=tuple(args.stun_url),
            turn_urls=tuple(args.turn_url),
            turn_secret=read_secret(args.turn_secret_file) if args.turn_secret_file else None,
        )
        relay = Relay(
            data_dir,
            limits=dataclasses.replace(
                DEFAULT_LIMITS,
                header_timeout_s=args.header_timeout,
                max_connections_per_address=args.max_connections_per_address,
                voice_mesh_max=args.voice_mesh_max,
                max_voice_notes_bytes=args.voice_notes_max_bytes,
                voice_notes_min_free_bytes=args.voice_notes_min_free,
                voice_note_unused_s=args.voice_notes_unused_after,
            ),
            voice=VoiceOptions(
                ice=ice, media=media.bridge if media is not None else None, media_start=media
            ),
            public_url=args.public_url,
            locked=args.lock,
            synchronous=args.sync,
            carry_on=args.carry_on,
            allow_origins=args.allow_origin,
            allow_embed=args.allow_embed,
        )
    except ValueError as exc:  # an option out of range, or an --allow-* that is no origin
        print(f"overshoulder relay: {exc}", file=sys.stderr, flush=True)
        return 2
    except config.DataDirError as exc:
        print(f"overshoulder relay: {exc}", file=sys.stderr, flush=True)
        return 1
    except OSError as exc:  # e.g. the data dir is a file, or cannot be made
        where = exc.filename or data_dir
        print(
            f"overshoulder relay: cannot use the data dir {data_dir}: {where}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
            flush=True,
        )
        return 1
    if media is not None and not media.lazy:  # auto: started when a room needs it
        try:
            await media.start()
        except JanusError as exc:
            print(f"overshoulder relay: the media server: {exc}", file=sys.stderr, flush=True)
            return 1
    try:
        return await _run(args, relay, data_dir, ssl_ctx)
    finally:
        if media is not None:
            await media.stop()


async def _run(
    args: argparse.Namespace, relay: Relay, data_dir: Path, ssl_ctx: Optional[ssl.SSLContext]
) -> int:
    runner = web.AppRunner(relay.app(), access_log=None, handle_signals=False)
    await runner.setup()
    loop = asyncio.get_running_loop()
    quiet_accept_errors(loop)
    soft, _ = raise_descriptor_limit()
    # aiohttp's protocols, behind per-address limits and a header timeout (relay/guard.py).
    assert runner.server is not None
    guard = ConnectionGuard(
        runner.server,
        header_timeout_s=relay.limits.header_timeout_s,
        per_address=relay.limits.max_connections_per_address,
    )
    try:
        server = await loop.create_server(
            guard, args.host, args.port, ssl=ssl_ctx, reuse_address=True, backlog=128
        )
    except OSError as exc:
        print(
            f"overshoulder relay: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        await runner.cleanup()
        return 1
    if soft:
        log.info("open files allowed: %d", soft)
    relay.api.sweep_voice_notes()  # recordings no note named, left by an earlier run
    sockets = getattr(server, "sockets", None) or []
    port = sockets[0].getsockname()[1] if sockets else args.port
    scheme = "https" if ssl_ctx else "http"
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    url = relay.public_url or f"{scheme}://{shown}:{port}"
    print(f"overshoulder relay listening on {scheme}://{args.host}:{port}", flush=True)
    print(f"  reviewers go to: {url}", flush=True)
    print(f"  data: {data_dir} (admin key in {data_dir / 'admin.key'})", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    await stop.wait()
    log.info("shutting down")
    server.close()
    await runner.cleanup()
    await server.wait_closed()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
