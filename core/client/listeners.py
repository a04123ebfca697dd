"""The callbacks a ``SessionClient`` takes, the relay messages one may listen to, and their
delivery through the app's dispatcher.

A listener gets each relay message as its ``Envelope``; an ``annotation_update`` comes as a
``NoteUpdated``, an ``Envelope`` that also holds the whole note the update left, so a
listener needs no second look into the client's state (which may have moved on).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, Optional

from ..model import Annotation
from ..protocol import MESSAGES, Envelope
from ..protocol.packet import FrameHeader
from .outgoing import COALESCED

log = logging.getLogger("overshoulder.client")

#: Runs a callback somewhere (an app's UI thread); the default runs it at once.
Dispatch = Callable[[Callable[[], None]], None]
#: ``on(mtype, fn)``: called with each message of that type from the relay.
EnvelopeListener = Callable[[Envelope], None]
#: ``on_state(fn)``: called with the new state (see ``STATES``).
StateListener = Callable[[str], None]
#: ``on_frame(fn)``: called with the newest frame's header and image bytes.
FrameListener = Callable[[FrameHeader, bytes], None]
#: ``on_voice(fn)``: called with each voice message's type and body, on the client's thread.
VoiceListener = Callable[[str, Any], None]

#: Message types a listener may subscribe to: what the relay sends on the control socket.
LISTENABLE = frozenset(
    t for t, s in MESSAGES.items() if s.direction in ("relay", "both") and t != "media_welcome"
)


@dataclasses.dataclass
class NoteUpdated(Envelope):
    """An ``annotation_update`` as listeners get it: the event as the relay sent it, and
    ``note``, the whole note as the client's state holds it once the update is applied
    (None when the client has no such note, so the update changed nothing here)."""

    note: Optional[Annotation] = None

    @classmethod
    def of(cls, env: Envelope, note: Optional[Annotation]) -> NoteUpdated:
        """``env`` (an ``annotation_update``) delivered with the ``note`` it left."""
        if env.type != "annotation_update":
            raise ValueError(f"a {env.type} message is not a note update")
        fields = {f.name: getattr(env, f.name) for f in dataclasses.fields(Envelope)}
        return cls(**fields, note=note)


def call_direct(fn: Callable[[], None]) -> None:
    """The default ``Dispatch``: run the callback at once, on the calling thread."""
    fn()


#: Keys of the listener table that are not message types.
_STATE, _FRAME, _VOICE = " state", " frame", " voice"


class Listeners:
    """The app's callbacks, and their delivery through its ``Dispatch`` in order.

    Callbacks are queued (``state``, ``envelope``) while the client holds its own lock,
    then handed to the dispatcher by ``flush`` outside it. Pointer, presence and playhead
    keep only the newest message per sender while a callback for it waits in the
    dispatcher: a UI thread that was busy for a second gets the current position, not
    sixty stale ones. Frames likewise: only the newest waits.

    Voice listeners are the exception: ``flush_voice`` calls them directly, in order, on
    the control socket's thread (a voice engine must not wait for a busy UI thread).
    """

    def __init__(self, dispatch: Dispatch) -> None:
        self._dispatch_fn = dispatch
        self._lock = threading.Lock()
        self._notify_lock = threading.Lock()
        self._notifier: Optional[threading.Thread] = None
        self._notes: list[Callable[[], None]] = []
        self._fns: dict[str, list[Callable[..., None]]] = {}
        self._latest: dict[tuple[str, str], Envelope] = {}
        self._frame_in: Optional[tuple[FrameHeader, bytes]] = None
        self._frame_pending = False
        self._voice: list[tuple[list[Callable[..., None]], Envelope]] = []
        self._voice_lock = threading.Lock()

    def on(self, mtype: str, fn: EnvelopeListener) -> Callable[[], None]:
        if mtype not in LISTENABLE:
            raise ValueError(f"no relay message {mtype!r}; one of: {', '.join(sorted(LISTENABLE))}")
        return self._add(mtype, fn)

    def on_state(self, fn: StateListener) -> Callable[[], None]:
        return self._add(_STATE, fn)

    def on_frame(self, fn: FrameListener) -> Callable[[], None]:
        return self._add(_FRAME, fn)

    def on_voice(self, fn: VoiceListener) -> Callable[[], None]:
        return self._add(_VOICE, fn)

    def _add(self, key: str, fn: Callable[..., None]) -> Callable[[], None]:
        with self._lock:
            self._fns[key] = [*self._fns.get(key, []), fn]

        def remove() -> None:
            with self._lock:
                self._fns[key] = [f for f in self._fns.get(key, []) if f is not fn]

        return remove

    def state(self, state: str) -> None:
        """Queue the state listeners (as they are now) with ``state``."""
        with self._lock:
            listeners = self._fns.get(_STATE, [])
            self._notes.append(lambda: _call_each(listeners, state))

    def envelope(self, env: Envelope) -> None:
        """Queue the listeners of ``env.type``."""
        with self._lock:
            listeners = self._fns.get(env.type)
            if not listeners:
                return
            if env.type not in COALESCED:
                self._notes.append(lambda: _call_each(listeners, env))
                return
            key = (env.type, getattr(env.data, "id", None) or env.sender or "")
            waiting = key in self._latest
            self._latest[key] = env
            if not waiting:
                self._notes.append(lambda: self._deliver_latest(key))

    def voice(self, env: Envelope) -> None:
        """Queue the voice listeners (as they are now) with ``env``, for ``flush_voice``."""
        with self._lock:
            listeners = self._fns.get(_VOICE)
            if listeners:
                self._voice.append((listeners, env))

    def flush_voice(self) -> None:
        """Call the voice listeners queued so far, in order, on this thread."""
        with self._voice_lock:
            while True:
                with self._lock:
                    items, self._voice = self._voice, []
                if not items:
                    return
                for listeners, env in items:
                    for fn in listeners:
                        try:
                            fn(env.type, env.data)
                        except Exception:
                            log.exception("an on_voice listener failed on %s", env.type)

    def _deliver_latest(self, key: tuple[str, str]) -> None:
        with self._lock:
            env = self._latest.pop(key, None)
            listeners = self._fns.get(key[0], [])
        if env is not None:
            _call_each(listeners, env)

    def frame(self, header: FrameHeader, payload: bytes) -> None:
        """Hand the newest frame to the dispatcher (unless a callback for one waits there)."""
        with self._lock:
            self._frame_in = (header, payload)
            if self._frame_pending:
                return  # the callback already on its way takes this newer frame
            self._frame_pending = True
        self._dispatch(self._deliver_frame)

    def _deliver_frame(self) -> None:
        with self._lock:
            item, self._frame_in = self._frame_in, None
            self._frame_pending = False
            listeners = self._fns.get(_FRAME, [])
        if item is None:
            return
        for fn in listeners:
            try:
                fn(*item)
            except Exception:
                log.exception("an on_frame listener failed")

    def flush(self) -> None:
        """Hand queued callbacks to the dispatcher, in order, outside the client's lock.

        A callback run directly (the default dispatcher) may call back into the
        client; what it queues is handed over by the loop already running here.
        """
        me = threading.current_thread()
        if self._notifier is me:
            return
        with self._notify_lock:
            self._notifier = me
            try:
                while True:
                    with self._lock:
                        notes, self._notes = self._notes, []
                    if not notes:
                        return
                    for note in notes:
                        self._dispatch(note)
            finally:
                self._notifier = None

    def _dispatch(self, fn: Callable[[], None]) -> None:
        try:
            self._dispatch_fn(fn)
        except Exception:
            log.exception("the dispatcher failed to take a callback")


def _call_each(listeners: Iterable[Callable[[Any], None]], arg: Any) -> None:
    for fn in listeners:
        try:
            fn(arg)
        except Exception:
            log.exception("a SessionClient listener failed")
