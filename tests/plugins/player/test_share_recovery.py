"""``overshoulder share`` outlives its relay (killed, started again: it shares on as host), and its
notes file, shared again into a new session, keeps who wrote each note.

The player runs as its own process with its host token in a 0600 file (never on its command line);
the relay is a real process killed with SIGKILL and started again on the same port and data dir.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from overshoulder.core.client import SessionClient
from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.core.protocol.packet import FrameHeader
from overshoulder.core.share import Sharer
from overshoulder.plugins.player import NoteBook, PlayerHost, open_media, read_notes
from overshoulder.plugins.player.notes import notes_document, write_notes
from tests.conftest import RelayProcess
from tests.waiting import wait_for

from . import media_files


def test_the_player_shares_on_as_host_after_its_relay_is_killed(
    relay: RelayProcess, tmp_path: Path
) -> None:
    media_files.sequence(tmp_path / "plates", frames=range(1001, 1007))
    created = relay.create_session(host_name="Mia")
    sid, host_token = created["session"]["id"], created["host_token"]
    token_file = tmp_path / "host.token"
    token_file.touch(0o600)
    token_file.write_text(host_token + "\n")
    log = open(tmp_path / "share.log", "w")  # noqa: SIM115 - the process owns it
    env = {k: v for k, v in os.environ.items() if k != "OVERSHOULDER_TOKEN"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overshoulder",
            "share",
            str(tmp_path / "plates" / "shot.####.exr"),
            "--relay",
            relay.url,
            "--session",
            sid,
            "--token-file",
            str(token_file),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=dict(env, PYTHONUNBUFFERED="1"),
    )
    printed: queue.Queue[str] = queue.Queue()
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            printed.put(line)

    threading.Thread(target=read, daemon=True).start()

    def said(text: str) -> bool:
        while not printed.empty():
            lines.append(printed.get())
        return any(text in line for line in lines)

    frames: list[int] = []
    lock = threading.Lock()

    def on_frame(header: FrameHeader, payload: bytes) -> None:
        with lock:
            frames.append(header.frame)

    viewer = SessionClient(relay.url, relay.invite(sid, "viewer"), "Vic", receive_frames=True)
    viewer.on_frame(on_frame)
    sam = SessionClient(relay.url, relay.invite(sid, "reviewer"), "Sam")
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert host_token.encode() not in cmdline
        for client in (viewer, sam):
            client.start()
            assert client.wait_synced(15), f"{client.state}: {client.last_error}"

        def host_in() -> bool:
            return any(p.role == "host" for p in viewer.participants.values())

        assert wait_for(host_in, 30), (tmp_path / "share.log").read_text()
        assert wait_for(lambda: frames, 30), "no frame before the relay was killed"
        note = sam.add_annotation(
            Annotation(
                id=new_id(),
                shape=Shape(kind="line", start=(0.1, 0.1), end=(0.2, 0.2)),
                anchor=Anchor(frame=1002),
            )
        )
        assert wait_for(lambda: sam.pending == 0, 15)

        relay.kill9()
        assert wait_for(lambda: said("Connection to the relay lost"), 30), lines
        with lock:
            frames.clear()
        relay.start()  # the same port and data dir
        assert wait_for(lambda: said("In sync with the relay again"), 60), lines
        assert proc.poll() is None, (tmp_path / "share.log").read_text()
        # Frames flow again to a viewer that came back too, from the same host, who drives.
        assert wait_for(lambda: viewer.state == "synced" and frames, 60), viewer.last_error
        hosts = [p for p in viewer.participants.values() if p.role == "host"]
        assert len(hosts) == 1 and viewer.driver == hosts[0].id
        assert list(viewer.annotations) == [
            a["data"]["annotation"]["id"] for a in notes(relay, sid)
        ]
        assert [e["eid"] for e in relay.events(sid)] == [note]
    finally:
        viewer.close()
        sam.close()
        proc.terminate()
        proc.wait(20)
        log.close()


def notes(relay: RelayProcess, sid: str) -> list[dict[str, object]]:
    return [e for e in relay.events(sid) if e["type"] == "annotation_add"]


def test_a_notes_file_shared_again_keeps_who_wrote_each_note_and_when(
    relay: RelayProcess, tmp_path: Path
) -> None:
    """The player's document is its notes file: reopened into a new session, authors hold."""
    media_files.sequence(tmp_path / "plates", frames=range(1, 9))
    plates = tmp_path / "plates" / "shot.####.exr"
    notes_file = tmp_path / "notes.json"
    made: list[SessionClient] = []

    def share(session: dict[str, Any], book: NoteBook) -> tuple[Sharer, PlayerHost]:
        player = PlayerHost(open_media(plates), autoplay=False, notes=book)
        client = SessionClient(relay.url, session["host_token"], "Mia", client="player")
        made.append(client)
        sharer = Sharer(player, client)
        sharer.start()
        client.start()
        assert client.wait_synced(15)
        return sharer, player

    def join(session: dict[str, Any], name: str) -> SessionClient:
        client = SessionClient(relay.url, relay.invite(session["session"]["id"]), name)
        made.append(client)
        client.start()
        assert client.wait_synced(15)
        return client

    monday = relay.create_session(host_name="Mia")
    sharer, player = share(monday, NoteBook())
    try:
        sam = join(monday, "Sam")
        note_id = sam.add_annotation(
            Annotation(
                id=new_id(),
                shape=Shape(kind="line", start=(0.1, 0.1), end=(0.4, 0.2)),
                anchor=Anchor(frame=3),
                text="grade this warmer",
            )
        )
        assert wait_for(lambda: sam.pending == 0 and len(player.notes) == 1, 15)
        (kept,) = player.notes.all()
        assert kept.author_name == "Sam" and kept.created is not None, note_id
        write_notes(notes_file, notes_document(player.notes.all(), "shot", lambda f: None))
    finally:
        sharer.stop()
        player.close()

    tuesday = relay.create_session(host_name="Mia")
    sharer, player = share(tuesday, NoteBook(read_notes(notes_file)))
    try:
        vic = join(tuesday, "Vic")
        assert wait_for(lambda: kept.id in vic.annotations, 15)
        seen = vic.annotations[kept.id]
        assert (seen.author, seen.author_name, seen.created, seen.text) == (
            kept.author,
            "Sam",
            kept.created,
            "grade this warmer",
        )
        assert player.notes.get(kept.id) == kept, "the file's note is not rewritten as Mia's"
    finally:
        sharer.stop()
        player.close()
        for client in made:
            client.close()
