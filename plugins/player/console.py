"""Terminal commands for a running share: one key each (space, n, b, l, d, f, q), g N to seek."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Optional, TextIO

from overshoulder.core.share import Sharer

from .host import PlayerHost

#: The commands, as ``--help`` and ``?`` list them.
KEYS = (
    ("space, p", "play / pause"),
    ("n, b", "step one frame forward / back"),
    ("g N", "go to frame N (type g, the number, Enter)"),
    ("l", "loop on / off"),
    ("d", "drive: take the playhead (back) for everyone"),
    ("f", "follow the driver on / off"),
    ("q", "quit (Ctrl-C works too)"),
)


def keys_help() -> str:
    width = max(len(k) for k, _ in KEYS)
    return "\n".join(f"  {k.ljust(width)}  {what}" for k, what in KEYS)


class Console:
    """Turns commands into calls on the player and the sharer; ``handle`` answers in words."""

    def __init__(
        self,
        host: PlayerHost,
        sharer: Sharer,
        quit: Callable[[], None],
        out: TextIO = sys.stdout,
    ) -> None:
        self.host = host
        self.sharer = sharer
        self.quit = quit
        self.out = out

    def handle(self, command: str) -> Optional[str]:
        """Run one command (``"p"``, ``"n"``, ``"g 1010"``, ...); returns what to print."""
        text = command.strip()
        key = command if command == " " else text[:1].lower()
        if not key:
            return None
        if key in (" ", "p"):
            playing = not self.host.playhead().playing
            self.host.toggle_play()
            return "playing" if playing else "paused"
        if key in ("n", "b"):
            self.host.step(1 if key == "n" else -1)
            return None
        if key == "g":
            number = text[1:].strip()
            try:
                frame = int(number)
            except ValueError:
                return f"g needs a frame number, e.g. g {self.host.playlist.first}"
            self.host.seek(frame)
            return f"frame {frame}"
        if key == "l":
            loop = not self.host.loop
            self.host.set_loop(loop)
            return "loop on" if loop else "loop off"
        if key == "d":
            self.sharer.drive()
            return "you drive the playhead"
        if key == "f":
            self.sharer.follow(not self.sharer.following)
            return "following the driver" if self.sharer.following else "free: not following"
        if key == "q":
            self.quit()
            return "quitting"
        if key in ("?", "h"):
            return "keys:\n" + keys_help()
        return f"unknown key {text[:1]!r}; ? lists the keys"

    def say(self, line: Optional[str]) -> None:
        if line:
            print(f"\r{line}", file=self.out, flush=True)

    def run_in_background(self, stdin: TextIO) -> threading.Thread:
        """Read keys from the terminal ``stdin`` on a daemon thread until ``q`` or end of input."""
        thread = threading.Thread(
            target=self._read, args=(stdin,), name="overshoulder-player-keys", daemon=True
        )
        thread.start()
        return thread

    def _read(self, stdin: TextIO) -> None:
        while True:
            char = stdin.read(1)
            if not char:
                return
            if char == "g":
                self.out.write("g ")
                self.out.flush()
                number = self._read_line(stdin)
                self.say(self.handle(f"g {number}"))
                continue
            if char in "\r\n":
                continue
            self.say(self.handle(char))
            if char.lower() == "q":
                return

    def _read_line(self, stdin: TextIO) -> str:
        """Digits up to Enter, echoed (the terminal does not echo in cbreak mode)."""
        typed = ""
        while True:
            char = stdin.read(1)
            if not char or char in "\r\n":
                self.out.write("\n")
                return typed
            if char in ("\x7f", "\b"):
                if typed:
                    typed = typed[:-1]
                    self.out.write("\b \b")
            else:
                typed += char
                self.out.write(char)
            self.out.flush()


@contextlib.contextmanager
def keys_mode(stdin: TextIO) -> Iterator[bool]:
    """The terminal in cbreak mode (keys arrive one by one, Ctrl-C still works) while inside.

    Yields False, changing nothing, when ``stdin`` is not a terminal.
    """
    if not stdin.isatty() or os.name != "posix":
        yield False
        return
    import termios
    import tty

    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
