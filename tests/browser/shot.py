"""A host sharing a generated shot through the real pipeline: Sharer + FrameEncoder + SessionClient.

``GeneratedShot`` is a ``MemoryHost`` (tests/hosts/memory.py: our own contract, not a stand-in
for any app) whose viewer shows 24 generated 640x360 frames.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Optional

import numpy as np

from overshoulder.core.client import SessionClient
from overshoulder.core.codec import FrameEncoder
from overshoulder.core.host import Capture
from overshoulder.core.model import HostObject
from overshoulder.core.protocol.packet import FrameHeader
from overshoulder.core.share import Sharer
from tests.hosts.memory import MemoryHost

WIDTH, HEIGHT = 640, 360
FIRST, LAST = 1001, 1024
RATE = 24.0
CLIP = HostObject(kind="player.clip", path="/shots/sh010/plate.####.exr", label="sh010 plate")


def frame_pixels(frame: int) -> np.ndarray:
    """A neutral grey ramp with a teal block whose place says which frame it is."""
    ramp = np.linspace(48, 208, WIDTH, dtype=np.float32)
    image = np.repeat(np.repeat(ramp[None, :, None], HEIGHT, axis=0), 3, axis=2)
    x = 40 + (frame - FIRST) * 20
    image[120:240, x : x + 60] = (30, 150, 160)
    image[:8, :] = 90
    return image.astype(np.uint8)


class GeneratedShot(MemoryHost):
    """24 frames of 640x360 display-referred pixels made in memory, about one clip."""

    name = "generated"
    anchor_object = CLIP

    def __init__(self) -> None:
        super().__init__(frame=FIRST, first=FIRST, last=LAST, rate=RATE)

    def capture(self) -> Optional[Capture]:
        return Capture(
            frame=self.frame,
            width=WIDTH,
            height=HEIGHT,
            pixels=frame_pixels(self.frame),
            colorspace="sRGB",
            version="sh010_comp_v003",
            source=CLIP,
        )

    def stop(self) -> None:
        self.shut()


class SharedShot:
    """The artist's side of a session: the shot shared to ``relay_url`` with the host token."""

    def __init__(self, relay_url: str, host_token: str) -> None:
        self.host = GeneratedShot()
        self.client = SessionClient(
            relay_url, host_token, "Mia", client="generated", publish_frames=True
        )
        self.published: dict[int, str] = {}
        self._lock = threading.Lock()
        self.encoder = FrameEncoder(self._publish)
        self.sharer = Sharer(self.host, self.client, self.encoder, drive_requests="grant")
        self.client.start()
        if not self.client.wait_synced(10):
            raise RuntimeError(f"host did not sync: {self.client.last_error}")
        self.sharer.start()
        # The Sharer sends the playhead when it changes or the lease does; the lease came
        # before the Sharer listened, so the artist's first playhead goes out now.
        self.wait(lambda: self.sharer.driving, "the host to drive")
        self.host.run_on_main(self.host.events.playhead_changed)
        self.wait(lambda: self.client.playhead is not None, "the host's first playhead")
        self.wait(lambda: FIRST in self.published, "the first frame to be published")

    def _publish(self, header: FrameHeader, payload: bytes) -> None:
        with self._lock:
            self.published[header.frame] = header.hash_hex
        self.client.publish_frame(header, payload)

    def move_to(self, frame: int) -> None:
        """The artist scrubs to ``frame`` (the session follows while this host drives)."""
        self.host.run_on_main(lambda: self.host.set_playhead(frame))
        self.wait(lambda: frame in self.published, f"frame {frame} to be published")

    def hash_of(self, frame: int) -> str:
        with self._lock:
            return self.published[frame]

    @staticmethod
    def wait(cond: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = cond()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}")

    def close(self) -> None:
        self.sharer.stop()
        self.client.close()
