"""``overshoulder demo``: a relay, a session, a sample shot playing into it, and the links to open.

What it does, in order:

1. starts the relay (``python -m overshoulder.relay``) on ``--port`` (or a free
   port) with its store in ``--data-dir``; the relay's own lines go to
   ``<data-dir>/relay.log``;
2. renders the sample sequence once into ``<data-dir>/sample/shot.####.exr``
   (48 frames, 1920x1080, half-float scene-linear Rec.709 EXR:
   ``overshoulder.sample``); complete files are kept, so later
   starts skip this;
3. creates a session and shares the sequence into it with ``overshoulder share
   --session ID`` as a child process, the host token in its environment
   (``OVERSHOULDER_TOKEN``: the command line is visible to every user of the
   machine, the environment only to the same user); its lines go to
   ``<data-dir>/share.log``; it waits until the player has joined;
4. prints a reviewer link and a viewer link (8 h each), the command that makes
   more (``overshoulder invite`` with the data dir, which holds the admin key),
   last, and waits.

A child that stops by itself is started again: the relay on the same port and
data dir (the player reconnects by itself, resumes and shares on as host), the
player with the same session and token. Only a child that keeps stopping
(``MAX_RESTARTS`` times within ``RESTART_WINDOW_S``) ends the demo, with exit
status 1. Ctrl-C or SIGTERM stops the player, then the relay, and exits 0; a demo
killed outright (kill -9) takes them with it on Linux (each child's death signal).
Without OpenImageIO (``overshoulder[player]``) it runs the relay and the
session only and prints the host link instead of playing the sample.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any, Callable, Optional, TypeVar

from overshoulder.core import relay_api
from overshoulder.relay import config

#: How long each invite link printed stays valid.
LINK_EXPIRES = "8h"
#: Seconds to wait for the relay to listen, and for the player to join the session.
START_TIMEOUT_S = 30.0
#: Seconds each child gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT_S = 15.0
#: A child that stops by itself this many times within RESTART_WINDOW_S ends the demo.
MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
#: Where the player finds the host token (never on its command line: ``ps`` shows that).
TOKEN_ENV = "OVERSHOULDER_TOKEN"

Line = Callable[[str], None]
T = TypeVar("T")


class DemoError(Exception):
    """Something stopped the demo from starting: printed as one line, exit status 1."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.frames <= 999:
        parser.error(f"--frames {args.frames}: give 1-999")
    if not all(16 <= side <= 8192 for side in args.size):
        parser.error("--size: each side must be 16-8192 pixels")
    stop = threading.Event()
    restore = _handle_signals(stop)
    demo = Demo(args, stop)
    try:
        return demo.run()
    except DemoError as exc:
        print(f"overshoulder demo: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        demo.shutdown()
        restore()
        if stop.is_set():
            print("Stopped.", flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overshoulder demo",
        description="Start a relay, render a sample EXR sequence once, share it into a new "
        "session and print the links to open.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("demo-data"),
        help="the relay's data, the sample and the logs (default: %(default)s)",
    )
    parser.add_argument("--port", type=int, default=config.DEFAULT_PORT, help="relay port")
    parser.add_argument("--host", default="127.0.0.1", help="address the relay listens on")
    parser.add_argument(
        "--frames", type=int, default=48, help="length of the sample sequence (default: 48)"
    )
    parser.add_argument(
        "--size",
        type=_size,
        default=(1920, 1080),
        metavar="WxH",
        help="size of the sample frames (default: 1920x1080)",
    )
    return parser


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1920x1080")
    return int(match.group(1)), int(match.group(2))


class Demo:
    """One run: the children it started, the session, and what it prints."""

    def __init__(self, args: argparse.Namespace, stop: threading.Event) -> None:
        self.args = args
        self.stop = stop
        self.data_dir: Path = args.data_dir.resolve()
        self.relay_log = self.data_dir / "relay.log"
        self.share_log = self.data_dir / "share.log"
        self.relay: Optional[subprocess.Popen[str]] = None
        self.share: Optional[subprocess.Popen[str]] = None
        self._relay_lines: queue.Queue[str] = queue.Queue()
        self._port: Optional[int] = None
        self._share_args: Optional[tuple[str, str, str, Path]] = None
        self._stops: dict[str, deque[float]] = {
            "relay": deque(maxlen=MAX_RESTARTS),
            "player": deque(maxlen=MAX_RESTARTS),
        }
        self._pipes: list[threading.Thread] = []

    # --- the run -------------------------------------------------------------------------------

    def run(self) -> int:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.relay = self._start_relay()
        sample = self._sample()
        if self.stop.is_set():
            return 0
        base = self._wait_listening()
        if base is None:
            return 0
        sid, host_token, host_link = self._session(base)
        reviewer = self._invite(base, sid, "reviewer")
        viewer = self._invite(base, sid, "viewer")
        if sample is not None:
            self._share_args = (base, sid, host_token, sample.pattern)
            self.share = self._start_share(*self._share_args)
            if not self._wait_joined(base, sid):
                return 0
        self._print_links(base, sid, sample, reviewer, viewer, host_link)
        while not self.stop.wait(0.5):
            if self.relay is not None and self.relay.poll() is not None:
                self._restart_relay(self.relay.returncode)
            if self.share is not None and self.share.poll() is not None:
                self._restart_share(self.share.returncode)
        return 0

    def shutdown(self) -> None:
        """Stop the player, then the relay (SIGTERM, then SIGKILL after a while)."""
        for child in (self.share, self.relay):
            if child is None or child.poll() is not None:
                continue
            child.terminate()
            try:
                child.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(STOP_TIMEOUT_S)
        for pipe in self._pipes:
            pipe.join(timeout=2)

    # --- children that stop by themselves --------------------------------------------------

    def _stopped_by_itself(self, name: str, status: int, log: Path) -> None:
        """Count a stop; DemoError when the child keeps stopping (starting it again is no use)."""
        now = time.monotonic()
        stops = self._stops[name]
        stops.append(now)
        how = _exit_status(status)
        if len(stops) == MAX_RESTARTS and now - stops[0] < RESTART_WINDOW_S:
            raise DemoError(
                f"the {name} stopped by itself {MAX_RESTARTS} times within "
                f"{RESTART_WINDOW_S:.0f} s (the last time {how}); its log: {log}{_tail(log, 1)}"
            )
        print(
            f"  {name}: stopped by itself ({how}); starting it again (its log: {log})", flush=True
        )

    def _restart_relay(self, status: int) -> None:
        """The relay again, on the same port and data dir: links and the player's address hold,
        the log and the keys are the same, and every client reconnects and resumes by itself."""
        self._stopped_by_itself("relay", status, self.relay_log)
        self.relay = self._start_relay()
        try:
            base = self._wait_listening()
        except DemoError:
            print(f"  relay: did not start again{_tail(self.relay_log, 1)}", flush=True)
            if self.relay.poll() is None:  # alive but not answering: stop it, to count it
                self.relay.kill()
                self.relay.wait(STOP_TIMEOUT_S)
            return  # the next round of the loop sees it stopped and counts it
        if base is not None:
            print(
                f"  relay: back at {base}; the player and the reviewers reconnect by themselves",
                flush=True,
            )

    def _restart_share(self, status: int) -> None:
        assert self._share_args is not None
        self._stopped_by_itself("player", status, self.share_log)
        self.share = self._start_share(*self._share_args)

    # --- the relay -------------------------------------------------------------------------------

    def _start_relay(self) -> subprocess.Popen[str]:
        """Start the relay: on ``--port`` (or a free one) the first time, then on that port."""
        if self._port is None:
            self._port = _free_port(self.args.host, self.args.port)
        self._relay_lines = queue.Queue()
        log = open(self.relay_log, "a", encoding="utf-8")  # noqa: SIM115 - the child writes it
        try:
            relay = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "overshoulder.relay",
                    "--host",
                    self.args.host,
                    "--port",
                    str(self._port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                preexec_fn=_die_with_demo,
                text=True,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )
        finally:
            log.close()
        assert relay.stdout is not None
        self._pipe(relay.stdout, self.relay_log, self._relay_lines.put)
        return relay

    def _wait_listening(self) -> Optional[str]:
        """The relay's base URL once it answers (None: stopped meanwhile)."""
        assert self.relay is not None
        lines = self._relay_lines
        deadline = time.monotonic() + START_TIMEOUT_S
        port = None
        while port is None:
            if self.stop.is_set():
                return None
            if self.relay.poll() is not None or time.monotonic() > deadline:
                raise DemoError(
                    f"the relay did not start; its log: {self.relay_log}{_tail(self.relay_log)}"
                )
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            match = re.search(r"listening on https?://\S+:(\d+)", line)
            if match:
                port = int(match.group(1))
        host = "127.0.0.1" if self.args.host in ("0.0.0.0", "::", "") else self.args.host
        base = f"http://{host}:{port}"
        while not self.stop.is_set():
            if relay_api.health(base):
                return base
            if time.monotonic() > deadline:
                raise DemoError(f"the relay at {base} does not answer; its log: {self.relay_log}")
            time.sleep(0.1)
        return None

    def _session(self, base: str) -> tuple[str, str, str]:
        made = _api(lambda: relay_api.create_session(base, "Demo review", "Demo player"))
        return made.session.id, made.host_token, str(made.host_link)

    def _invite(self, base: str, sid: str, role: str) -> str:
        key = config.read_admin_key(self.data_dir)
        if not key:
            raise DemoError(f"no admin key in {self.data_dir}: is it the relay's data dir?")
        return _api(lambda: relay_api.make_invite(base, sid, key, role, LINK_EXPIRES)).link

    # --- the sample and the player ---------------------------------------------------------------

    def _sample(self) -> Any:
        """The rendered sample (None without OpenImageIO: the demo runs without a player)."""
        try:
            from overshoulder import sample
        except ModuleNotFoundError as exc:
            print(
                f"No sample playback: {exc.name or exc} is missing "
                "(pip install 'overshoulder[player]'); starting the relay and a session only.",
                flush=True,
            )
            return None
        folder = self.data_dir / "sample"
        width, height = self.args.size
        tty = sys.stdout.isatty()
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            if self.stop.is_set():
                raise KeyboardInterrupt
            if done == 0:
                print(
                    f"Rendering the sample sequence into {folder} "
                    f"({total} frames, {width}x{height} half-float EXR) ...",
                    flush=True,
                )
            elif tty:
                print(f"\r  {done}/{total} frames", end="", flush=True)

        made = sample.ensure_sample(
            folder, frames=self.args.frames, size=(width, height), progress=progress
        )
        if made.rendered:
            print(
                f"{chr(13) if tty else ''}  rendered {made.rendered} frames "
                f"in {time.monotonic() - started:.1f} s",
                flush=True,
            )
        return made

    def _start_share(self, base: str, sid: str, token: str, pattern: Path) -> subprocess.Popen[str]:
        share = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "overshoulder",
                "share",
                str(pattern),
                "--relay",
                base,
                "--session",
                sid,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_demo,
            text=True,
            # The token in the environment: /proc/PID/environ is the same user's alone.
            env=dict(os.environ, PYTHONUNBUFFERED="1", **{TOKEN_ENV: token}),
        )
        assert share.stdout is not None
        self._pipe(share.stdout, self.share_log, self._echo_player_line)
        return share

    def _wait_joined(self, base: str, sid: str) -> bool:
        """Wait until the player is in the session (False: stopped meanwhile)."""
        assert self.share is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.stop.is_set():
            if self.share.poll() is not None:
                raise DemoError(
                    f"the player stopped (exit status {self.share.returncode}); "
                    f"its log: {self.share_log}{_tail(self.share_log)}"
                )
            try:
                if any(s.id == sid and s.participants >= 1 for s in relay_api.list_sessions(base)):
                    return True
            except relay_api.RelayError:
                pass
            if time.monotonic() > deadline:
                raise DemoError(f"the player did not join the session; its log: {self.share_log}")
            time.sleep(0.2)
        return False

    def _print_links(
        self,
        base: str,
        sid: str,
        sample: Any,
        reviewer: str,
        viewer: str,
        host_link: str,
    ) -> None:
        lines = ["", f"Overshoulder relay at {base} (data and logs in {self.data_dir})"]
        if sample is not None:
            lines.append(
                f"Playing {sample.pattern} ({sample.frames} frames, "
                f"{sample.width}x{sample.height}, {sample.fps} fps) into session {sid!r}"
            )
        else:
            lines.append(f"Session {sid!r}; host link: {host_link}")
        lines += [
            f"Logs: relay {self.relay_log}, player {self.share_log}",
            "",
            "Open in a browser:",
            f"  reviewer link ({LINK_EXPIRES}, draws and drives): {reviewer}",
            f"  viewer link   ({LINK_EXPIRES}, watches):          {viewer}",
            "",
            "More links (the data dir holds the relay's admin key; --role host, reviewer or "
            "viewer):",
            f"  {invite_command(base, sid, self.data_dir)}",
            "",
            "If the relay stops, it is started again; the player and the pages reconnect.",
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), flush=True)

    # --- pieces --------------------------------------------------------------------------------

    def _echo_player_line(self, line: str) -> None:
        """The player's lines a person at the demo wants to see; the rest stay in its log."""
        if self.stop.is_set():
            return  # stopping: the relay may go first; "connection lost" is no news then
        text = line.strip()
        if "drives the playhead now" in text:
            print(f"  {text.split(' (press', 1)[0]}", flush=True)
        elif text.startswith(
            ("Connection to the relay lost", "In sync with the relay again", "overshoulder share:")
        ):
            print(f"  player: {text}", flush=True)

    def _pipe(self, stream: IO[str], log_path: Path, on_line: Optional[Line]) -> None:
        thread = threading.Thread(
            target=_copy_lines, args=(stream, log_path, on_line), name="demo-log", daemon=True
        )
        thread.start()
        self._pipes.append(thread)


def _copy_lines(stream: IO[str], log_path: Path, on_line: Optional[Line]) -> None:
    """A child's output, line by line, into its log file (and to ``on_line``)."""
    with open(log_path, "a", encoding="utf-8") as log, stream:
        for line in stream:
            log.write(line)
            log.flush()
            if on_line is not None:
                on_line(line)


def invite_command(base: str, sid: str, data_dir: Path) -> str:
    """The command line that makes another invite link for ``sid`` (admin key from the dir)."""
    return shlex.join(
        [
            *_overshoulder_command(),
            "invite",
            sid,
            "--role",
            "reviewer",
            "--expires",
            LINK_EXPIRES,
            "--relay",
            base,
            "--data-dir",
            _shown_path(data_dir),
        ]
    )


def _overshoulder_command() -> list[str]:
    """How to run this install's ``overshoulder``: its script beside the interpreter, or
    ``python -m overshoulder`` when there is none."""
    script = Path(sys.executable).parent / "overshoulder"
    if shutil.which("overshoulder") == str(script):
        return ["overshoulder"]
    if script.is_file():
        return [_shown_path(script)]
    return [_shown_path(Path(sys.executable)), "-m", "overshoulder"]


def _shown_path(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (shorter to copy)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _api(call: Callable[[], T]) -> T:
    """``call()``, a relay call; its failure stops the demo with the client's message."""
    try:
        return call()
    except relay_api.RelayError as exc:
        raise DemoError(str(exc)) from None


def _exit_status(status: int) -> str:
    """How a child ended, in words: "exit status 1", "killed by SIGKILL"."""
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "".join(f"\n  | {line}" for line in text[-lines:])


def _free_port(host: str, preferred: int) -> int:
    """``preferred`` if nothing listens there, else a free port the kernel picks."""
    bind = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    with socket.socket() as s:
        try:
            s.bind((bind, preferred))
            return preferred
        except OSError:
            s.bind((bind, 0))
            return int(s.getsockname()[1])


def _prctl() -> Optional[Callable[..., int]]:
    """Linux's prctl, looked up in the demo itself (a child between fork and exec should
    import nothing)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def _die_with_demo() -> None:
    """In a child, before it runs: have it sent SIGTERM when the demo goes, even by kill -9,
    so no relay or player is left behind holding the port and a core (Linux)."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG


def _handle_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set ``stop`` (the children are stopped in order, not interrupted)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    saved = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in saved.items():
            signal.signal(sig, old)

    return restore
