"""What can go wrong with media: a path the player cannot share, a frame it cannot show."""

from __future__ import annotations

from pathlib import Path


class MediaError(Exception):
    """The path given cannot be shared (no such path, no frames, an unreadable timeline).

    The message is one sentence for the person who typed the path.
    """


class FrameUnreadable(Exception):
    """One frame of a clip cannot be shown: missing, damaged or truncated on disk.

    The session goes on; the frame is shown as a slate carrying this message.
    """

    def __init__(self, path: Path, frame: int, reason: str) -> None:
        self.path = Path(path)
        self.frame = frame
        self.reason = reason
        super().__init__(f"frame {frame}: {self.path.name}: {reason}")
