"""What the panel does, without Qt: the relay's sessions, making and joining one, and the share.

``PanelModel`` holds what a panel knows besides its widgets: the sessions the relay last
listed, which HTTP calls are in flight, whether a share waits for its session, whether to
follow, what the panel remembers (``PanelSettings``), and the ``ShareSession`` it is in.
It decides what happens on each click and on each word from the relay, and tells its
view what to show through the few methods of ``PanelView``; the view (the Qt panel, or a
test's recorder) reads the model back when it draws.

Threads: every HTTP call runs through ``background`` (work on a worker thread, ``done`` or
``failed`` back on the view's thread); the session's callbacks and blocking steps go
through ``dispatch`` and ``life`` (see ``ShareOptions``). Everything here runs on the
view's thread. No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Optional, Protocol

from . import links, panel_text, relay_api
from .client import Dispatch
from .host import Host
from .model import SessionInfo
from .protocol import Envelope
from .settings import HostedSession, PanelSettings
from .share_session import Background, ShareOptions, ShareSession

#: The watermark settings a host picks from (SessionInfo.watermark).
WATERMARKS = ("viewers", "everyone", "off")
#: The messages after which the view draws again.
REDRAWN_ON = (
    "lease",
    "join",
    "leave",
    "presence",
    "chat",
    "annotation_add",
    "annotation_update",
    "annotation_delete",
)
#: Runs ``work()`` on a worker thread, then ``done(result)`` or ``failed(error)`` on the
#: view's thread.
HttpCall = Callable[
    [Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]], Any
]


@dataclass(frozen=True)
class Typed:
    """What the view's fields hold now."""

    relay: str = ""
    name: str = ""
    session_name: str = ""
    invite_role: str = "reviewer"
    #: The id of the session picked in the list (None: none).
    picked: Optional[str] = None


class PanelView(Protocol):
    """What the model asks of its view."""

    def typed(self) -> Typed: ...

    #: Whether the view is on screen (Qt's name: a QWidget has it already).
    def isVisible(self) -> bool: ...

    def show_relay(self, relay: str) -> None: ...

    def show_status(self, text: str) -> None: ...

    def show_error(self, text: str) -> None: ...

    def clear_error(self) -> None: ...

    def redraw(self) -> None: ...

    def redraw_controls(self) -> None: ...

    def sessions_listed(self, hint: str) -> None: ...

    def session_opened(self, share: ShareSession) -> None: ...

    def session_leaving(self) -> None: ...

    def sharing_switched(self) -> None: ...

    def invite_made(self, link: str) -> None: ...


class PanelModel:
    """The panel's state and decisions; ``view`` shows them."""

    def __init__(
        self,
        host: Host,
        settings: PanelSettings,
        view: PanelView,
        *,
        http: HttpCall,
        dispatch: Optional[Dispatch] = None,
        life: Optional[Background] = None,
    ) -> None:
        self.host = host
        self.settings = settings
        self.view = view
        self._http = http
        self._dispatch = dispatch
        self._life = life
        #: The session this panel is in (None: none).
        self.share: Optional[ShareSession] = None
        #: The sessions the relay last listed, and which relay that was (None: none listed).
        self.sessions: list[SessionInfo] = []
        self.listed_relay: Optional[str] = None
        self._refresh_gen = 0
        #: A session being made to share at once: share and invite once in.
        self.pending_share = False
        #: HTTP calls in flight ("refresh", "create", "invite"): their buttons wait.
        self.busy: set[str] = set()
        #: Follow the driver's playhead (in the session, and in the next one).
        self.following = True

    # --- the session's parts ---------------------------------------------------------------

    @property
    def role(self) -> Optional[str]:
        return self.share.role if self.share is not None else None

    @property
    def restarting(self) -> bool:
        return self.share is not None and self.share.restarting

    @property
    def sharing(self) -> bool:
        """True while this app's viewer is shared (or about to be)."""
        return self.share is not None and self.share.sharing

    @property
    def can_draw(self) -> bool:
        return self.share is not None and self.share.note_actions.can_draw

    # --- what is typed, and remembered ------------------------------------------------------

    def remember(self) -> None:
        """Keep the relay, the name and the invite role as typed now."""
        typed = self.view.typed()
        self.settings.relay = typed.relay.strip() or self.settings.relay
        self.settings.name = typed.name.strip()
        self.settings.invite_role = typed.invite_role
        self.settings.save()

    def _relay(self, text: str) -> Optional[str]:
        try:
            return links.normalise_relay(text)
        except links.LinkError as exc:
            self.view.show_error(str(exc))
            return None

    def _name(self, text: str) -> Optional[str]:
        name = text.strip()
        if not name:
            self.view.show_error("type your name first: the others see it next to your notes")
            return None
        return name

    def picked_is_mine(self) -> bool:
        """Whether the session picked in the list was made here (it can be taken back)."""
        typed = self.view.typed()
        if typed.picked is None:
            return False
        return self.settings.hosted_session(typed.relay.strip(), typed.picked) is not None

    # --- the relay's sessions ---------------------------------------------------------------

    def refresh(self, quiet: bool = False) -> None:
        """Ask the relay for its sessions; the list fills in with the answer.

        ``quiet`` (the panel's own refreshes): no status line and no error line, only the
        hint under the list says when the relay does not answer. The newest request wins.
        """
        text = self.view.typed().relay
        if quiet:
            try:
                relay = links.normalise_relay(text)
            except links.LinkError:
                return
        else:
            found_relay = self._relay(text)
            if found_relay is None:
                return
            relay = found_relay
            self.view.clear_error()
            self.view.show_status(f"asking {relay} for its sessions…")
            self.busy.add("refresh")
            self.view.redraw_controls()
        self._refresh_gen += 1
        gen = self._refresh_gen

        def done(found: list[SessionInfo]) -> None:
            if not quiet:
                self.busy.discard("refresh")
            if gen != self._refresh_gen:
                self.view.redraw_controls()
                return
            self.sessions = found
            if not quiet:
                self.remember()
                self.view.show_status(f"{len(found)} open session(s) on {relay}")
            self._listed(relay)

        def failed(exc: BaseException) -> None:
            if not quiet:
                self._failed("refresh")(exc)
            if gen == self._refresh_gen:
                self.sessions = []
                self._listed(relay, f"No sessions listed: {exc}")

        self._http(lambda: relay_api.list_sessions(relay), done, failed)

    def refresh_quietly(self) -> None:
        """The panel's own refresh: only out of a session, shown, and none in flight."""
        if self.share is None and self.view.isVisible() and "refresh" not in self.busy:
            self.refresh(quiet=True)

    def relay_typed(self) -> None:
        """The address is being changed: the list of the old relay's sessions goes at once."""
        if self.listed_relay is not None:
            self._refresh_gen += 1  # an answer still on its way is for the old address
            self.sessions = []
            self._listed(None, "Press Enter or Refresh to list this relay's sessions")

    def relay_edited(self) -> None:
        """The address was changed: remembered, and its sessions asked for when it is new."""
        self.remember()
        try:
            relay = links.normalise_relay(self.view.typed().relay)
        except links.LinkError:
            return
        if relay != self.listed_relay:
            self.refresh(quiet=True)

    def session_rows(self) -> list[tuple[str, str]]:
        """(session id, row text) of each session listed, in the relay's order."""
        relay = self.listed_relay
        return [
            (s.id, panel_text.session_text(s, self._hosted(relay, s.id) is not None))
            for s in self.sessions
        ]

    def _hosted(self, relay: Optional[str], session_id: str) -> Optional[HostedSession]:
        return self.settings.hosted_session(relay, session_id) if relay is not None else None

    def _listed(self, relay: Optional[str], hint: str = "") -> None:
        self.listed_relay = relay
        if not hint and relay is not None and not self.sessions:
            hint = f"No open sessions on {relay}: Share makes one."
        self.view.sessions_listed(hint)

    def _failed(self, job: str = "") -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            self.busy.discard(job)
            self.view.show_status("")
            self.view.show_error(str(exc))
            self.view.redraw_controls()

        return failed

    # --- making, joining and leaving a session ------------------------------------------------

    def create(self, share: bool = False) -> None:
        """Make a session on the relay and join it as its host (``share``: then share at once)."""
        typed = self.view.typed()
        relay, name = self._relay(typed.relay), self._name(typed.name)
        if relay is None or name is None:
            return
        title = typed.session_name.strip() or f"{name}'s review"
        self.view.clear_error()
        self.view.show_status(f"making a session on {relay}…")
        self.busy.add("create")
        self.view.redraw_controls()
        self.pending_share = share

        def done(made: relay_api.CreatedSession) -> None:
            self.busy.discard("create")
            self.settings.remember_hosted(
                HostedSession(
                    made.session.id, relay, made.host_token, made.session.name, made.expires_at
                )
            )
            self.remember()
            self.open(relay, made.host_token, name, "host")

        def failed(exc: BaseException) -> None:
            self.pending_share = False
            self._failed("create")(exc)

        self._http(lambda: relay_api.create_session(relay, title, name), done, failed)

    def join(self, text: str) -> None:
        """Join with a pasted invite link or token (a bare token joins the relay typed)."""
        typed = self.view.typed()
        name = self._name(typed.name)
        if name is None:
            return
        try:
            invite = links.parse_invite(text, typed.relay)
        except links.LinkError as exc:
            self.view.show_error(str(exc))
            return
        self.view.clear_error()
        if invite.relay != typed.relay.strip():
            self.view.show_relay(invite.relay)
        self.remember()
        self.open(invite.relay, invite.token, invite.name or name, invite.role)

    def rejoin(self) -> None:
        """Join the picked session again as its host, with the token kept when it was made."""
        typed = self.view.typed()
        relay, name = self._relay(typed.relay), self._name(typed.name)
        if relay is None or name is None or typed.picked is None:
            return
        hosted = self.settings.hosted_session(relay, typed.picked)
        if hosted is None:
            self.view.show_error(
                "this session was not made from this panel: ask its host for an invite link"
            )
            return
        self.view.clear_error()
        self.open(relay, hosted.token, name, "host")

    def open(self, relay: str, token: str, name: str, role: Optional[str]) -> None:
        """Join ``relay`` with ``token`` (leaving the session this panel is in first)."""
        if self.share is not None:
            self.close()
        options = ShareOptions(
            follow=self.following, dispatch=self._dispatch, background=self._life
        )
        try:
            share = ShareSession(relay, token, name, self.host, role, options)
        except Exception as exc:  # a bad name or token is refused here, before any socket
            self.view.show_error(f"cannot join: {exc}")
            return
        self.share = share
        share.on_state(self._state_changed)
        share.on("error", self._relay_error)
        for mtype in REDRAWN_ON:
            share.on(mtype, lambda env: self.view.redraw())
        share.start()
        self.view.session_opened(share)
        self.view.show_status(f"connecting to {relay}…")
        self.view.redraw()

    def close(self) -> None:
        """Leave the session: stop sharing and close the client (through ``life``); never
        waits."""
        share = self.share
        if share is None:
            return
        self.view.session_leaving()
        self.share = None
        self.pending_share = False
        self.view.show_status("leaving the session…")

        def done() -> None:
            if self.share is None:
                self.view.show_status("left the session")
                self.refresh_quietly()  # the list shows who is where now, not before
            self.view.redraw()

        share.leave(done)
        self.view.redraw()

    def set_sharing(self, on: bool) -> None:
        """Share this app's viewer (on) or stop sharing pixels (off); the session stays open.

        With no session open, "on" makes one first, shares, and copies an invite link.
        """
        share = self.share
        if share is None:
            if on:
                self.create(share=True)
            self.view.redraw_controls()
            return
        if self.role != "host":
            self.view.show_error("only the session's host shares the viewer; you joined as a guest")
            self.view.redraw_controls()
            return

        def started() -> None:
            self.view.sharing_switched()
            self.view.show_status("sharing the viewer" if on else "not sharing the viewer")
            self.view.redraw()

        if share.set_sharing(on, started):
            self.view.show_status("starting to share…" if on else "stopping the share…")
        self.view.redraw_controls()

    def make_invite(self, role: Optional[str] = None) -> None:
        """Make an invite link (reviewer or viewer) with the host token; the view copies it."""
        role = role or self.view.typed().invite_role
        share = self.share
        session = share.session if share is not None else None
        if share is None or session is None:
            self.view.show_error("open a session first (Create or Share), then make an invite")
            return
        if self.role != "host":
            self.view.show_error("only the session's host can make invite links")
            return
        relay, token = share.relay, share.token
        self.busy.add("invite")
        self.view.redraw_controls()

        def done(made: relay_api.InviteLink) -> None:
            self.busy.discard("invite")
            self.view.invite_made(made.link)
            self.view.show_status(f"{made.role} link copied to the clipboard")
            self.view.clear_error()

        self._http(
            lambda: relay_api.make_invite(relay, session.id, token, role),
            done,
            self._failed("invite"),
        )

    def set_watermark(self, mode: str) -> None:
        """Host: who sees the watermark ("viewers", "everyone", "off"), for the whole session."""
        share = self.share
        if share is None or self.role != "host":
            self.view.show_error("only the session's host sets the watermark")
            return
        if mode not in WATERMARKS:
            self.view.show_error(f"the watermark is one of {', '.join(WATERMARKS)}, not {mode!r}")
            return
        share.client.update_session(watermark=mode)  # type: ignore[arg-type]
        self.view.show_status(f"watermark: {mode}")

    # --- driving, following, chat, notes ------------------------------------------------------

    def follow(self, on: bool) -> None:
        """Follow the driver's playhead (on) or go free."""
        self.following = on
        if self.share is not None and self.share.sharer is not None:
            self.share.follow(on)
        self.view.redraw_controls()

    def toggle_drive(self) -> None:
        """Take the playhead, or give it back while driving."""
        if self.share is not None:
            self.share.drive()

    def send_chat(self, text: str) -> bool:
        """Say ``text`` to everyone; True when it went (the view then clears its field)."""
        text = text.strip()
        if not text or self.share is None:
            return False
        try:
            self.share.client.chat(text)
        except Exception as exc:
            self.view.show_error(f"chat not sent: {exc}")
            return False
        return True

    def jump_to(self, note_id: str) -> None:
        """Move the app to the note's frame and select what it is about."""
        if self.share is not None and self.share.jump_to(note_id):
            self.following = False  # stepped away from the driver: free now
            self.view.redraw_controls()

    def set_status(self, note_id: str, status: Literal["open", "done"]) -> None:
        """Mark a note done or open again, for everyone."""
        if self.share is None:
            return
        try:
            self.share.note_actions.set_status(note_id, status)
        except Exception as exc:
            self.view.show_error(f"note not changed: {exc}")
        self.view.redraw()

    def end_here(self, note_id: str) -> None:
        """The note now ends on the frame shown (or starts there, when that is before its
        first), for everyone; its author's or a host's only."""
        share = self.share
        frame = share.frame() if share is not None else None
        if share is None or frame is None:
            return
        try:
            if not share.end_here(note_id, frame):
                return
        except PermissionError as exc:
            self.view.show_error(str(exc))
            return
        except Exception as exc:
            self.view.show_error(f"note not changed: {exc}")
        self.view.redraw()

    def delete_note(self, note_id: str) -> bool:
        """Delete a note for everyone (its author's or a host's; undo brings it back). False
        without a session."""
        if self.share is None:
            return False
        try:
            self.share.note_actions.delete([note_id])
        except Exception as exc:
            self.view.show_error(f"note not deleted: {exc}")
        return True

    # --- from the session ---------------------------------------------------------------------

    def _state_changed(self, state: str) -> None:
        share = self.share
        if share is None:
            return
        if state == "refused":
            err = share.last_error
            reason = err.message if err is not None else "no reason given"
            self.view.show_error(f"the relay refused to let you in: {reason}")
            self.close()
            return
        if state == "reconnecting":
            err = share.last_error
            what = err.message if err else "no answer"
            self.view.show_status(f"connection lost ({what}), retrying…")
        elif state == "synced":
            self.view.show_status("")  # the header says where and as what
            if self.pending_share:
                self.pending_share = False
                self.set_sharing(True)
                self.make_invite()
        self.view.redraw()

    def _relay_error(self, env: Envelope) -> None:
        text = panel_text.relay_error_text(env.data)
        if text is not None:
            self.view.show_error(text)
