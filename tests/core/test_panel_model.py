"""PanelModel without Qt: a recording view, a plain event loop, a real relay and an in-memory host.

The view records what it is told to show; "the view's thread" is a queue this test runs
(``Loop``), as a panel's GUI thread runs what the workers post back.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Optional

import pytest

from overshoulder.core.links import parse_invite
from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.core.panel_model import PanelModel, Typed
from overshoulder.core.settings import PanelSettings
from overshoulder.core.share_session import ShareSession
from tests.hosts.memory import MemoryHost
from tests.waiting import wait_for


class Loop:
    """The view's thread: what workers post back waits here until ``until`` runs it."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self.thread = threading.current_thread()

    def post(self, fn: Callable[[], None]) -> None:
        self._jobs.put(fn)

    def http(self, work: Callable[[], Any], done: Any, failed: Any) -> None:
        def run() -> None:
            try:
                result = work()
            except Exception as exc:
                self.post(lambda e=exc: failed(e))  # type: ignore[misc]
                return
            self.post(lambda: done(result))

        threading.Thread(target=run, daemon=True).start()

    def life(self, work: Callable[[], Any], done: Optional[Callable[[Any], None]] = None) -> None:
        def run() -> None:
            result = work()
            if done is not None:
                self.post(lambda: done(result))

        threading.Thread(target=run, daemon=True).start()

    def until(self, cond: Callable[[], object], timeout: float = 10.0) -> bool:
        def ran() -> object:
            while not self._jobs.empty():
                self._jobs.get()()
            return cond()

        return wait_for(ran, timeout)


class RecordingView:
    """A view that shows nothing: it keeps the last status and error, and counts redraws."""

    def __init__(self) -> None:
        self.fields = Typed(name="Mia")
        self.shown = True
        self.status = ""
        self.statuses: list[str] = []
        self.error = ""
        self.hints: list[str] = []
        self.links: list[str] = []
        self.redraws = 0
        self.opened: list[ShareSession] = []
        self.left = 0
        self.switched = 0

    def typed(self) -> Typed:
        return self.fields

    def type(self, **fields: Any) -> None:
        self.fields = Typed(**{**self.fields.__dict__, **fields})

    def isVisible(self) -> bool:  # the view protocol's name (Qt's)
        return self.shown

    def show_relay(self, relay: str) -> None:
        self.type(relay=relay)

    def show_status(self, text: str) -> None:
        self.status = text
        self.statuses.append(text)

    def show_error(self, text: str) -> None:
        self.error = text

    def clear_error(self) -> None:
        self.error = ""

    def redraw(self) -> None:
        self.redraws += 1

    def redraw_controls(self) -> None:
        self.redraws += 1

    def sessions_listed(self, hint: str) -> None:
        self.hints.append(hint)

    def session_opened(self, share: ShareSession) -> None:
        self.opened.append(share)

    def session_leaving(self) -> None:
        self.left += 1

    def sharing_switched(self) -> None:
        self.switched += 1

    def invite_made(self, link: str) -> None:
        self.links.append(link)


@pytest.fixture
def host() -> Iterator[MemoryHost]:
    h = MemoryHost()
    yield h
    h.shut()


@pytest.fixture
def loop() -> Loop:
    return Loop()


@pytest.fixture
def view() -> RecordingView:
    return RecordingView()


@pytest.fixture
def model(host: MemoryHost, loop: Loop, view: RecordingView, tmp_path: Any) -> Iterator[PanelModel]:
    settings = PanelSettings(tmp_path / "panel.json")
    made = PanelModel(host, settings, view, http=loop.http, dispatch=loop.post, life=loop.life)
    yield made
    share = made.share
    made.close()
    if share is not None:
        assert loop.until(lambda: share.state == "closed")


def synced(model: PanelModel, loop: Loop) -> ShareSession:
    assert loop.until(lambda: model.share is not None and model.share.state == "synced")
    assert model.share is not None
    return model.share


def test_share_with_no_session_makes_one_shares_and_copies_an_invite(relay, model, view, loop):
    view.type(relay=relay.url, session_name="Shot 010", invite_role="viewer")
    model.set_sharing(True)
    assert model.busy == {"create"} and model.pending_share
    assert view.status == f"making a session on {relay.url}…"
    share = synced(model, loop)
    assert view.opened == [share] and share.role == "host" and share.session is not None
    assert share.session.name == "Shot 010"
    assert loop.until(lambda: view.links and model.sharing and view.switched == 1)
    assert not model.pending_share and model.busy == set()
    assert {"sharing the viewer", "viewer link copied to the clipboard"} <= set(view.statuses)
    invite = parse_invite(view.links[0])
    assert invite.role == "viewer" and invite.relay == relay.url
    # Kept: the relay, the name, and the host token, so it can be taken back later.
    assert model.settings.relay == relay.url and model.settings.name == "Mia"
    hosted = model.settings.hosted_session(relay.url, share.session.id)
    assert hosted is not None and hosted.token == share.token

    model.close()
    assert model.share is None and view.left == 1 and view.status == "leaving the session…"
    assert loop.until(lambda: view.status == "left the session")
    assert loop.until(lambda: any("Shot 010" in text for _, text in model.session_rows()))
    assert [text for _, text in model.session_rows()] == [
        "Shot 010\nhost Mia · nobody here · yours"
    ]
    # Taken back as host with the token kept.
    view.type(picked=share.session.id)
    assert model.picked_is_mine()
    model.rejoin()
    assert synced(model, loop).role == "host"


def test_refresh_lists_the_sessions_and_the_newest_answer_wins(relay, model, view, loop):
    relay.create_session(name="Lighting dailies", host_name="Ben")
    view.type(relay=relay.url)
    model.refresh()
    assert model.busy == {"refresh"} and "asking" in view.status
    model.relay_typed()  # nothing listed yet: nothing to forget
    view.type(relay="http://127.0.0.1:9")
    model.refresh(quiet=True)  # a newer request, for another relay, in flight
    assert loop.until(lambda: "refresh" not in model.busy)
    assert loop.until(lambda: view.hints and view.hints[-1].startswith("No sessions listed"))
    assert model.sessions == [] and model.listed_relay == "http://127.0.0.1:9"
    assert view.error == "", "a quiet refresh says nothing but the hint"

    view.type(relay=relay.url)
    model.relay_edited()  # a new address: asked quietly
    assert loop.until(lambda: model.listed_relay == relay.url)
    assert [text for _, text in model.session_rows()] == [
        "Lighting dailies\nhost Ben · nobody here"
    ]
    assert view.hints[-1] == ""
    model.relay_typed()  # another address being typed: the list goes at once
    assert model.sessions == [] and model.listed_relay is None
    assert view.hints[-1] == "Press Enter or Refresh to list this relay's sessions"


def test_what_is_refused_is_said_in_one_line(relay, model, view, loop):
    view.type(relay="ftp://relay")
    model.refresh()
    assert "must look like http://host:port" in view.error and model.busy == set()
    view.type(relay=relay.url, name="  ")
    model.create()
    assert view.error == "type your name first: the others see it next to your notes"
    view.type(name="Mia")
    model.join("not a link at all")
    assert "not an invite link or token" in view.error
    model.make_invite()
    assert view.error == "open a session first (Create or Share), then make an invite"
    model.set_watermark("everyone")
    assert view.error == "only the session's host sets the watermark"
    made = relay.create_session()
    view.type(picked=made["session"]["id"])
    assert not model.picked_is_mine()
    model.rejoin()
    assert "not made from this panel" in view.error

    # A reviewer: no sharing, no invites, no watermark.
    sid = made["session"]["id"]
    model.join(f"{relay.url}/s/{sid}#t={relay.invite(sid, 'reviewer')}")
    share = synced(model, loop)
    assert share.role == "reviewer" and view.error == ""
    model.set_sharing(True)
    assert "only the session's host shares" in view.error
    model.make_invite()
    assert view.error == "only the session's host can make invite links"
    model.set_watermark("off")
    assert view.error == "only the session's host sets the watermark"
    assert not model.send_chat("   ")
    assert model.send_chat(" hello ")
    assert loop.until(lambda: [c.text for c in share.chat_log] == ["hello"])

    # A token the relay did not sign: refused, said plainly, the session closed again.
    token = made["host_token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    model.join(f"{relay.url}/s/{sid}#t={forged}")
    assert loop.until(lambda: model.share is None)
    assert view.error.startswith("the relay refused to let you in: ")


def test_the_host_sets_the_watermark_follows_and_works_the_notes(relay, host, model, view, loop):
    view.type(relay=relay.url)
    model.create()
    share = synced(model, loop)
    model.set_watermark("sometimes")
    assert view.error == "the watermark is one of viewers, everyone, off, not 'sometimes'"
    model.set_watermark("everyone")
    assert view.status == "watermark: everyone"
    assert loop.until(lambda: share.session is not None and share.session.watermark == "everyone")

    note = Annotation(
        id=new_id(), shape=Shape(kind="arrow", start=(0, 0), end=(1, 1)), anchor=Anchor(frame=1010)
    )
    share.note_actions.add(note)
    assert loop.until(lambda: note.id in share.annotations)
    model.set_status(note.id, "done")
    assert loop.until(lambda: share.annotations[note.id].status == "done")
    host.frame = 1004  # before the note: it now starts here, and ends where it ended
    model.end_here(note.id)
    assert loop.until(lambda: share.annotations[note.id].anchor.frame == 1004)
    assert share.annotations[note.id].anchor.last == 1010
    host.frame = 1020
    model.end_here(note.id)
    assert loop.until(lambda: share.annotations[note.id].anchor.last == 1020)
    assert share.annotations[note.id].anchor.frame == 1004
    assert model.delete_note(note.id)
    assert loop.until(lambda: note.id not in share.annotations)

    model.follow(False)
    assert not model.following and share.sharer is not None and not share.sharer.following
    model.follow(True)
    assert share.sharer.following
    model.close()
    assert not model.delete_note(note.id), "no session, nothing to delete"


def test_jumping_to_a_note_goes_free_of_the_driver(relay, host, model, view, loop, tmp_path):
    made = relay.create_session()
    sid = made["session"]["id"]
    other = MemoryHost()
    try:
        driver = ShareSession(relay.url, made["host_token"], "Ana", other, "host")
        driver.start()
        assert driver.wait_synced(10)
        model.join(f"{relay.url}/s/{sid}#t={relay.invite(sid, 'reviewer')}")
        share = synced(model, loop)
        note = Annotation(
            id=new_id(),
            shape=Shape(kind="arrow", start=(0, 0), end=(1, 1)),
            anchor=Anchor(frame=1042),
        )
        driver.note_actions.add(note)
        assert loop.until(lambda: note.id in share.annotations and share.driver is not None)
        assert model.following and share.sharer is not None and share.sharer.following
        model.jump_to(note.id)
        assert not model.following and not share.sharer.following
        assert wait_for(lambda: host.frame == 1042)
        model.jump_to("no such note")
        driver.close()
    finally:
        other.shut()
