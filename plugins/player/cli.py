"""``overshoulder share PATH``: play an image sequence or OTIO timeline from disk into a session."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from overshoulder.core import links, relay_api
from overshoulder.core.codec import ColorUnavailable, DisplayTransform
from overshoulder.core.protocol import Envelope
from overshoulder.core.settings import DEFAULT_RELAY
from overshoulder.core.share_session import ShareOptions, ShareSession

from .console import Console, keys_help, keys_mode
from .errors import MediaError
from .host import PlayerHost
from .media import Playlist, open_media
from .notes import NoteBook, read_notes
from .writer import NotesWriter

PROG = "overshoulder share"
#: The environment variable that holds the host token of --session (``ps`` shows a command
#: line to every user of the machine; a process's environment only to its own user).
TOKEN_ENV = "OVERSHOULDER_TOKEN"
#: How long the reviewer link made at start stays valid.
INVITE_EXPIRES = "8h"
#: Seconds to wait for the first sync with the relay before saying so (sharing goes on).
FIRST_SYNC_S = 10.0
#: Most seconds to wait for the first frame to be encoded before playing.
PRIME_S = 10.0

log = logging.getLogger("overshoulder.player")


class ShareFailed(Exception):
    """The relay said no or cannot be reached: printed as one line, exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Share an image sequence or an OTIO timeline from disk: reviewers watch, "
        "drive the playhead and draw; their notes come back as JSON and burned-in PNGs.",
        epilog="PATH is shot.####.exr, shot.%04d.exr, shot.#.exr (any padding), a folder\n"
        "holding one sequence, one frame of a sequence, or a .otio timeline of image\n"
        "sequences. EXR, DPX, TIFF, PNG, JPEG. Details: docs/player.md.\n\n"
        "Keys, when run in a terminal:\n" + keys_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", metavar="PATH", help="the media to share")
    parser.add_argument(
        "--relay", metavar="URL", help="the relay (default: $OVERSHOULDER_RELAY or local)"
    )
    joining = parser.add_argument_group(
        "session", "without --session, a new session is made and a reviewer link printed"
    )
    joining.add_argument(
        "--session",
        metavar="ID",
        help=f"share into this existing session, with its host token from ${TOKEN_ENV} "
        "or --token-file",
    )
    joining.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="a file holding the host token of --session (keep it 0600)",
    )
    joining.add_argument(
        "--token",
        metavar="TOKEN",
        help=f"the host token itself: UNSAFE, every user of this machine sees a command line "
        f"(ps); use ${TOKEN_ENV} or --token-file",
    )
    joining.add_argument("--name", metavar="NAME", help="the new session's name")
    play = parser.add_argument_group("playback")
    play.add_argument("--fps", type=float, metavar="N", help="frame rate (default: the media's)")
    play.add_argument("--no-loop", action="store_true", help="stop at the last frame")
    play.add_argument("--start-paused", action="store_true", help="do not start playing")
    play.add_argument(
        "--realtime",
        action="store_true",
        help="keep real time and skip frames that are read too late (default: every frame "
        "reaches the reviewers; a slow disk slows playback down instead)",
    )
    image = parser.add_argument_group("image")
    image.add_argument(
        "--colorspace",
        metavar="CS",
        help="the files' colour space (OCIO name; default: from the files: float is "
        "linear Rec.709 or the EXR's chromaticities, 8-bit is sRGB)",
    )
    image.add_argument("--part", metavar="NAME", help="the part of multi-part EXRs to show")
    image.add_argument(
        "--quality", type=int, default=80, metavar="N", help="JPEG quality of moving frames, 1-100"
    )
    notes = parser.add_argument_group("notes")
    notes.add_argument(
        "--notes",
        type=Path,
        metavar="FILE",
        help="keep every note in this JSON file (read at start and synced to the session)",
    )
    notes.add_argument(
        "--burn-in",
        type=Path,
        metavar="DIR",
        help="write one PNG per annotated frame, with the marks drawn over it",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``overshoulder share``; returns the exit status (2: bad input, 1: relay trouble)."""
    ns = build_parser().parse_args(argv)
    _setup_logging(ns.verbose)
    try:
        playlist, notes = _prepare(ns)
    except MediaError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        return Share(ns, playlist, notes).run()
    except (ShareFailed, relay_api.RelayError, links.LinkError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _prepare(ns: argparse.Namespace) -> tuple[Playlist, NoteBook]:
    """Check everything the user typed before going near the network (``MediaError``)."""
    ns.token, ns.token_source = _host_token(ns)
    if bool(ns.session) != bool(ns.token):
        if ns.session:
            raise MediaError(
                f"--session needs that session's host token: in ${TOKEN_ENV}, or in a file "
                "named by --token-file"
            )
        raise MediaError("--token and --token-file go with --session (the session to share into)")
    if ns.session and ns.name:
        raise MediaError("--name names a new session; it cannot rename --session")
    if not 1 <= ns.quality <= 100:
        raise MediaError(f"--quality {ns.quality} is outside 1-100")
    if ns.colorspace:
        try:
            DisplayTransform(ns.colorspace).check()
        except (ValueError, ColorUnavailable) as exc:
            raise MediaError(f"--colorspace {ns.colorspace}: {exc}") from None
    playlist = open_media(ns.path, fps=ns.fps, part=ns.part, colorspace=ns.colorspace)
    book = NoteBook(read_notes(ns.notes) if ns.notes else ())
    if ns.burn_in is not None and ns.burn_in.exists() and not ns.burn_in.is_dir():
        raise MediaError(f"--burn-in {ns.burn_in}: not a folder")
    return playlist, book


def _warn_if_others_read(path: Path) -> None:
    """A host token file others on the machine may read lets them share as the host."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if os.name == "posix" and mode & 0o077:
        print(
            f"warning: --token-file {path} can be read by other users "
            f"(mode {mode & 0o777:o}); anyone who reads it can share as the host: "
            f"chmod 600 {path}",
            file=sys.stderr,
        )


def _host_token(ns: argparse.Namespace) -> tuple[Optional[str], str]:
    """(the host token, where it came from): --token-file, else --token, else
    $OVERSHOULDER_TOKEN (with --session)."""
    if ns.token_file is not None and ns.token:
        raise MediaError("give the host token once: --token-file or --token, not both")
    if ns.token_file is not None:
        try:
            text = ns.token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise MediaError(f"--token-file {ns.token_file}: cannot read it ({exc})") from None
        if not text or len(text.split()) != 1:
            raise MediaError(
                f"--token-file {ns.token_file}: it should hold one token and nothing else"
            )
        _warn_if_others_read(ns.token_file)
        return text, f"the token in {ns.token_file}"
    if ns.token:
        return str(ns.token).strip(), "--token"
    if ns.session:
        return os.environ.get(TOKEN_ENV, "").strip() or None, f"${TOKEN_ENV}"
    return None, ""


class Share:
    """One run of the command: the session, the player, the sharer, until quit."""

    def __init__(self, ns: argparse.Namespace, playlist: Playlist, notes: NoteBook) -> None:
        self.ns = ns
        self.playlist = playlist
        self.notes = notes
        self.done = threading.Event()
        self.base = links.normalise_relay(
            ns.relay or os.environ.get("OVERSHOULDER_RELAY") or DEFAULT_RELAY
        )
        self._lost = False

    def run(self) -> int:
        if self.ns.token_source == "--token":
            print(
                f"{PROG}: --token is on the command line, which every user of this machine can "
                f"read (ps); pass it in ${TOKEN_ENV} or --token-file instead",
                file=sys.stderr,
                flush=True,
            )
        sid, token, link = self._session()
        print(f"Sharing {self.playlist.describe()}", flush=True)
        print(f"Session {sid} on {self.base}", flush=True)
        if link:
            print(f"Reviewer link ({INVITE_EXPIRES}): {link}", flush=True)
        ns = self.ns
        # Paused until the first frame is out (wait_first_frame): then play.
        host = PlayerHost(
            self.playlist,
            loop=not ns.no_loop,
            autoplay=False,
            notes=self.notes,
            every_frame=not ns.realtime,
        )
        writer = None
        if ns.notes or ns.burn_in:
            writer = NotesWriter(
                self.notes,
                self.playlist,
                host.display_image,
                notes_path=ns.notes,
                burnin_dir=ns.burn_in,
            )
        options = ShareOptions(
            sharing=True, quality=ns.quality, on_drive_request=self._drive_request
        )
        share = ShareSession(self.base, token, _user_name(), host, "host", options)
        share.on("lease", lambda env: self._lease(env, share))
        share.on_state(self._state)
        restore = self._signals()
        try:
            if writer is not None:
                writer.start()
            share.start()
            if not share.wait_synced(FIRST_SYNC_S) and share.state == "refused":
                error = share.last_error
                raise ShareFailed(f"the relay refused to join: {error.message if error else '?'}")
            me = share.participant
            if me is not None and me.role != "host":
                raise ShareFailed(
                    f"{ns.token_source or 'the token'} is a {me.role} token; sharing needs the "
                    "session's host token"
                )
            if not ns.start_paused:
                share.wait_first_frame(PRIME_S)
                host.play()
            with keys_mode(sys.stdin) as keys:
                if keys and share.sharer is not None:
                    console = Console(host, share.sharer, self.done.set)
                    print(
                        "Keys: space play/pause, n/b step, g N seek, l loop, d drive, f follow, "
                        "q quit (? for help)",
                        flush=True,
                    )
                    console.run_in_background(sys.stdin)
                while not self.done.wait(0.5):
                    if share.state == "refused":
                        break
            error = share.last_error
            if share.state == "refused":
                raise ShareFailed(
                    f"the relay refused the session: {error.message if error else '?'}"
                )
            return 0
        finally:
            restore()
            share.close()
            try:
                host.call_on_main(lambda: None)  # notes the sharer handed over are kept first
            except TimeoutError:
                log.warning("the player's main thread is stuck; notes may miss the last change")
            if writer is not None:
                writer.close()
            host.close()
            if ns.notes:
                print(f"Notes: {len(self.notes)} in {ns.notes}", flush=True)

    # --- the session --------------------------------------------------------------------------

    def _session(self) -> tuple[str, str, Optional[str]]:
        """(session id, host token, reviewer link or None)."""
        ns = self.ns
        if ns.session:
            sid, token = ns.session, ns.token
        else:
            name = ns.name or self.playlist.name[:80]
            made = relay_api.create_session(self.base, name, _user_name())
            sid, token = made.session.id, made.host_token
        try:
            invite = relay_api.make_invite(self.base, sid, token, "reviewer", INVITE_EXPIRES)
        except relay_api.RelayError as exc:
            if not ns.session:
                raise
            log.warning("no reviewer link: %s", exc)  # a token that may not invite still shares
            return sid, token, None
        return sid, token, invite.link

    @staticmethod
    def _drive_request(participant_id: str, name: str) -> None:
        """The Sharer hands the drive to whoever asks; say so (``d`` takes it back)."""
        print(f"{name} drives the playhead now (press d to take it back)", flush=True)

    def _lease(self, env: Envelope, share: ShareSession) -> None:
        """Say who drives."""
        lease: Any = env.data
        me = share.participant
        if me is None:
            return
        if not lease.requested_by:
            who = "you" if lease.holder == me.id else (lease.holder_name or "nobody")
            log.info("%s drive%s the playhead", who, "" if who == "you" else "s")

    def _state(self, state: str) -> None:
        if state == "reconnecting":
            if not self._lost:
                self._lost = True
                print("Connection to the relay lost; reconnecting...", flush=True)
        elif state == "synced":
            if self._lost:
                self._lost = False
                print("In sync with the relay again; sharing on as host.", flush=True)
            else:
                log.info("in sync with the relay")

    def _signals(self) -> Any:
        """SIGINT and SIGTERM end the run cleanly (notes written, client closed)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in saved:
            signal.signal(sig, lambda *_: self.done.set())

        def restore() -> None:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

        return restore


def _user_name() -> str:
    try:
        return getpass.getuser() or "player"
    except Exception:
        return "player"


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("overshoulder.player").setLevel(logging.INFO)
