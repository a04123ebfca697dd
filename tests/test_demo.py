"""``overshoulder demo`` end to end: a relay, the sample rendered, the player sharing it, links.

The demo runs as its own process, as ``make demo`` runs it; a reviewer joins with the
Python client through the printed link and checks the picture it gets, pixel by pixel.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest
import requests

from overshoulder import sample
from overshoulder.core.client import SessionClient
from overshoulder.core.codec import DisplayTransform, decode_jpeg
from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.core.protocol.packet import FrameHeader
from overshoulder.demo import MAX_RESTARTS
from overshoulder.plugins.player import read_frame
from overshoulder.relay import config
from tests.waiting import wait_for

WIDTH, HEIGHT, FRAMES = 320, 180, 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    """The demo process, its printed lines (read on a thread) and its data dir."""

    def __init__(self, data: Path, port: int, errors: Path) -> None:
        self.data = data
        self.port = port
        self.errors = open(errors, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "overshoulder",
                "demo",
                "--data-dir",
                str(data),
                "--port",
                str(port),
                "--frames",
                str(FRAMES),
                "--size",
                f"{WIDTH}x{HEIGHT}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        self.lines: queue.Queue[Optional[str]] = queue.Queue()
        self.printed: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_line(self, pattern: str, timeout: float = 90.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.printed.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(
            f"the demo did not print {pattern!r}; it printed {self.printed}; "
            f"stderr: {Path(self.errors.name).read_text()}"
        )

    def stop(self) -> None:
        """As a user stops it (SIGTERM: the player, then the relay), then kill it if need be."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.errors.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path / "demo-data", free_port(), tmp_path / "demo.stderr")
    try:
        yield running
    finally:
        running.stop()


def processes_using(path: Path) -> list[str]:
    """Command lines of live processes that name ``path`` (the demo's children would)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        cmdline = raw.replace(b"\0", b" ").decode(errors="replace")
        if str(path) in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


def test_a_demo_killed_outright_takes_its_relay_and_player_with_it(demo: Demo) -> None:
    demo.wait_line(r"Press Ctrl-C to stop")
    # The demo itself, its relay and its player.
    assert wait_for(lambda: len(processes_using(demo.data)) == 3, 30), processes_using(demo.data)
    demo.proc.kill()  # kill -9: no handler runs in the demo
    demo.proc.wait(10)
    assert wait_for(lambda: not processes_using(demo.data), 30), processes_using(demo.data)


def test_the_demo_plays_the_sample_to_a_reviewer_and_stops_cleanly(demo: Demo) -> None:
    base = f"http://127.0.0.1:{demo.port}"
    link = demo.wait_line(r"reviewer link \(8h[^)]*\):\s*(\S+)").group(1)
    viewer = demo.wait_line(r"viewer link\s+\(8h[^)]*\):\s*(\S+)").group(1)
    demo.wait_line(r"Press Ctrl-C to stop")
    assert link.startswith(f"{base}/s/") and "#t=" in link
    assert viewer.startswith(f"{base}/s/") and viewer != link
    printed = "".join(demo.printed)
    assert "Rendering the sample sequence" in printed
    assert str(demo.data / "relay.log") in printed

    # The sample: whole files, labelled scene-linear Rec.709, as the player reads them.
    folder = demo.data / "sample"
    files = sorted(p.name for p in folder.glob("shot.*.exr"))
    assert files == [f"shot.{f}.exr" for f in range(1001, 1001 + FRAMES)]
    first = read_frame(folder / "shot.1001.exr", 1001)
    assert first.colorspace == sample.COLORSPACE == "lin_rec709_scene"
    assert DisplayTransform(first.colorspace).path(first.pixels.dtype) == "lut"

    # A reviewer joins through the link and gets the shot.
    got: list[tuple[FrameHeader, bytes]] = []
    lock = threading.Lock()

    def on_frame(header: FrameHeader, payload: bytes) -> None:
        with lock:
            got.append((header, payload))

    reviewer = SessionClient(base, link.split("#t=", 1)[1], "Tess", receive_frames=True)
    reviewer.on_frame(on_frame)
    reviewer.start()
    try:
        assert reviewer.wait_synced(20), f"{reviewer.state}: {reviewer.last_error}"
        assert reviewer.participant is not None and reviewer.participant.role == "reviewer"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if got:
                    break
            time.sleep(0.05)
        with lock:
            assert got, "no frame reached the reviewer"
            header, payload = got[-1]
    finally:
        reviewer.close()
    check_picture(header, payload, folder)

    # SIGTERM: the player and the relay stop, the demo exits 0, nothing is left running.
    demo.proc.send_signal(signal.SIGTERM)
    assert demo.proc.wait(40) == 0, Path(demo.errors.name).read_text()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", demo.port)) != 0, "the relay still listens"
    assert processes_using(demo.data) == []
    assert "shutting down" in (demo.data / "relay.log").read_text()
    assert "Sharing shot.####.exr" in (demo.data / "share.log").read_text()


def check_picture(header: FrameHeader, payload: bytes, folder: Path) -> None:
    """The frame is the sample's frame ``header.frame`` as a display shows it."""
    assert 1001 <= header.frame < 1001 + FRAMES
    assert (header.width, header.height, header.codec) == (WIDTH, HEIGHT, "jpeg")
    image = decode_jpeg(payload)
    assert image.shape == (HEIGHT, WIDTH, 3)
    assert image.std() > 20, "the frame is (nearly) flat"
    # The 75 % colour bars, in order, at their display values (191 = 0.75 * 255).
    y = HEIGHT // 5
    for i, rgb in enumerate(sample.BARS):
        x = int((i + 0.5) * WIDTH / len(sample.BARS))
        patch = image[y - 4 : y + 4, x - 4 : x + 4].reshape(-1, 3).mean(axis=0)
        expected = np.array(rgb) * 191.0
        assert np.abs(patch - expected).max() < 20, f"bar {i}: {patch} != {expected}"
    # The whole picture: the EXR through the same display transform, within JPEG error.
    exr = read_frame(folder / f"shot.{header.frame}.exr", header.frame)
    reference = DisplayTransform(exr.colorspace).apply(exr.pixels).astype(np.float64)
    mse = float(np.mean((image.astype(np.float64) - reference) ** 2))
    psnr = 10.0 * np.log10(255.0**2 / max(mse, 1e-9))
    assert psnr > 27.0, f"PSNR {psnr:.1f} dB against the EXR (another frame: ~20)"
    # The frame number is drawn large: its box, bottom right, holds near-white pixels.
    counter: Any = image[int(HEIGHT * 0.72) : int(HEIGHT * 0.95), int(WIDTH * 0.6) :]
    assert (counter.min(axis=2) > 200).mean() > 0.1


def demo_children(demo: Demo) -> dict[str, tuple[int, str]]:
    """The demo's live children by kind ("relay", "player"): (pid, command line)."""
    found: dict[str, tuple[int, str]] = {}
    for line in processes_using(demo.data):
        pid, cmdline = line.split(": ", 1)
        try:
            parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue
        if int(parent) != demo.proc.pid:
            continue
        kind = "relay" if "overshoulder.relay" in cmdline else "player"
        found[kind] = (int(pid), cmdline)
    return found


def token_payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def test_a_killed_relay_comes_back_and_the_player_shares_on_as_host(demo: Demo) -> None:
    base = f"http://127.0.0.1:{demo.port}"
    link = demo.wait_line(r"reviewer link \(8h[^)]*\):\s*(\S+)").group(1)
    command = demo.wait_line(r"^\s+(\S*overshoulder\S* .*invite .*)$").group(1)
    demo.wait_line(r"Press Ctrl-C to stop")
    sid = link.split("/s/", 1)[1].split("#", 1)[0]

    # The host token is in the player's environment, never on its command line.
    children = demo_children(demo)
    assert set(children) == {"relay", "player"}, children
    player_pid, player_cmdline = children["player"]
    raw = Path(f"/proc/{player_pid}/cmdline").read_bytes()
    assert b"os1." not in raw and b"--token" not in raw, player_cmdline
    environ = Path(f"/proc/{player_pid}/environ").read_bytes().split(b"\0")
    token = next(v.split(b"=", 1)[1] for v in environ if v.startswith(b"OVERSHOULDER_TOKEN="))
    assert token_payload(token.decode())["r"] == "host"

    # The printed command makes another link (the admin key comes from the data dir).
    made = subprocess.run(
        shlex.split(command), capture_output=True, text=True, timeout=60, check=False
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"{base}/s/{sid}#t=")
    more = made.stdout.strip().split("#t=", 1)[1]
    assert token_payload(more)["r"] == "reviewer"

    frames: list[int] = []
    lock = threading.Lock()

    def on_frame(header: FrameHeader, payload: bytes) -> None:
        with lock:
            frames.append(header.frame)

    reviewer = SessionClient(base, link.split("#t=", 1)[1], "Tess")
    viewer = SessionClient(base, more, "Vic", receive_frames=True)
    viewer.on_frame(on_frame)
    try:
        for client in (reviewer, viewer):
            client.start()
            assert client.wait_synced(20), f"{client.state}: {client.last_error}"
        me = reviewer.participant
        assert me is not None
        kept = reviewer.add_annotation(
            Annotation(
                id=new_id(),
                shape=Shape(kind="arrow", start=(0.1, 0.1), end=(0.3, 0.2)),
                anchor=Anchor(frame=1002),
                text="lift the shadows",
            )
        )
        assert wait_for(lambda: reviewer.pending == 0, 20)
        # Asking to drive: the player hands the drive over.
        reviewer.claim_lease()
        assert wait_for(lambda: viewer.driver == me.id, 20), viewer.driver
        assert wait_for(lambda: frames, 30), "no frame before the relay was killed"

        relay_pid = children["relay"][0]
        os.kill(relay_pid, signal.SIGKILL)
        assert wait_for(lambda: viewer.state == "reconnecting", 20)
        # A note drawn while the relay is down goes out once it is back.
        offline = reviewer.add_annotation(
            Annotation(
                id=new_id(),
                shape=Shape(kind="line", start=(0.5, 0.5), end=(0.6, 0.6)),
                anchor=Anchor(frame=1003),
            )
        )
        with lock:
            frames.clear()

        def relay_back() -> bool:
            now = demo_children(demo).get("relay")
            return now is not None and now[0] != relay_pid and viewer.state == "synced"

        assert wait_for(relay_back, 60), f"{demo_children(demo)}; {viewer.last_error}"
        demo.wait_line(r"relay: back at " + re.escape(base))
        # Frames flow again, from the same player, which shares on as host.
        assert wait_for(lambda: frames, 60), "no frame after the relay came back"
        assert demo_children(demo)["player"][0] == player_pid
        hosts = [p for p in viewer.participants.values() if p.role == "host"]
        assert len(hosts) == 1, viewer.participants
        # The drive comes back to whoever held it.
        assert wait_for(lambda: viewer.driver == me.id and reviewer.driver == me.id, 30), (
            viewer.driver,
            hosts,
        )
        # Every note once: the one kept before, the one sent while the relay was down.
        assert wait_for(lambda: reviewer.pending == 0 and len(viewer.annotations) == 2, 30)
        key = config.read_admin_key(demo.data)
        events = requests.get(
            f"{base}/api/sessions/{sid}/events",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        ).json()["events"]
        adds = [e["data"]["annotation"]["id"] for e in events if e["type"] == "annotation_add"]
        assert sorted(adds) == sorted(viewer.annotations) and len(set(adds)) == 2
        assert {kept, offline} <= {e["eid"] for e in events}
        assert demo.proc.poll() is None, "the demo gave up"
    finally:
        reviewer.close()
        viewer.close()


def test_a_relay_that_cannot_start_again_ends_the_demo_saying_why(demo: Demo) -> None:
    demo.wait_line(r"Press Ctrl-C to stop")
    relay_pid = demo_children(demo)["relay"][0]
    # The running relay read its key at start; a damaged one stops every new start.
    (demo.data / "secret.key").write_text("not a key\n")
    os.kill(relay_pid, signal.SIGKILL)
    demo.wait_line(r"relay: stopped by itself \(killed by SIGKILL\); starting it again")
    assert demo.proc.wait(90) == 1
    said = Path(demo.errors.name).read_text()
    assert f"the relay stopped by itself {MAX_RESTARTS} times" in said, said
    assert "secret.key is damaged" in said, said
    assert processes_using(demo.data) == [], "the player was left running"


def test_a_killed_player_is_started_again_and_shares_into_the_same_session(demo: Demo) -> None:
    base = f"http://127.0.0.1:{demo.port}"
    viewer_link = demo.wait_line(r"viewer link\s+\(8h[^)]*\):\s*(\S+)").group(1)
    demo.wait_line(r"Press Ctrl-C to stop")
    frames: list[int] = []
    lock = threading.Lock()

    def on_frame(header: FrameHeader, payload: bytes) -> None:
        with lock:
            frames.append(header.frame)

    viewer = SessionClient(base, viewer_link.split("#t=", 1)[1], "Vic", receive_frames=True)
    viewer.on_frame(on_frame)
    viewer.start()
    try:
        assert viewer.wait_synced(20), f"{viewer.state}: {viewer.last_error}"
        assert wait_for(lambda: frames, 30)
        player_pid = demo_children(demo)["player"][0]
        os.kill(player_pid, signal.SIGKILL)
        demo.wait_line(r"player: stopped by itself \(killed by SIGKILL\); starting it again")

        def new_player_shares() -> bool:
            now = demo_children(demo).get("player")
            hosts = [p for p in viewer.participants.values() if p.role == "host"]
            return now is not None and now[0] != player_pid and len(hosts) == 1

        assert wait_for(new_player_shares, 60), viewer.participants
        with lock:
            frames.clear()
        assert wait_for(lambda: frames, 30), "no frame from the new player"
        assert demo.proc.poll() is None
    finally:
        viewer.close()
