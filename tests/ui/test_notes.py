"""The note list's rules, invite links and remembered settings (no Qt)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from overshoulder.core import notes
from overshoulder.core import settings as ui_settings
from overshoulder.core.links import LinkError, normalise_relay, parse_invite
from overshoulder.core.model import Anchor, Annotation, HostObject, ImageRef, Shape, new_id
from overshoulder.core.settings import HostedSession, PanelSettings


def make(frame: int, created: float, author: str = "a", image: ImageRef | None = None, **kw):
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0, 0), end=(0.1, 0.1)),
        anchor=Anchor(
            frame=frame, image=image, object=kw.pop("obj", None), duration=kw.pop("duration", None)
        ),
        created=created,
        author=author,
        author_name=author.upper(),
        **kw,
    )


def test_notes_are_grouped_per_frame_in_frame_then_time_order():
    late = make(1010, 5.0)
    early = make(1010, 1.0)
    first = make(1001, 9.0, status="done")
    unsent = Annotation(
        id=new_id(), shape=Shape(kind="text", at=(0, 0), text="hi"), anchor=Anchor(frame=1001)
    )
    groups = notes.by_frame([late, first, unsent, early])
    assert [(g.frame, [n.id for n in g.notes]) for g in groups] == [
        (1001, [first.id, unsent.id]),
        (1010, [early.id, late.id]),
    ]
    assert groups[0].open == 1


def test_hidden_authors_are_left_out():
    mine, theirs = make(1, 1.0, "me"), make(1, 2.0, "them")
    assert notes.on_frame([mine, theirs], 1, hidden_authors={"them"}) == [mine]
    assert notes.on_frame([mine, theirs], 2) == []


def test_a_range_note_is_drawn_on_every_frame_of_its_range_and_listed_once_at_its_first():
    pop = make(1012, 1.0, text="this pop", duration=9)
    single = make(1015, 2.0)
    assert notes.on_frame([pop, single], 1011) == []
    assert notes.on_frame([pop, single], 1012) == [pop]
    assert notes.on_frame([pop, single], 1015) == [pop, single]
    assert notes.on_frame([pop, single], 1020) == [pop]
    assert notes.on_frame([pop, single], 1021) == []
    groups = notes.by_frame([single, pop])
    assert [(g.frame, [n.id for n in g.notes]) for g in groups] == [
        (1012, [pop.id]),
        (1015, [single.id]),
    ]
    assert notes.describe(pop) == "arrow by A, frames 1012-1020: this pop"


def test_a_note_drawn_on_another_image_says_so():
    drawn = make(1, 1.0, image=ImageRef(hash="aa", version="v012"))
    same = ImageRef(hash="aa", version="v012")
    assert notes.stale_warning(drawn, same) is None
    assert notes.stale_warning(drawn, ImageRef(version="v013")) == "drawn on v012, now showing v013"
    warning = notes.stale_warning(drawn, ImageRef(hash="bb"))
    assert warning is not None and "different image" in warning
    # Nothing to compare: no warning either way.
    assert notes.stale_warning(drawn, None) is None
    assert notes.stale_warning(make(1, 1.0), ImageRef(hash="bb")) is None
    assert (
        notes.stale_warning(make(1, 1.0, image=ImageRef(hash="aa")), ImageRef(version="v1")) is None
    )


def test_a_row_names_the_kind_the_author_the_words_and_what_it_is_about():
    note = make(1, 1.0, "sam", text="lift the shadows", obj=HostObject("nuke.node", "Grade1"))
    assert notes.describe(note) == "arrow by SAM: lift the shadows"
    assert notes.about(note) == "Grade1"


def token(payload: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"os1.{body}.c2lnbmF0dXJl"


def test_an_invite_link_gives_the_relay_the_token_and_its_claims():
    t = token({"s": "abc123", "r": "reviewer", "nm": "Sam"})
    invite = parse_invite(f"  https://relay.studio:8443/review/s/abc123#t={t} ")
    assert invite.relay == "https://relay.studio:8443/review"
    assert (invite.token, invite.session_id, invite.role, invite.name) == (
        t,
        "abc123",
        "reviewer",
        "Sam",
    )
    bare = parse_invite(t, "relay.local:8770")
    assert bare.relay == "http://relay.local:8770" and bare.token == t


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "paste an invite link"),
        ("hello there", "not an invite link or token"),
        ("http://relay:8770/", "names no session"),
        ("http://relay:8770/s/abc", "has no token"),
        ("http://relay:8770/s/abc#t=garbage", "damaged"),
        (f"http://relay:8770/s/other#t={token({'s': 'abc'})}", "another session"),
    ],
)
def test_a_bad_invite_says_what_is_wrong(text: str, words: str):
    with pytest.raises(LinkError, match=words):
        parse_invite(text, "http://relay:8770")


def test_relay_addresses_are_normalised_or_refused():
    assert normalise_relay("relay:8770/") == "http://relay:8770"
    with pytest.raises(LinkError, match="empty"):
        normalise_relay(" ")
    with pytest.raises(LinkError, match="must look like"):
        normalise_relay("ftp://relay")


def test_settings_are_remembered_in_the_config_folder(config_dir: Path):
    assert ui_settings.config_dir() == config_dir
    first = PanelSettings()
    assert first.path == config_dir / "panel.json"
    first.relay, first.name = "http://relay:9000", "Mia"
    first.remember_hosted(HostedSession("sid1", "http://relay:9000", "os1.x.y", "Shot 10"))
    first.save()
    again = PanelSettings()
    assert (again.relay, again.name) == ("http://relay:9000", "Mia")
    kept = again.hosted_session("http://relay:9000", "sid1")
    assert kept is not None and kept.token == "os1.x.y"
    assert again.hosted_session("http://other:9000", "sid1") is None


def test_an_unreadable_settings_file_starts_afresh(config_dir: Path):
    config_dir.mkdir(parents=True)
    (config_dir / "panel.json").write_text("{not json")
    settings = PanelSettings()
    assert settings.name == "" and settings.relay.startswith("http://")


class _Unacked:
    """A client whose state never shows one's own edits (the relay has not acked them yet)."""

    def __init__(self) -> None:
        self.annotations: dict[str, Any] = {}
        self.calls: list[tuple[str, str]] = []
        self.participant = None

    def add_annotation(self, note: Any) -> str:
        self.calls.append(("add", note.id))
        return "e"

    def delete_annotation(self, note_id: str) -> str:
        self.calls.append(("delete", note_id))
        return "e"


class _Sharer:
    def __init__(self) -> None:
        self.client = _Unacked()
        self.host = self

    def add_note(self, note: Any) -> str:
        return self.client.add_annotation(note)

    def run_on_main(self, fn: Any) -> None:
        pass


def test_undo_and_redo_right_after_an_edit_do_not_wait_for_the_relays_ack() -> None:
    from overshoulder.core.history import NoteActions

    sharer = _Sharer()
    actions = NoteActions(sharer)  # type: ignore[arg-type]
    note = Annotation(new_id(), Shape(kind="line", start=(0, 0), end=(0.1, 0)), Anchor(frame=1))
    actions.add(note)
    actions.undo()  # before the add is acked: the note must still go
    actions.redo()  # before the delete is acked: it must come back
    actions.undo()
    assert sharer.client.calls == [
        ("add", note.id),
        ("delete", note.id),
        ("add", note.id),
        ("delete", note.id),
    ]
