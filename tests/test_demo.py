"""``overshoulder demo`` end to end: a relay, the sample rendered, the player sharing it, links.

The demo runs as its own process, as ``make demo`` runs it; a reviewer joins with the
Python client through the printed link and checks the picture it gets, pixel by pixel.
"""

from __future__ import annotations

import os
import queue
import re
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

from overshoulder.core.client import SessionClient
from overshoulder.core.codec import DisplayTransform, decode_jpeg
from overshoulder.core.protocol.packet import FrameHeader
from overshoulder.plugins.player import read_frame, sample

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
        if self.proc.poll() is None:
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
