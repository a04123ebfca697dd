"""What the panel's rows and lines say, without Qt: sessions, people, frame groups, chat, errors.

Plain functions of the session's data; the panel puts their text into its widgets (the chat's
colours come from the widget's palette, passed in). No Qt here.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Optional

from .model import Annotation, ChatMessage, Participant, SessionInfo
from .notes import FrameNotes
from .protocol.messages import Error

#: Chat lines shown at most.
CHAT_LINES = 500
#: How the people list is ordered: hosts, then reviewers, then everyone else.
ROLE_ORDER = {"host": 0, "reviewer": 1}


def session_text(session: SessionInfo, mine: bool) -> str:
    """A sessions list row: its name, then its host and who is there ("· yours" when made here)."""
    people = f"{session.participants} here" if session.participants else "nobody here"
    host = f"host {session.host_name} · " if session.host_name else ""
    return f"{session.name or session.id}\n{host}{people}{' · yours' if mine else ''}"


def listed_people(
    participants: Mapping[str, Participant], annotations: Mapping[str, Annotation]
) -> list[tuple[str, str, Optional[Participant]]]:
    """(id, name, person) of everyone in the people list, in order: who is here (hosts first,
    then by name), then whoever left notes and is gone (person None)."""
    people = sorted(
        participants.values(), key=lambda p: (ROLE_ORDER.get(p.role, 2), p.name.lower())
    )
    here = {p.id for p in people}
    gone: dict[str, str] = {}
    for note in annotations.values():
        if note.author and note.author not in here:
            gone[note.author] = note.author_name or "someone"
    rows: list[tuple[str, str, Optional[Participant]]] = [(p.id, p.name, p) for p in people]
    rows.extend((pid, name, None) for pid, name in gone.items())
    return rows


def person_text(
    name: str, person: Optional[Participant], me: bool, drives: bool, voice: str = ""
) -> str:
    """One person's line: "Mia (host, drives, you)", "Sam (reviewer, drawing)", "Ana (left)";
    ``voice``: what their voice is doing ("speaking", "muted", "in voice"; "" when not in it)."""
    if person is None:
        return f"{name} (left)"
    bits: list[str] = [person.role]
    if drives:
        bits.append("drives")
    if me:
        bits.append("you")
    if person.state in ("drawing", "typing", "away"):
        bits.append(person.state)
    elif not person.following:
        bits.append("free")
    if voice:
        bits.append(voice)
    return f"{name} ({', '.join(bits)})"


def driver_text(
    driver: Optional[str], me: Optional[Participant], participants: Mapping[str, Participant]
) -> str:
    """Who has the playhead: "Nobody drives", "You drive", "Leo drives"."""
    if driver is None:
        return "Nobody drives"
    if me is not None and driver == me.id:
        return "You drive"
    who = participants.get(driver)
    return f"{who.name if who else 'someone'} drives"


def is_here(group: FrameNotes, frame: Optional[int]) -> bool:
    """Whether a note of the group is drawn on ``frame`` (a range note: anywhere in it)."""
    return frame is not None and any(n.anchor.holds(frame) for n in group.notes)


def frame_title(group: FrameNotes, frame: Optional[int]) -> str:
    """A frame group's title: "Frame 1012 · 2 notes, 1 open · here"."""
    count = len(group.notes)
    title = f"Frame {group.frame} · {count} note{'s' if count != 1 else ''}"
    if group.open != count:
        title += f", {group.open} open"
    return title + (" · here" if is_here(group, frame) else "")


def chat_html(
    chat: Iterable[ChatMessage], color_of: Callable[[Optional[str]], str], faint: str
) -> str:
    """The last ``CHAT_LINES`` lines as rich text: the time in ``faint``, each name in
    ``color_of(author)``; what people typed is escaped, never read as markup."""
    lines = []
    for line in list(chat)[-CHAT_LINES:]:
        when = time.strftime("%H:%M", time.localtime(line.ts)) if line.ts else "--:--"
        name = html.escape(line.author_name or "someone")
        text = html.escape(line.text).replace("\n", "<br>")
        lines.append(
            f'<div><span style="color:{faint}">{when}</span> '
            f'<b style="color:{color_of(line.author)}">{name}</b>: {text}</div>'
        )
    return "".join(lines)


def relay_error_text(err: Error) -> Optional[str]:
    """The error line for a refusal the relay sent (None: nothing to tell the user)."""
    if err.code == "rate_limited" or err.type == "hello":
        return None
    what = f" ({err.type.replace('_', ' ')})" if err.type else ""
    return f"the relay refused{what}: {err.message}"


def warnings_text(warnings: Mapping[str, str]) -> str:
    """The warnings about the app and the session, one "⚠" line each, in key order."""
    return "\n".join(f"⚠ {text}" for _, text in sorted(warnings.items()))
