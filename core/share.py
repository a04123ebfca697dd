"""Sharing one app through one session: frames out, the playhead both ways, notes in.

``Sharer`` is the driver of a ``Host`` adapter. It is the same for Nuke, Maya,
Resolve and the player, so what one app proves, all do:

- the host says the playhead moved or the image changed; the Sharer captures on
  its own thread (newest wins), the encoder turns pixels into frames on its
  worker thread, and the client publishes them (newest wins again);
- while this participant drives, the host's playhead goes to the session; while
  it follows, the driver's playhead comes back into the host (on its main thread);
- notes from the session become the host's own objects; notes the document kept
  while offline go back to the session once it is in sync;
- a host with a timeline (an editor's cut) shares it in the stream; a guest with
  one compares it with the host's and warns where they differ (``warnings``).

Nothing here runs on the app's main thread except the short calls into the host
through ``run_on_main``; nothing waits for the network. What comes from the session
reaches the app's main thread in one hop: posted there by the client's dispatch (a
panel's) or by the Sharer (the client's own thread), never both.

``overshoulder.core.share_session.ShareSession`` makes a Sharer with its client and
encoder; front ends use that.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Optional, Protocol

from .client import SessionClient
from .client.listeners import NoteUpdated
from .host import Capture, Host
from .model import Annotation, Playhead
from .protocol import Envelope
from .protocol.messages import SharedTimeline, Stream
from .timeline import compare, summary

log = logging.getLogger("overshoulder.share")

#: Least time between two captures while the playhead runs (a cap, not a pace).
MIN_CAPTURE_INTERVAL_S = 1 / 60
#: While playing, the driver's playhead goes out this often; each side runs its own clock
#: and these only correct drift. Play, pause, seek and range changes go out at once.
PLAYING_UPDATE_S = 0.5
#: A remote playhead older than this is not latency-compensated (clocks disagree).
MAX_COMPENSATION_S = 2.0
#: The key of the warning about a timeline that differs from the host's.
TIMELINE_WARNING = "timeline"

DriveRequests = Literal["grant", "ask"]


class FrameSink(Protocol):
    """What the Sharer needs of an encoder (``overshoulder.core.codec.FrameEncoder``)."""

    def submit(self, capture: Capture) -> None: ...

    def set_max_size(self, width: Optional[int], height: Optional[int]) -> None: ...

    def close(self) -> None: ...

    def request_lossless(self) -> None: ...


class Sharer:
    """Connects a ``Host`` to a ``SessionClient`` (and, when sharing pixels, an encoder)."""

    def __init__(
        self,
        host: Host,
        client: SessionClient,
        encoder: Optional[FrameSink] = None,
        *,
        follow: bool = True,
        drive_requests: DriveRequests = "grant",
        on_drive_request: Optional[Callable[[str, str], None]] = None,
    ) -> None:
        """``drive_requests``: "grant" hands the drive to whoever asks while this
        participant drives; "ask" only calls ``on_drive_request(participant_id,
        name)`` and leaves the answer (``give_drive``) to the panel."""
        self.host = host
        self.client = client
        self.encoder = encoder
        self.following = follow
        self.drive_requests = drive_requests
        self.on_drive_request = on_drive_request
        self._sent: Optional[Playhead] = None
        self._stream: Optional[Stream] = None
        self._rate: Optional[float] = None
        self._sent_at = 0.0
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._undo: list[Callable[[], None]] = []
        self._applied_remote_frame: Optional[int] = None
        self._resynced = False
        self._timeline: Optional[SharedTimeline] = None
        #: Guests' cuts (``timeline`` messages), by participant id.
        self._guest_cuts: dict[str, SharedTimeline] = {}
        self._warnings: dict[str, str] = {}
        self._warnings_lock = threading.Lock()
        self.captures = 0
        self.capture_errors = 0

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        events = self.host.events
        events.playhead_changed = self._host_playhead_changed
        events.image_changed = self.request_capture
        events.note_edited = self._host_note_edited
        events.timeline_changed = self._host_timeline_changed
        events.warning = self._set_warning
        on = self.client.on
        self._undo = [
            on("playhead", self._remote_playhead),
            on("annotation_add", self._remote_note),
            on("annotation_update", self._remote_note),
            on("annotation_delete", self._remote_note),
            on("frame_size", self._frame_size),
            on("still_request", self._still_request),
            on("lease", self._lease),
            on("stream", lambda env: self._check_timeline()),
            on("timeline", self._guest_timeline),
            on("leave", self._guest_left),
            self.client.on_state(self._state),
        ]
        if self.encoder is not None:
            self._thread = threading.Thread(
                target=self._capture_loop,
                name=f"overshoulder-capture-{self.host.name}",
                daemon=True,
            )
            self._thread.start()
        self.host.start()
        self.host.run_on_main(self._host_timeline_changed)
        if self.client.state == "synced":
            self._state("synced")
        self.request_capture()

    def stop(self) -> None:
        for undo in self._undo:
            undo()
        self._undo = []
        self._stopped.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.encoder is not None:
            self.encoder.close()
        # Let calls already posted to the main thread finish before the adapter goes, and
        # stop the adapter there too (a panel stops a share from a worker thread).
        if not self.host.is_main_thread():
            try:
                self.host.call_on_main(self.host.stop)
                return
            except TimeoutError:
                log.warning("%s: the main thread did not drain before stopping", self.host.name)
        self.host.stop()

    # --- warnings for the panel ---------------------------------------------------------

    @property
    def warnings(self) -> dict[str, str]:
        """What the user should know now (the host's warnings, a timeline that differs), by key.

        A copy, safe to read from any thread (the panel polls it).
        """
        with self._warnings_lock:
            return dict(self._warnings)

    def _set_warning(self, key: str, text: Optional[str]) -> None:
        with self._warnings_lock:
            if text:
                self._warnings[key] = text
            else:
                self._warnings.pop(key, None)

    # --- driving and following --------------------------------------------------------

    @property
    def driving(self) -> bool:
        me = self.client.participant
        return me is not None and self.client.driver == me.id

    def drive(self) -> None:
        """Ask for the drive lease (a host gets it at once)."""
        self.client.claim_lease()

    def give_drive(self, to: Optional[str] = None) -> None:
        self.client.release_lease(to=to)

    def follow(self, on: bool = True) -> None:
        """Follow the driver's playhead (True) or go free (False); back on: jump to it now."""
        self.following = on
        playhead = self.client.playhead
        if on and playhead is not None and not self.driving:
            self._move_host(playhead.frame, playhead.playing)

    # --- notes made here -------------------------------------------------------------------

    def add_note(self, annotation: Annotation) -> str:
        """A note made in this app: into the session and into the document."""
        eid = self.client.add_annotation(annotation)
        self.host.run_on_main(lambda: self.host.apply_annotation(annotation))
        return eid

    # --- host -> session ---------------------------------------------------------------------

    def request_capture(self) -> None:
        """Capture soon, on the capture thread (a burst of requests makes one capture)."""
        self._wanted.set()

    def _host_playhead_changed(self) -> None:
        self.request_capture()
        self._rate = self.host.playhead().rate
        if self.driving:
            self._send_playhead(force=False)

    def _send_playhead(self, force: bool) -> None:
        """The driver's playhead to the session: changes at once, steady playback rarely."""
        state = self.host.playhead()
        now = time.monotonic()
        playhead = Playhead(
            frame=state.frame,
            rate=state.rate,
            playing=state.playing,
            range=(state.first, state.last)
            if state.first is not None and state.last is not None
            else None,
            timeline_id=state.timeline_id,
            sender_clock=time.time() * 1000.0,
        )
        last = self._sent
        if not force and last is not None and last.playing and playhead.playing:
            same = (last.rate, last.range, last.timeline_id) == (
                playhead.rate,
                playhead.range,
                playhead.timeline_id,
            )
            expected = last.frame + (now - self._sent_at) * last.rate
            in_step = abs(playhead.frame - expected) <= 1.5 or _wrapped(last, playhead)
            if same and in_step and now - self._sent_at < PLAYING_UPDATE_S:
                return
        self._sent, self._sent_at = playhead, now
        self.client.set_playhead(playhead)

    def _host_note_edited(self, ann_id: str, changes: dict[str, Any]) -> None:
        if ann_id not in self.client.annotations:
            return
        if changes.get("deleted"):
            self.client.update_annotation(ann_id, status="done")
        elif changes:
            self.client.update_annotation(ann_id, **changes)

    def _host_timeline_changed(self) -> None:
        """On the main thread: read the app's timeline and share it (the host in its stream, a
        guest in a ``timeline`` message), then compare it with the driver's."""
        try:
            self._timeline = self.host.timeline()
        except Exception as exc:  # the app said no: keep the last one, say why in the log
            log.warning("%s: cannot read the timeline: %s", self.host.name, exc)
            return
        me = self.client.participant
        if me is not None and me.role == "host" and self._timeline is not None:
            base = self._stream or Stream(rate=self._rate)
            stream = dataclasses.replace(base, timeline=self._timeline)
            if stream != self._stream:
                self._stream = stream
                self.client.set_stream(stream)
        elif me is not None and me.role != "viewer":
            try:
                self.client.set_timeline(self._timeline)
            except Exception as exc:  # too many clips for a message: the others go unwarned
                log.warning("%s: the timeline cannot be shared: %s", self.host.name, exc)
        self._check_timeline()

    def _guest_timeline(self, env: Envelope) -> None:
        sender = env.data.id or env.sender
        if sender is None:
            return
        if env.data.timeline is None:
            self._guest_cuts.pop(sender, None)
        else:
            self._guest_cuts[sender] = env.data.timeline
        self._check_timeline()

    def _guest_left(self, env: Envelope) -> None:
        if self._guest_cuts.pop(env.data.id or env.sender or "", None) is not None:
            self._check_timeline()

    def _check_timeline(self) -> None:
        """Compare this app's cut with the one it follows, clip by clip, and warn.

        The one it follows is the driver's: the host's (in its stream) while the host
        drives or nobody does, a guest's (its ``timeline`` message) while that guest
        drives. Nothing to compare while this participant drives.
        """
        me = self.client.participant
        mine = self._timeline
        driver = self.client.driver
        theirs: Optional[SharedTimeline] = None
        whose: Optional[str] = None
        if me is not None and mine is not None and driver != me.id:
            people = self.client.participants
            leader = people.get(driver) if driver else None
            if leader is None or leader.role == "host":
                stream = self.client.stream
                theirs = stream.timeline if stream is not None else None
                host = leader or next((p for p in people.values() if p.role == "host"), None)
                whose = host.name if host is not None and host.id != me.id else None
                if host is not None and host.id == me.id:
                    theirs = None  # the host's own cut is the reference
            else:
                theirs = self._guest_cuts.get(leader.id)
                whose = leader.name
        if theirs is None or mine is None:
            self._set_warning(TIMELINE_WARNING, None)
            return
        text = summary(compare(mine, theirs), f"{whose}'s" if whose else "the host's")
        self._set_warning(TIMELINE_WARNING, text or None)

    def _capture_loop(self) -> None:
        assert self.encoder is not None
        last = 0.0
        while not self._stopped.is_set():
            self._wanted.wait()
            self._wanted.clear()
            if self._stopped.is_set():
                return
            wait = MIN_CAPTURE_INTERVAL_S - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            try:
                capture = self.host.capture()
                if capture is not None:
                    self.encoder.submit(capture)
                    self.captures += 1
                    self._announce(capture)
            except Exception as exc:  # the app or the encoder said no: report, keep sharing
                self.capture_errors += 1
                log.warning("%s: capture failed: %s", self.host.name, exc)

    def _announce(self, capture: Capture) -> None:
        """Tell the session what is shared when it changes (name, colour space, size)."""
        name = capture.version or (
            capture.source.label or capture.source.path if capture.source else None
        )
        stream = Stream(
            name=name[:256] if name else None,
            colorspace=(capture.colorspace_label or capture.colorspace)[:128],
            display=capture.display,
            view=capture.view,
            width=capture.width,
            height=capture.height,
            rate=self._rate,
            timeline=self._timeline,
        )
        if stream != self._stream:
            self._stream = stream
            self.client.set_stream(stream)

    # --- session -> host ----------------------------------------------------------------------

    def _remote_playhead(self, env: Envelope) -> None:
        if not self.following or self.driving:
            return
        playhead: Playhead = env.data
        self._move_host(_compensated(playhead), playhead.playing)

    def _move_host(self, frame: int, playing: bool) -> None:
        self._applied_remote_frame = frame
        self._on_main(lambda: self.host.set_playhead(frame, playing))

    def _remote_note(self, env: Envelope) -> None:
        """A note another participant made, changed or deleted: into the document.

        An add carries the whole note, as the relay stored it. An update carries only
        the fields it changes; the client hands it over as a ``NoteUpdated``, with the
        whole note it left, so the note goes in as it was at this event.
        """
        if env.type == "annotation_delete":
            ann_id = env.data.id
            self._on_main(lambda: self.host.remove_annotation(ann_id))
            return
        if env.type == "annotation_add":
            note: Optional[Annotation] = env.data.annotation
        else:
            note = env.note if isinstance(env, NoteUpdated) else None
        if note is not None:
            self._on_main(lambda: self.host.apply_annotation(note))

    def _on_main(self, fn: Callable[[], None]) -> None:
        """``fn`` on the app's main thread: now when already there (the client's callbacks
        run there when its dispatch is the app's UI thread), else posted once."""
        if self.host.is_main_thread():
            fn()
        else:
            self.host.run_on_main(fn)

    def _frame_size(self, env: Envelope) -> None:
        if self.encoder is not None:
            self.encoder.set_max_size(env.data.max_width, env.data.max_height)
            self.request_capture()

    def _still_request(self, env: Envelope) -> None:
        if self.encoder is not None:
            self.encoder.request_lossless()

    def _lease(self, env: Envelope) -> None:
        self._check_timeline()  # whom this app follows may have changed
        lease = env.data
        if lease.requested_by and self.driving:
            asker = self.client.participants.get(lease.requested_by)
            if self.on_drive_request is not None:
                self.on_drive_request(lease.requested_by, asker.name if asker else "someone")
            if self.drive_requests == "grant":
                self.give_drive(lease.requested_by)
            return
        if self.driving:
            self._sent = None
            self._send_playhead(force=True)

    def _state(self, state: str) -> None:
        if state != "synced":
            return
        self.host.run_on_main(self._sync_notes)
        self.host.run_on_main(self._announce_playhead)
        self.host.run_on_main(self._host_timeline_changed)

    def _announce_playhead(self) -> None:
        """After (re)joining: a driver tells the session where it is, rate and range too."""
        self._rate = self.host.playhead().rate
        if self.driving:
            self._sent = None
            self._send_playhead(force=True)

    def _sync_notes(self) -> None:
        """Session notes into the document; notes only the document has, back to the session.

        A note the session deleted while the app was away is removed from the
        document, not sent back.
        """
        session_notes = self.client.annotations
        for note in session_notes.values():
            self.host.apply_annotation(note)
        deleted = self.client.deleted_ids
        for note in self.host.stored_annotations():
            if note.id in deleted:
                self.host.remove_annotation(note.id)
        if self._resynced:
            return
        self._resynced = True
        for note in self.host.stored_annotations():
            if note.id not in session_notes and note.id not in deleted:
                log.info(
                    "%s: note %s from the document goes back to the session",
                    self.host.name,
                    note.id,
                )
                self.client.add_annotation(note)


def _compensated(playhead: Playhead) -> int:
    """Where a playing driver is now: its frame plus the time the message travelled."""
    if not playhead.playing or playhead.sender_clock is None:
        return playhead.frame
    age = time.time() - playhead.sender_clock / 1000.0
    if not 0.0 <= age <= MAX_COMPENSATION_S:
        return playhead.frame
    frame = playhead.frame + round(age * playhead.rate)
    if playhead.range is not None:
        first, last = playhead.range
        if last >= first and frame > last:
            frame = first + (frame - first) % (last - first + 1)
    return frame


def _wrapped(last: Playhead, now: Playhead) -> bool:
    """A loop back to the range's start is part of steady playback."""
    return now.range is not None and now.frame == now.range[0] and last.frame >= now.range[1] - 1
