"""What the panel's rows and lines say, without Qt."""

from __future__ import annotations

from overshoulder.core import panel_text
from overshoulder.core.model import (
    Anchor,
    Annotation,
    ChatMessage,
    Participant,
    SessionInfo,
    Shape,
    new_id,
)
from overshoulder.core.notes import by_frame
from overshoulder.core.protocol.messages import Error


def note(
    frame: int, author: str = "", name: str = "", duration: int | None = None, done: bool = False
) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0, 0), end=(1, 1)),
        anchor=Anchor(frame=frame, duration=duration),
        author=author or None,
        author_name=name or None,
        status="done" if done else "open",
    )


def test_a_sessions_row_names_it_its_host_and_who_is_there():
    shot = SessionInfo(id="s1", name="Shot 010", created=0, host_name="Ana", participants=2)
    assert panel_text.session_text(shot, mine=False) == "Shot 010\nhost Ana · 2 here"
    bare = SessionInfo(id="s2", name="", created=0)
    assert panel_text.session_text(bare, mine=True) == "s2\nnobody here · yours"


def test_people_hosts_first_then_by_name_then_whoever_left_notes():
    people = {
        "v": Participant(id="v", name="val", role="viewer"),
        "s": Participant(id="s", name="Sam", role="reviewer", following=False),
        "m": Participant(id="m", name="Mia", role="host", state="drawing"),
        "a": Participant(id="a", name="ana", role="reviewer"),
    }
    notes = {n.id: n for n in [note(1, "gone", "Leo"), note(2, "s", "Sam"), note(3, "x")]}
    rows = panel_text.listed_people(people, notes)
    assert [(pid, name) for pid, name, _ in rows] == [
        ("m", "Mia"),
        ("a", "ana"),
        ("s", "Sam"),
        ("v", "val"),
        ("gone", "Leo"),
        ("x", "someone"),
    ]
    texts = [panel_text.person_text(name, p, pid == "s", pid == "m") for pid, name, p in rows]
    assert texts == [
        "Mia (host, drives, drawing)",
        "ana (reviewer)",
        "Sam (reviewer, you, free)",
        "val (viewer)",
        "Leo (left)",
        "someone (left)",
    ]
    assert panel_text.driver_text(None, people["s"], people) == "Nobody drives"
    assert panel_text.driver_text("s", people["s"], people) == "You drive"
    assert panel_text.driver_text("m", people["s"], people) == "Mia drives"
    assert panel_text.driver_text("gone", None, people) == "someone drives"


def test_a_frame_groups_title_counts_its_notes_and_says_where_the_playhead_is():
    group, single = by_frame([note(1001), note(1001, duration=5, done=True), note(1010)])
    assert panel_text.frame_title(group, 1003) == "Frame 1001 · 2 notes, 1 open · here"
    assert panel_text.frame_title(group, 1007) == "Frame 1001 · 2 notes, 1 open"
    assert panel_text.frame_title(single, None) == "Frame 1010 · 1 note"
    assert panel_text.is_here(single, 1010) and not panel_text.is_here(single, None)


def test_chat_is_escaped_and_coloured_and_only_the_last_lines_are_kept():
    lines = [
        ChatMessage(id=new_id(), text="<b>bold</b>\nnext", author="s", author_name="Sam & co"),
        *(ChatMessage(id=new_id(), text=f"line {i}", author="m") for i in range(600)),
    ]
    out = panel_text.chat_html(lines[:1], lambda who: f"#{who}{who}{who}", "#888")
    assert "&lt;b&gt;bold&lt;/b&gt;<br>next" in out and "<b>bold" not in out
    assert '<b style="color:#sss">Sam &amp; co</b>' in out and "--:--" in out
    many = panel_text.chat_html(lines, lambda who: "#fff", "#888")
    assert many.count("<div>") == panel_text.CHAT_LINES and "line 599" in many
    assert "bold" not in many and "someone" in many


def test_relay_errors_name_what_was_refused_and_quiet_ones_are_left_out():
    err = Error(code="forbidden", message="viewers do not draw", type="annotation_add")
    assert (
        panel_text.relay_error_text(err)
        == "the relay refused (annotation add): viewers do not draw"
    )
    assert panel_text.relay_error_text(Error(code="rate_limited", message="slow down")) is None
    assert (
        panel_text.relay_error_text(Error(code="unauthorized", message="x", type="hello")) is None
    )
    assert panel_text.relay_error_text(Error(code="bad", message="no")) == "the relay refused: no"
    assert panel_text.warnings_text({"b": "two", "a": "one"}) == "⚠ one\n⚠ two"
