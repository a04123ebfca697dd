"""The control socket's handler table: every message type a client may send has exactly one
handler, nothing else has one, and each handler does the one thing its message asks of the
room (checked against a room that records what it is asked)."""

from __future__ import annotations

import ast
import inspect
import json
import uuid
from types import SimpleNamespace
from typing import Any, Optional

import pytest

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import DEFAULT_LIMITS
from overshoulder.core.protocol import MESSAGES
from overshoulder.core.protocol.messages import PERSISTED_TYPES
from overshoulder.relay import sockets
from overshoulder.relay.sockets import HANDLERS, LEAVE, Sockets

CLIENT_SENT = {t for t, spec in MESSAGES.items() if spec.direction in ("client", "both")}

#: What the room is asked to do for each message a client sends (None: nothing).
ROOM_CALL = {
    "annotation_add": "submit",
    "annotation_update": "submit",
    "annotation_delete": "submit",
    "chat": "submit",
    "session": "submit",
    "pointer": "relay_ephemeral",
    "draft": "relay_ephemeral",
    "presence": "relay_ephemeral",
    "timeline": "relay_ephemeral",
    "playhead": "set_playhead",
    "stream": "set_stream",
    "lease_claim": "claim",
    "lease_release": "release",
    "frame_request": "set_frame_size",
    "voice_join": "voice.join",
    "voice_leave": "voice.leave",
    "voice_state": "voice.state",
    "voice_signal": "voice.signal",
    "voice_allow": "voice.allow",
    "leave": None,
    "hello": None,
    "media_hello": None,
}


class _Room:
    """Records each method the handlers call on it (and on its ``voice``), with its
    arguments."""

    def __init__(self, prefix: str = "", calls: Optional[list[Any]] = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = [] if calls is None else calls
        self.voice = _VoiceRoom(self.calls) if not prefix else None
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.calls.append((self._prefix + name, args))

        return record


class _VoiceRoom(_Room):
    def __init__(self, calls: list[Any]) -> None:
        super().__init__("voice.", calls)


class _Rate:
    def __init__(self, allow: bool = True) -> None:
        self._allow = allow

    def allow(self) -> bool:
        return self._allow


class _Conn:
    """A joined participant: its role, its rates, and the errors sent back to it."""

    def __init__(self, role: str) -> None:
        self.participant = SimpleNamespace(role=role)
        self.pid = f"p-{role}"
        self.control_rate = self.frame_request_rate = self.playhead_rate = _Rate()
        self.chat_rate = _Rate()
        self.errors: list[ProtocolError] = []
        self.warned: list[str] = []

    def error(self, exc: ProtocolError, env: Optional[Any] = None) -> None:
        self.errors.append(exc)

    def warn_rate(self, what: str) -> None:
        self.warned.append(what)

    def dropped(self) -> None:
        pass


def _env(mtype: str, **data: Any) -> SimpleNamespace:
    body = {"lossless": None, "hash": None, "max_width": 640, "max_height": 360, "to": None}
    return SimpleNamespace(type=mtype, data=SimpleNamespace(**{**body, **data}), ref=None)


def _sockets() -> Sockets:
    async def no_room(session_id: str) -> Any:
        raise AssertionError("a joined socket asks for no room")

    return Sockets(
        store=None,  # type: ignore[arg-type]
        signer=None,  # type: ignore[arg-type]
        limits=DEFAULT_LIMITS,
        allow_origins=(),
        room=no_room,
        left=lambda room: None,
    )


def _text(mtype: str, data: dict[str, Any]) -> str:
    return json.dumps({"v": 1, "type": mtype, "data": data})


def _chat(words: str) -> str:
    return _text("chat", {"id": str(uuid.uuid4()), "text": words})


def test_every_message_a_client_may_send_has_a_handler_and_no_other_message_has_one() -> None:
    assert set(HANDLERS) == CLIENT_SENT
    relay_only = {t for t, spec in MESSAGES.items() if spec.direction == "relay"}
    assert relay_only and not relay_only & set(HANDLERS)
    assert set(ROOM_CALL) == CLIENT_SENT  # this test's own table is complete too
    assert all(callable(h) for h in HANDLERS.values())


def test_the_handler_table_names_each_message_once() -> None:
    # A dict literal keeps the last of two equal keys without a word: count them in the source.
    tree = ast.parse(inspect.getsource(sockets))
    tables = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "HANDLERS"
    ]
    assert len(tables) == 1 and isinstance(tables[0], ast.Dict)
    named = [k.value for k in tables[0].keys if isinstance(k, ast.Constant)]
    assert len(named) == len(set(named)), named
    # The stored messages come in from the protocol's definitions, the rest are named.
    assert not set(named) & PERSISTED_TYPES
    assert set(named) | PERSISTED_TYPES == CLIENT_SENT


@pytest.mark.parametrize("mtype", sorted(CLIENT_SENT))
def test_each_handler_asks_the_room_for_one_thing(mtype: str) -> None:
    room, conn, env = _Room(), _Conn("host"), _env(mtype)
    if mtype in ("hello", "media_hello"):
        with pytest.raises(ProtocolError) as caught:
            HANDLERS[mtype](room, conn, env)  # type: ignore[arg-type]
        assert caught.value.code == ErrorCode.CONFLICT
        assert caught.value.message == "already joined: hello is sent once"
        assert room.calls == []
        return
    result = HANDLERS[mtype](room, conn, env)  # type: ignore[arg-type]
    assert result == (LEAVE if mtype == "leave" else None)
    expected = ROOM_CALL[mtype]
    assert [name for name, _ in room.calls] == ([expected] if expected else [])
    assert all(args[0] is conn for _, args in room.calls)


@pytest.mark.parametrize(
    ("data", "call"),
    [
        ({"lossless": True}, ("request_still", ())),
        ({"hash": "ab" * 16}, ("request_frame", ("ab" * 16,))),
        ({}, ("set_frame_size", (640, 360))),
    ],
)
def test_a_frame_request_asks_for_a_still_a_kept_frame_or_a_size(
    data: dict[str, Any], call: tuple[str, tuple[Any, ...]]
) -> None:
    room, conn = _Room(), _Conn("reviewer")
    HANDLERS["frame_request"](room, conn, _env("frame_request", **data))  # type: ignore[arg-type]
    assert room.calls == [(call[0], (conn, *call[1]))]


def test_a_lease_release_names_whom_the_drive_goes_to() -> None:
    room, conn = _Room(), _Conn("host")
    HANDLERS["lease_release"](room, conn, _env("lease_release", to="p2"))  # type: ignore[arg-type]
    assert room.calls == [("release", (conn, "p2"))]


def test_a_joined_socket_hands_each_allowed_message_to_its_handler() -> None:
    relay, room, conn = _sockets(), _Room(), _Conn("reviewer")
    assert relay.handle(room, conn, _chat("too dark")) is None  # type: ignore[arg-type]
    assert relay.handle(room, conn, _text("pointer", {"x": 0.1, "y": 0.2})) is None  # type: ignore[arg-type]
    assert relay.handle(room, conn, _text("leave", {})) == LEAVE  # type: ignore[arg-type]
    assert conn.errors == []
    assert [name for name, _ in room.calls] == ["submit", "relay_ephemeral"]
    assert room.calls[0][1][1].data.text == "too dark"


def test_a_joined_socket_refuses_what_its_role_or_the_protocol_does_not_allow() -> None:
    relay, room, conn = _sockets(), _Room(), _Conn("viewer")
    relay.handle(room, conn, _text("pointer", {"x": 0.1, "y": 0.2}))  # type: ignore[arg-type]
    relay.handle(room, conn, _text("hello", {"protocol": "1.0", "token": "t", "name": "Ana"}))  # type: ignore[arg-type]
    relay.handle(room, conn, _text("welcome", {}))  # type: ignore[arg-type]
    relay.handle(room, conn, "{not json")  # type: ignore[arg-type]
    assert room.calls == []
    assert [(e.code, e.message) for e in conn.errors[:3]] == [
        (ErrorCode.FORBIDDEN, "a viewer may not send pointer"),
        (ErrorCode.CONFLICT, "already joined: hello is sent once"),
        (ErrorCode.UNKNOWN_TYPE, "unknown message type 'welcome'"),
    ]
    assert conn.errors[3].code == ErrorCode.BAD_JSON


def test_a_message_over_its_rate_is_dropped_with_a_warning_and_a_chat_line_is_refused() -> None:
    relay, room, conn = _sockets(), _Room(), _Conn("host")
    conn.playhead_rate = _Rate(allow=False)
    conn.chat_rate = _Rate(allow=False)
    relay.handle(room, conn, _text("playhead", {"frame": 1001}))  # type: ignore[arg-type]
    relay.handle(room, conn, _chat("again"))  # type: ignore[arg-type]
    assert room.calls == []
    assert conn.warned == ["playhead"]
    assert [e.code for e in conn.errors] == [ErrorCode.RATE_LIMITED]
