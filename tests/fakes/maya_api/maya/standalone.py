"""A FAKE of ``maya.standalone``: starting Maya inside a plain Python (mayapy), for tests only.

``initialize()`` makes the fake a batch session that answers commands; until then, in a
fake made with ``state.standalone_pending``, every command raises as an uninitialized
mayapy does (the message is assumed).
"""

from __future__ import annotations

from ._fake import state


def initialize(name: str = "python") -> None:
    state.standalone_pending = False
    state.batch = True
    state.standalone_runs.append(name)


def uninitialize() -> None:
    state.standalone_runs.append("uninitialize")
