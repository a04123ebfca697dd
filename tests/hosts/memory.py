"""An in-memory Host for tests of the shared parts (Sharer, browser, panel).

Written against our own contract (core/host.py), not a stand-in for any app: the
playhead and the notes live in memory, and "main thread" work runs on one worker
thread, as an app's UI thread would run it. Subclasses say what the viewer shows.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Optional

import numpy as np

from overshoulder.core.host import Capture, Host, PlayheadState
from overshoulder.core.model import Anchor, Annotation, HostObject


class MemoryHost(Host):
    name = "memory"
    #: What a note made here is about (None: nothing but the frame).
    anchor_object: Optional[HostObject] = None

    def __init__(self, frame: int = 1001, first: int = 1001, last: int = 1100, rate: float = 24.0):
        super().__init__()
        self.frame = frame
        self.first, self.last, self.rate = first, last, rate
        self.playing = False
        self.notes: dict[str, Annotation] = {}
        self.removed: list[str] = []
        self._jobs: queue.Queue[Optional[Callable[[], None]]] = queue.Queue()
        self._thread = threading.Thread(target=self._main, name=f"{self.name}-main", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job()

    def capture(self) -> Optional[Capture]:
        return Capture(frame=self.frame, width=8, height=8, pixels=np.zeros((8, 8, 3), np.uint8))

    def playhead(self) -> PlayheadState:
        return PlayheadState(self.frame, self.rate, self.playing, self.first, self.last)

    def set_playhead(self, frame: int, playing: Optional[bool] = None) -> None:
        self.frame = frame
        if playing is not None:
            self.playing = playing
        self.events.playhead_changed()

    def anchor(self) -> Anchor:
        return Anchor(frame=self.frame, object=self.anchor_object)

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
        pass

    def shut(self) -> None:
        """End the main thread (after stop, when the test is done with the host)."""
        self._jobs.put(None)
