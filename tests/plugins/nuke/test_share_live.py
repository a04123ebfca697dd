"""Nuke (the fake) shared through a real relay: frames out, a reviewer drives and draws, the
note lands on the node in the script, and comes back from the saved script into a new session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.codec import FrameEncoder, decode_jpeg
from overshoulder.core.model import Anchor, Annotation, Playhead, Shape, Style, new_id
from overshoulder.core.share import Sharer
from overshoulder.plugins.nuke.defaults import NOTES_KNOB
from overshoulder.plugins.nuke.host import NukeHost
from tests.conftest import RelayProcess
from tests.fakes.nuke_control import MainLoop, expected_pattern, on_main
from tests.plugins.player.test_share_live import FrameLog, reviewer, take_the_drive, wait_for


class Shared:
    """NukeHost + SessionClient(publish_frames) + FrameEncoder + Sharer, as the panel runs them."""

    def __init__(self, relay: RelayProcess, token: str, loop: MainLoop, temp: Path) -> None:
        self.host = NukeHost(main_thread=loop.thread, temp_dir=str(temp))
        self.client = SessionClient(relay.url, token, "Mia", client="nuke", publish_frames=True)
        self.sharer = Sharer(self.host, self.client, FrameEncoder(self.client.publish_frame))
        on_main(self.sharer.start)  # the panel starts sharing on Nuke's main thread
        self.client.start()
        assert self.client.wait_synced(10), f"{self.client.state} {self.client.last_error}"

    def close(self) -> None:
        self.sharer.stop()
        self.client.close()


@pytest.fixture
def shares(relay: RelayProcess, main_loop: MainLoop, tmp_path: Path) -> Iterator[Any]:
    made: list[Shared] = []

    def share(token: str) -> Shared:
        made.append(Shared(relay, token, main_loop, tmp_path / f"captures-{len(made)}"))
        return made[-1]

    yield share
    for s in made:
        s.close()


def stored_on(node: Any) -> dict[str, Any]:
    import json

    text = on_main(lambda: node.knob(NOTES_KNOB).value() if node.knob(NOTES_KNOB) else "{}")
    return dict(json.loads(text))


def test_a_reviewer_sees_nukes_frames_drives_draws_and_the_note_outlives_the_session(
    nuke: ModuleType, comp: dict[str, Any], relay: RelayProcess, shares: Any, tmp_path: Path
) -> None:
    session = relay.create_session(name="sh010 comp")
    mia = shares(session["host_token"])
    log = FrameLog()
    rita = reviewer(relay, relay.invite(session["session"]["id"]), log)
    try:
        # The frame Nuke wrote, at the reviewer: the viewed node's pattern at 1001.
        wait_for(lambda: log.last(1001) is not None, what="Nuke's first frame")
        header, payload = log.last(1001)  # type: ignore[misc]
        image = decode_jpeg(payload)
        assert (header.width, header.height) == (320, 180)
        assert np.abs(image.astype(int) - expected_pattern(comp["grade"], 1001)).mean() < 4

        # The reviewer drives to 1004: Nuke's current frame follows, and its frame comes back.
        take_the_drive(rita)
        rita.set_playhead(Playhead(frame=1004, playing=False))
        wait_for(lambda: on_main(nuke.frame) == 1004, what="Nuke to follow to 1004")
        wait_for(lambda: log.last(1004) is not None, what="frame 1004 at the reviewer")
        shown = decode_jpeg(log.last(1004)[1])  # type: ignore[index]
        assert np.abs(shown.astype(int) - expected_pattern(comp["grade"], 1004)).mean() < 4

        # The reviewer draws on 1004, as the browser does (a frame, no node): it lands on
        # the node the viewer shows, in its hidden knob, with its frame.
        note = Annotation(
            id=new_id(),
            shape=Shape(kind="stroke", points=[[-0.5, 0.1], [0.0, 0.1], [0.5, 0.1]]),
            anchor=Anchor(frame=1004),
            style=Style(color=(0.0, 1.0, 0.0, 1.0), width=0.02),
            text="this edge, “please”",
        )
        rita.add_annotation(note)
        wait_for(lambda: note.id in stored_on(comp["grade"]), what="the note in Grade1's knob")
        kept = stored_on(comp["grade"])[note.id]
        assert kept["anchor"]["frame"] == 1004 and kept["text"] == "this edge, “please”"
        assert kept["author_name"] == "Rita"
    finally:
        rita.close()
    mia.close()

    # Save, close, reopen the script: the note is still on Grade1.
    script = tmp_path / "sh010_comp_v004.nk"
    on_main(lambda: nuke.scriptSave(str(script)))
    on_main(nuke.scriptClear)
    on_main(lambda: nuke.scriptOpen(str(script)))
    grade = on_main(lambda: nuke.toNode("Grade1"))
    assert note.id in stored_on(grade)

    # Shared into a new session, the script's note goes back to the session.
    later = relay.create_session(name="sh010 comp, next day")
    shares(later["host_token"])
    sam = reviewer(relay, relay.invite(later["session"]["id"]), FrameLog())
    try:
        wait_for(lambda: note.id in sam.annotations, what="the note re-synced from the script")
        back = sam.annotations[note.id]
        assert (back.anchor.frame, back.text) == (1004, "this edge, “please”")
    finally:
        sam.close()
