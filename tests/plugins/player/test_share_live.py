"""``overshoulder share`` with a real relay: frames out, a reviewer drives and draws, notes land."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest

from overshoulder.cli import main
from overshoulder.core.client import SessionClient
from overshoulder.core.codec import FrameEncoder, decode_jpeg
from overshoulder.core.model import Anchor, Annotation, Playhead, Shape, Style, new_id
from overshoulder.core.protocol.packet import FrameHeader
from overshoulder.core.share import Sharer
from overshoulder.plugins.player import NoteBook, PlayerHost, open_media, read_notes
from tests.conftest import RelayProcess

from . import media_files
from .media_files import HEIGHT, WIDTH

GREEN = (0.0, 1.0, 0.0, 1.0)


def wait_for(cond: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    assert cond(), f"timed out waiting for {what or cond}"


class FrameLog:
    """The frames a reviewer received (header and JPEG bytes)."""

    def __init__(self) -> None:
        self.frames: list[tuple[FrameHeader, bytes]] = []
        self.lock = threading.Lock()

    def __call__(self, header: FrameHeader, payload: bytes) -> None:
        with self.lock:
            self.frames.append((header, payload))

    def last(self, frame: Optional[int] = None) -> Optional[tuple[FrameHeader, bytes]]:
        with self.lock:
            for item in reversed(self.frames):
                if frame is None or item[0].frame == frame:
                    return item
        return None


def green_stroke(frame: int) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[-0.5, 0.1], [0.0, 0.1], [0.5, 0.1]]),
        anchor=Anchor(frame=frame),
        style=Style(color=GREEN, width=0.02),
        text="this edge",
    )


def reviewer(relay: RelayProcess, token: str, log: FrameLog) -> SessionClient:
    client = SessionClient(relay.url, token, "Rita", receive_frames=True)
    client.on_frame(log)
    client.start()
    assert client.wait_synced(10), f"reviewer did not sync: {client.state} {client.last_error}"
    return client


def take_the_drive(client: SessionClient) -> None:
    me = client.participant
    assert me is not None
    client.claim_lease()
    wait_for(lambda: client.driver == me.id, what="the player to hand over the drive")


# --- the command, as a studio runs it -------------------------------------------------------------


@pytest.fixture
def shared(relay: RelayProcess, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``overshoulder share`` as its own process over a 6-frame EXR sequence."""
    media_files.sequence(tmp_path / "plates", frames=range(1001, 1007))
    notes, burn = tmp_path / "notes.json", tmp_path / "burn"
    stderr = open(tmp_path / "share.log", "w")  # noqa: SIM115 - the process owns it
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overshoulder",
            "share",
            str(tmp_path / "plates" / "shot.####.exr"),
            "--relay",
            relay.url,
            "--name",
            "Plates review",
            "--notes",
            str(notes),
            "--burn-in",
            str(burn),
            "--start-paused",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        assert proc.stdout is not None
        lines = []
        link = None
        deadline = time.monotonic() + 30
        while link is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Reviewer link"):
                link = line.split(": ", 1)[1].strip()
        assert link, (
            f"no reviewer link; printed {lines}; log: {(tmp_path / 'share.log').read_text()}"
        )
        yield {"proc": proc, "link": link, "notes": notes, "burn": burn, "lines": lines}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        stderr.close()


def test_a_reviewer_watches_drives_and_draws_and_the_note_lands_on_disk(
    relay: RelayProcess, shared: dict[str, Any]
) -> None:
    link, proc = shared["link"], shared["proc"]
    assert link.startswith(f"{relay.url}/s/") and "#t=" in link
    assert "Sharing shot.####.exr: frames 1001-1006 at 24 fps" in "".join(shared["lines"])
    log = FrameLog()
    rita = reviewer(relay, link.split("#t=", 1)[1], log)
    try:
        # Frames: the player's first frame, a real picture of the right size.
        wait_for(lambda: log.last(1001) is not None, what="the first frame")
        header, payload = log.last(1001)  # type: ignore[misc]
        image = decode_jpeg(payload)
        assert image.shape == (HEIGHT, WIDTH, 3) and (header.width, header.height) == (
            WIDTH,
            HEIGHT,
        )
        assert image.std() > 10, "the frame is blank"

        # The reviewer drives to 1004: the player follows and shows 1004.
        take_the_drive(rita)
        rita.set_playhead(Playhead(frame=1004, playing=False))
        wait_for(lambda: log.last(1004) is not None, what="the player to show frame 1004")
        shown = decode_jpeg(log.last(1004)[1])  # type: ignore[index]
        assert np.abs(shown.astype(int) - image.astype(int)).mean() > 1, "1004 looks like 1001"

        # The reviewer draws on 1004: the note lands in the notes file and in a burn-in.
        note = green_stroke(1004)
        rita.add_annotation(note)

        def noted() -> bool:
            try:
                return [(n.id, n.anchor.frame) for n in read_notes(shared["notes"])] == [
                    (note.id, 1004)
                ]
            except Exception:
                return False  # mid-write by the other process is never seen (atomic), but be safe

        wait_for(noted, what="the note in the notes file")
        kept = read_notes(shared["notes"])[0]
        assert (kept.author_name, kept.text) == ("Rita", "this edge")
        png = shared["burn"] / "shot.1004.png"
        wait_for(png.exists, what="the burn-in")
        import OpenImageIO as oiio

        burned = np.asarray(oiio.ImageBuf(str(png)).get_pixels(oiio.UINT8))
        assert burned.shape == (HEIGHT, WIDTH, 3)
        assert burned[72, 160].tolist() == [0, 255, 0]
        assert burned[72, 40].tolist() != [0, 255, 0]
    finally:
        rita.close()

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    assert [n.id for n in read_notes(shared["notes"])] == [note.id]


# --- in process: the pieces the Nuke adapter will use too -----------------------------------------


@pytest.fixture
def plates(tmp_path: Path) -> Path:
    media_files.sequence(tmp_path / "plates", frames=range(1, 9))
    return tmp_path / "plates" / "shot.####.exr"


def share_in_process(
    relay: RelayProcess, token: str, player: PlayerHost
) -> tuple[Sharer, SessionClient]:
    client = SessionClient(relay.url, token, "Mia", client="player", publish_frames=True)
    sharer = Sharer(player, client, FrameEncoder(client.publish_frame))
    sharer.start()
    client.start()
    assert client.wait_synced(10)
    return sharer, client


def test_notes_kept_from_an_earlier_run_go_back_to_the_session(
    relay: RelayProcess, plates: Path
) -> None:
    session = relay.create_session()
    earlier = [green_stroke(3), green_stroke(5)]
    player = PlayerHost(open_media(plates), autoplay=False, notes=NoteBook(earlier))
    sharer, client = share_in_process(relay, session["host_token"], player)
    log = FrameLog()
    rita = reviewer(relay, relay.invite(session["session"]["id"]), log)
    try:
        wait_for(lambda: set(rita.annotations) == {n.id for n in earlier}, what="the re-sync")
        assert rita.annotations[earlier[0].id].anchor.frame == 3
        # A note the session has and the file did not comes into the player too.
        fresh = green_stroke(7)
        rita.add_annotation(fresh)
        wait_for(lambda: player.notes.get(fresh.id) is not None, what="the new note")
        rita.delete_annotation(fresh.id)
        wait_for(lambda: player.notes.get(fresh.id) is None, what="the deletion")
    finally:
        rita.close()
        sharer.stop()
        client.close()
        player.close()


def test_the_player_takes_the_drive_back_and_the_reviewer_then_follows(
    relay: RelayProcess, plates: Path
) -> None:
    session = relay.create_session()
    player = PlayerHost(open_media(plates), autoplay=False)
    sharer, client = share_in_process(relay, session["host_token"], player)
    client.on(
        "lease",
        lambda env: (
            env.data.requested_by and client.release_lease(to=env.data.requested_by)
        ),  # what `overshoulder share` does
    )
    log = FrameLog()
    rita = reviewer(relay, relay.invite(session["session"]["id"]), log)
    try:
        take_the_drive(rita)
        rita.set_playhead(Playhead(frame=6, playing=False))
        wait_for(lambda: player.playhead().frame == 6, what="the player to follow")
        assert not sharer.driving

        sharer.drive()
        wait_for(lambda: sharer.driving, what="the drive to come back")
        player.seek(2)
        wait_for(
            lambda: rita.playhead is not None and rita.playhead.frame == 2,
            what="the reviewer to see the player's playhead",
        )
        wait_for(lambda: log.last(2) is not None, what="frame 2 at the reviewer")
    finally:
        rita.close()
        sharer.stop()
        client.close()
        player.close()


def test_sharing_into_a_session_needs_its_host_token(
    relay: RelayProcess, plates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = relay.create_session()["session"]["id"]
    args = ["share", str(plates), "--relay", relay.url, "--session", sid, "--start-paused"]
    assert main([*args, "--token", relay.invite(sid)]) == 1
    err = capsys.readouterr().err
    assert "--token is a reviewer token; sharing needs the session's host token" in err
    assert "--token is on the command line, which every user of this machine can read" in err
