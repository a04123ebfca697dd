"""A host sharing a generated shot through the real pipeline: Sharer + FrameEncoder + SessionClient.

``GeneratedShot`` is a Host written against our own contract (core/host.py), not a stand-in
for any app: 24 frames of 640x360 display-referred pixels made in memory, "main thread" work on
one worker thread as an app's UI thread would run it, and the notes it receives kept in a dict.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Optional

import numpy as np

from overshoulder.core.client import SessionClient
from overshoulder.core.codec import FrameEncoder
from overshoulder.core.host import Capture, Host, PlayheadState
from overshoulder.core.model import Anchor, Annotation, HostObject
from overshoulder.core.protocol.packet import FrameHeader
from overshoulder.core.share import Sharer

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


class GeneratedShot(Host):
    name = "generated"

    def __init__(self) -> None:
        super().__init__()
        self.frame = FIRST
        self.playing = False
        self.notes: dict[str, Annotation] = {}
        self.removed: list[str] = []
        self._jobs: queue.Queue[Optional[Callable[[], None]]] = queue.Queue()
        self._thread = threading.Thread(target=self._main, name="generated-main", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job()

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

    def playhead(self) -> PlayheadState:
        return PlayheadState(self.frame, RATE, self.playing, FIRST, LAST)

    def set_playhead(self, frame: int, playing: Optional[bool] = None) -> None:
        self.frame = frame
        if playing is not None:
            self.playing = playing
        self.events.playhead_changed()

    def anchor(self) -> Anchor:
        return Anchor(frame=self.frame, object=CLIP)

    def apply_annotation(self, annotation: Annotation) -> None:
        self.notes[annotation.id] = annotation

    def remove_annotation(self, annotation_id: str) -> None:
        self.notes.pop(annotation_id, None)
        self.removed.append(annotation_id)

    def stored_annotations(self) -> Sequence[Annotation]:
        return list(self.notes.values())

    def run_on_main(self, fn: Callable[[], None]) -> None:
        self._jobs.put(fn)

    def is_main_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._jobs.put(None)


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
