"""Session fixtures: played against a real relay, replayed by each implementation, compared.

A fixture (tests/fixtures/sessions/*.json, its format in the README there) is a list of
participant actions. ``Recorder.record`` plays one against a relay process over real
sockets, each participant a bare websocket client, waiting after each action until every
participant has received what it caused (the relay answers a barrier message after
everything queued before it). Each participant's transcript keeps every message it
received and every message it sent, in order. The relay's end state is what a late
joiner's full snapshot says.

Each implementation replays a transcript into its own state (``replay_replica`` here for
the Python ``SessionReplica``; the browser test does it with the page's ``state.js``),
and ``normalise`` turns any of them into one comparable shape: notes with every field,
deleted ids, chat, the session's name/closed/watermark, participants with role, state
and following, the driver and the playhead. Ids are written back as the fixture's names.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest
import requests
import websocket

from overshoulder.core.client.outbox import PendingEvent
from overshoulder.core.client.protocol import SessionProtocol
from overshoulder.core.client.replica import SessionReplica
from overshoulder.core.model import Annotation, ChatMessage, Playhead
from overshoulder.core.protocol import PERSISTED_TYPES, PROTOCOL_VERSION, build, dumps
from overshoulder.core.protocol.messages import AnnotationUpdate, Hello
from overshoulder.core.protocol.packet import FrameHeader, pack
from overshoulder.core.schema import decode, encode
from overshoulder.core.timeline import in_range
from tests.conftest import RelayProcess

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sessions"

#: What the protocol offers that a fixture may need (``needs``), and whether it does yet.
FEATURES = {
    "clear": "clear" in {f.name for f in dataclasses.fields(AnnotationUpdate)},
}
#: The shape and anchor an ``add`` action's note gets when the fixture gives none.
DEFAULT_SHAPE = {"kind": "line", "start": [0.0, 0.0], "end": [0.25, -0.125]}
DEFAULT_ANCHOR = {"frame": 1001}
#: How long one wait for the relay may take before the recording fails.
WAIT_S = 10.0
#: Refs of barrier messages (a second hello, which the relay refuses): not in transcripts.
BARRIER = "barrier-"
#: The stray text a host sends on its media socket after a frame, answered in order.
MEDIA_BARRIER = '{"v":1,"type":"barrier"}'


#: The message each action key sends ("send" names its own; "drop" sends none).
ACTION_TYPES = {
    "join": "hello",
    "leave": "leave",
    "publish": "media_hello",
    "add": "annotation_add",
    "undo": "annotation_add",
    "update": "annotation_update",
    "delete": "annotation_delete",
    "chat": "chat",
    "session": "session",
    "presence": "presence",
    "playhead": "playhead",
    "claim": "lease_claim",
    "release": "lease_release",
}


def sent_type(action: Mapping[str, Any]) -> Optional[str]:
    """The message type an action sends."""
    if "send" in action:
        return str(action["send"])
    return next((t for key, t in ACTION_TYPES.items() if key in action), None)


class FixtureError(ValueError):
    """A fixture that cannot be played as written (names what is wrong, and where)."""


@dataclass(frozen=True)
class Fixture:
    """One session fixture as read from its file."""

    name: str
    description: str
    participants: dict[str, dict[str, Any]]
    actions: list[dict[str, Any]]
    expect: dict[str, Any] = field(default_factory=dict)
    #: Protocol features it needs (see ``FEATURES``).
    needs: tuple[str, ...] = ()
    #: Known disagreements, by replayer ("replica", "state.js"): why they still differ.
    pending: dict[str, str] = field(default_factory=dict)
    session_name: str = "Shot 010 comp"

    @classmethod
    def load(cls, path: Path) -> Fixture:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise FixtureError(f"{path.name}: not JSON ({exc})") from None
        known = {f.name for f in dataclasses.fields(cls)} - {"name"}
        extra = set(raw) - known
        if extra:
            raise FixtureError(f"{path.name}: unknown keys {sorted(extra)}; known: {sorted(known)}")
        for key in ("description", "participants", "actions"):
            if key not in raw:
                raise FixtureError(f"{path.name}: needs {key!r}")
        unknown = set(raw.get("needs", ())) - set(FEATURES)
        if unknown:
            raise FixtureError(f"{path.name}: needs unknown features {sorted(unknown)}")
        return cls(
            name=path.stem,
            description=raw["description"],
            participants=raw["participants"],
            actions=raw["actions"],
            expect=raw.get("expect", {}),
            needs=tuple(raw.get("needs", ())),
            pending=raw.get("pending", {}),
            session_name=raw.get("session_name", "Shot 010 comp"),
        )

    def missing_features(self) -> list[str]:
        return [n for n in self.needs if not FEATURES[n]]

    def failure_note(self) -> str:
        """What to say with a failure of a fixture that needs what the protocol lacks."""
        missing = self.missing_features()
        if not missing:
            return ""
        return (
            f"fixture {self.name} needs {', '.join(missing)} in the protocol "
            "(annotation_update.clear is being added); run it again once it is there. "
        )


def fixtures() -> list[Fixture]:
    return [Fixture.load(p) for p in sorted(FIXTURES.glob("*.json"))]


@dataclass
class Names:
    """The fixture's names for what the relay names by id: participants and notes/chat lines."""

    fixture: str
    pids: dict[str, str] = field(default_factory=dict)  # participant key -> pid

    def uid(self, symbol: str) -> str:
        """The UUID a fixture's note or chat line name stands for (stable per fixture)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"overshoulder-fixture:{self.fixture}:{symbol}"))

    def key_of(self, pid: Optional[str]) -> Optional[str]:
        if pid is None:
            return None
        for key, known in self.pids.items():
            if known == pid:
                return key
        return pid

    def substitute(self, value: Any) -> Any:
        """``value`` with "@key" made the participant's id and "#name" the name's UUID."""
        if isinstance(value, str):
            if value.startswith("@") and value[1:] in self.pids:
                return self.pids[value[1:]]
            if value.startswith("#"):
                return self.uid(value[1:])
            return value
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        return value


@dataclass
class Transcript:
    """What one participant received and sent, in order: ("in" | "out", message)."""

    key: str
    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Whether it is connected at the end (only those are compared).
    connected: bool = False
    #: Whether it ever sent a playhead (its own playhead is its client's, not the state's).
    drove: bool = False


@dataclass
class Recording:
    fixture: Fixture
    names: Names
    transcripts: dict[str, Transcript]
    #: The late joiner's full snapshot, raw (its ``data``) and normalised.
    snapshot: dict[str, Any]
    relay_state: dict[str, Any]
    #: Ids the fixture's names stand for, to write them back (UUID -> name).
    symbols: dict[str, str]


class _Member:
    """One participant's bare socket, and its transcript."""

    def __init__(self, key: str, spec: Mapping[str, Any], token: str) -> None:
        self.key = key
        self.role = spec.get("role", "reviewer")
        self.name = spec.get("name", key.capitalize())
        self.token = token
        #: A UUID, as the clients make it: the relay derives the same id from it each time.
        self.client_id = str(uuid.uuid4())
        self.ws: Optional[websocket.WebSocket] = None
        self.media: Optional[websocket.WebSocket] = None
        self.pid: Optional[str] = None
        self.ticket: Optional[str] = None
        self.transcript = Transcript(key)
        #: Stored events sent and not yet answered, by eid (sent again after a join).
        self.outbox: dict[str, dict[str, Any]] = {}
        self._barriers = itertools.count(1)
        self.last_seq = 0
        self.closed_why = ""

    @property
    def connected(self) -> bool:
        return self.ws is not None

    def send(self, msg: dict[str, Any], log: bool = True) -> None:
        assert self.ws is not None, f"{self.key} is not connected"
        self.ws.send(dumps(msg))
        if log:
            self.transcript.entries.append(("out", msg))

    def read(self) -> Optional[dict[str, Any]]:
        """The next message (kept in the transcript unless a barrier's); None once closed."""
        assert self.ws is not None
        self.ws.settimeout(WAIT_S)
        try:
            op, data = self.ws.recv_data()
        except websocket.WebSocketTimeoutException:
            raise AssertionError(f"{self.key} heard nothing from the relay in {WAIT_S}s") from None
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as exc:
            self.closed_why = str(exc) or type(exc).__name__
            return None
        if op == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            self.closed_why = f"closed {code} {data[2:].decode(errors='replace')}".strip()
            return None
        msg = json.loads(data)
        if str(msg.get("data", {}).get("ref", "")).startswith(BARRIER):
            return msg
        self.transcript.entries.append(("in", msg))
        seq = msg.get("seq") if msg["type"] != "ack" else msg["data"].get("seq")
        if isinstance(seq, int):
            self.last_seq = max(self.last_seq, seq)
        elif msg["type"] in ("synced",):
            self.last_seq = max(self.last_seq, msg["data"]["seq"])
        return msg

    def until(self, what: str, pred: Any) -> dict[str, Any]:
        """Read until a message matches ``pred``; fails naming ``what`` when the socket closes."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            msg = self.read()
            if msg is None:
                raise AssertionError(
                    f"{self.key}'s socket closed ({self.closed_why}) while waiting for {what}"
                )
            if pred(msg):
                return msg
        raise AssertionError(f"{self.key} got no {what} in {WAIT_S}s")

    def barrier(self) -> None:
        """Wait until this participant has received everything the relay queued for it so far."""
        ref = f"{BARRIER}{next(self._barriers)}"
        hello = {"protocol": PROTOCOL_VERSION, "token": "barrier", "name": "barrier"}
        self.send(build("hello", hello, ref=ref), log=False)
        self.until(f"the answer to {ref}", lambda m: m["data"].get("ref") == ref)

    def close(self) -> None:
        for ws in (self.media, self.ws):
            if ws is not None:
                try:
                    ws.close()
                except Exception:  # already gone: nothing to close
                    pass
        self.ws = self.media = None


class Recorder:
    """Plays fixtures against one relay process, a session each."""

    def __init__(self, relay: RelayProcess) -> None:
        self.relay = relay

    def record(self, fixture: Fixture) -> Recording:
        first_host = next(
            (k for k, spec in fixture.participants.items() if spec.get("role") == "host"), None
        )
        host_name = fixture.participants.get(first_host or "", {}).get(
            "name", (first_host or "host").capitalize()
        )
        # With the admin key: sessions made without it are rate-limited per address.
        made = requests.post(
            self.relay.url + "/api/sessions",
            json={"name": fixture.session_name, "host_name": host_name},
            headers={"Authorization": f"Bearer {self.relay.admin_key}"},
            timeout=WAIT_S,
        )
        made.raise_for_status()
        sid, host_token = made.json()["session"]["id"], made.json()["host_token"]
        names = Names(fixture.name)
        members: dict[str, _Member] = {}
        hosts = 0
        for key, spec in fixture.participants.items():
            role = spec.get("role", "reviewer")
            hosts += role == "host"
            token = host_token if role == "host" and hosts == 1 else self.relay.invite(sid, role)
            members[key] = _Member(key, spec, token)
        symbols: dict[str, str] = {}
        play = _Play(fixture, names, members, symbols, self.relay.ws_url)
        play.session = (self.relay.url, sid)
        try:
            for index, action in enumerate(fixture.actions):
                try:
                    play.act(action)
                except FixtureError as exc:
                    raise FixtureError(f"{fixture.name}, action {index + 1}: {exc}") from None
                except AssertionError as exc:
                    raise AssertionError(
                        f"{fixture.name}, action {index + 1} {json.dumps(action)}: {exc}"
                    ) from None
            transcripts = {}
            for key, member in members.items():
                member.transcript.connected = member.connected
                transcripts[key] = copy.deepcopy(member.transcript)
            snapshot = self._late_join(sid)
        finally:
            for member in members.values():
                member.close()
        relay_state = normalise(relay_view(snapshot), names, symbols)
        return Recording(fixture, names, transcripts, snapshot, relay_state, symbols)

    def _late_join(self, sid: str) -> dict[str, Any]:
        """The full snapshot a host joining now gets (a host: a closed session admits only
        hosts); its join comes after every transcript was taken."""
        late = _Member("late", {"role": "host", "name": "Late"}, self.relay.invite(sid, "host"))
        try:
            late.ws = websocket.create_connection(self.relay.ws_url, timeout=WAIT_S)
            hello = {"protocol": PROTOCOL_VERSION, "token": late.token, "name": "Late"}
            late.send(build("hello", hello))
            return late.until("a snapshot", lambda m: m["type"] == "snapshot")["data"]
        finally:
            late.close()


class _Play:
    """One fixture being played: its participants, and what each action waits for."""

    def __init__(
        self,
        fixture: Fixture,
        names: Names,
        members: dict[str, _Member],
        symbols: dict[str, str],
        relay_url: str,
    ) -> None:
        self.fixture = fixture
        self.relay_url = relay_url
        self.names = names
        self.members = members
        self.symbols = symbols
        self.added: dict[str, dict[str, Any]] = {}
        self.chats = itertools.count(1)
        self.frames = itertools.count(1)
        #: The relay's address and the session's id, for what goes over HTTP (voice notes).
        self.session = ("", "")

    def member(self, key: Any) -> _Member:
        if key not in self.members:
            raise FixtureError(f"no participant {key!r}; the fixture has {sorted(self.members)}")
        return self.members[key]

    def uid(self, symbol: str) -> str:
        uid = self.names.uid(symbol)
        self.symbols[uid] = symbol
        return uid

    def act(self, action: dict[str, Any]) -> None:
        if "join" in action:
            self.join(self.member(action["join"]), action)
            return
        if "leave" in action:
            self.leave(self.member(action["leave"]))
            return
        if "drop" in action:
            self.drop(self.member(action["drop"]))
            return
        who = self.member(action.get("who"))
        if not who.connected:
            raise FixtureError(f"{who.key} acts but has not joined")
        if "publish" in action:
            self.publish(who, int(action["publish"]))
            return
        mtype, data = self.message(action)
        if mtype == "playhead":
            who.transcript.drove = True
        refused = action.get("refused")
        if mtype in PERSISTED_TYPES and action.get("lost"):
            self.lost(who, mtype, data)
        elif mtype in PERSISTED_TYPES:
            self.persisted(who, mtype, data, refused, again=bool(action.get("again")))
        else:
            self.ephemeral(who, mtype, data, refused)

    def message(self, action: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The message type and body an action sends (ids and names made real)."""
        if "send" in action:
            return action["send"], self.names.substitute(self._ids(action.get("data", {})))
        if "add" in action:
            note = dict(action["add"])
            if "id" not in note:
                raise FixtureError("an add needs the note's id (a name such as n1)")
            note.setdefault("shape", DEFAULT_SHAPE)
            note.setdefault("anchor", DEFAULT_ANCHOR)
            if note.get("audio") == "recorded":
                note["audio"] = self.voice_clip(self.member(action.get("who")))
            self.added[note["id"]] = dict(note)
            note["id"] = self.uid(note["id"])
            return "annotation_add", {"annotation": self.names.substitute(note)}
        if "undo" in action:
            # As the page's undo does: the note again, as its author first sent it.
            name = action["undo"]
            if name not in self.added:
                raise FixtureError(f"undo of {name!r}, which no earlier action added")
            note = {**self.added[name], **action.get("as", {}), "id": self.uid(name)}
            return "annotation_add", {"annotation": self.names.substitute(note)}
        if "update" in action:
            change = dict(action["update"])
            change["id"] = self.uid(change["id"])
            return "annotation_update", self.names.substitute(change)
        if "delete" in action:
            return "annotation_delete", {"id": self.uid(action["delete"])}
        if "chat" in action:
            name = action.get("id", f"c{next(self.chats)}")
            return "chat", {"id": self.uid(name), "text": action["chat"]}
        if "session" in action:
            return "session", dict(action["session"])
        if "presence" in action:
            return "presence", dict(action["presence"])
        if "playhead" in action:
            return "playhead", dict(action["playhead"])
        if "claim" in action:
            return "lease_claim", {"name": "playhead"}
        if "release" in action:
            to = action["release"]
            body: dict[str, Any] = {"name": "playhead"}
            if to is not None:
                body["to"] = self.member(to).pid
            return "lease_release", body
        raise FixtureError(f"an action this recorder does not know: {sorted(action)}")

    def voice_clip(self, who: _Member) -> dict[str, Any]:
        """A short recording uploaded by ``who`` to the session: the clip a voice note names."""
        from tests.voice_clips import mediarecorder_webm

        base, sid = self.session
        made = requests.post(
            f"{base}/api/sessions/{sid}/voice-notes",
            data=mediarecorder_webm(1.0),
            headers={"Authorization": f"Bearer {who.token}", "Content-Type": "audio/webm"},
            timeout=WAIT_S,
        )
        made.raise_for_status()
        return dict(made.json()["clip"])

    def _ids(self, value: Any) -> Any:
        """Note and chat names ("#n1") registered, so the end state names them back."""
        if isinstance(value, str) and value.startswith("#"):
            self.uid(value[1:])
        elif isinstance(value, list):
            for v in value:
                self._ids(v)
        elif isinstance(value, dict):
            for v in value.values():
                self._ids(v)
        return value

    def others(self, who: Optional[_Member] = None) -> Iterator[_Member]:
        return (m for m in self.members.values() if m.connected and m is not who)

    def settle(self, first: Optional[_Member] = None) -> None:
        """Every connected participant has what the relay queued for it (``first`` first:
        what it said may have made the relay send something to the others)."""
        if first is not None and first.connected:
            first.barrier()
        for member in self.others(first):
            member.barrier()

    # --- actions

    def join(self, who: _Member, action: dict[str, Any]) -> None:
        if who.connected:
            raise FixtureError(f"{who.key} joins but is connected already")
        who.ws = websocket.create_connection(self.relay_url, timeout=WAIT_S)
        hello: dict[str, Any] = {
            "protocol": PROTOCOL_VERSION,
            "token": who.token,
            "name": who.name,
            "client": "fixture",
            "client_id": who.client_id,
            "capabilities": ["snapshot_pages"] if action.get("pages") else [],
        }
        if action.get("resume"):
            hello["since"] = who.last_seq
        who.send(build("hello", hello))
        welcome = who.until("a welcome", lambda m: m["type"] in ("welcome", "error"))
        if welcome["type"] == "error":
            raise AssertionError(f"{who.key}'s hello was refused: {welcome['data']}")
        who.pid = welcome["data"]["participant"]["id"]
        who.ticket = welcome["data"]["media_ticket"]
        self.names.pids[who.key] = who.pid
        who.until("synced", lambda m: m["type"] == "synced")
        self.settle(who)
        # Once synced, what waited unacknowledged goes again with its eid, as clients do.
        for msg in list(who.outbox.values()):
            self._submit(who, msg)
            self.settle(who)

    def leave(self, who: _Member) -> None:
        """Says leave; the relay has told the others once it closes this socket."""
        who.send(build("leave", {}))
        while who.read() is not None:
            pass
        who.close()
        self.settle()

    def drop(self, who: _Member) -> None:
        """The socket goes without a word; the others hear the relay say it left."""
        pid = who.pid
        others = list(self.others(who))
        if not others:
            raise FixtureError(f"{who.key} drops with nobody left to see it go; use leave")
        who.close()
        for member in others:
            member.until(
                f"the leave of {who.key}",
                lambda m: m["type"] == "leave" and m["data"].get("id") == pid,
            )
        self.settle()

    def persisted(
        self,
        who: _Member,
        mtype: str,
        data: dict[str, Any],
        refused: Optional[str],
        again: bool = False,
    ) -> None:
        """Sent as the clients send it (ref = eid); waits for its ack or error. ``again``:
        sent a second time with the same eid, as a client retries, and acked again."""
        eid = str(uuid.uuid4())
        for _ in range(2 if again else 1):
            answer = self._submit(who, build(mtype, data, eid=eid, ref=eid))
            self._check_answer(who, mtype, answer, refused)
        self.settle(who)
        if answer["type"] == "error":
            # As the page does after a refusal: a full snapshot again, on a new socket.
            who.close()
            self.join(who, {})

    @staticmethod
    def _submit(who: _Member, msg: dict[str, Any]) -> dict[str, Any]:
        """Send a stored event and read until its ack or error."""
        eid = msg["eid"]
        who.outbox[eid] = msg
        who.send(msg)
        answer = who.until(
            f"the ack or error of {msg['type']}",
            lambda m: m["type"] in ("ack", "error") and m["data"].get("ref") == eid,
        )
        who.outbox.pop(eid)
        return answer

    def lost(self, who: _Member, mtype: str, data: dict[str, Any]) -> None:
        """Sent, and the connection drops before the ack is read: the event waits in the
        participant's outbox until it joins again (see ``join``)."""
        eid = str(uuid.uuid4())
        msg = build(mtype, data, eid=eid, ref=eid)
        who.outbox[eid] = msg
        who.send(msg)
        self.drop(who)

    def ephemeral(
        self, who: _Member, mtype: str, data: dict[str, Any], refused: Optional[str]
    ) -> None:
        ref = f"a-{uuid.uuid4().hex[:8]}"
        who.send(build(mtype, data, ref=ref))
        mark = len(who.transcript.entries)
        who.barrier()
        errors = [m for d, m in who.transcript.entries[mark:] if d == "in" and m["type"] == "error"]
        if refused is None and errors:
            raise AssertionError(f"the relay refused {mtype}: {errors[0]['data']}")
        if refused is not None and not any(e["data"]["code"] == refused for e in errors):
            raise AssertionError(f"the relay did not refuse {mtype} with {refused}: {errors}")
        self.settle()

    @staticmethod
    def _check_answer(
        who: _Member, mtype: str, answer: dict[str, Any], refused: Optional[str]
    ) -> None:
        if refused is None and answer["type"] == "error":
            raise AssertionError(f"the relay refused {who.key}'s {mtype}: {answer['data']}")
        if refused is not None and answer["data"].get("code") != refused:
            raise AssertionError(
                f"{who.key}'s {mtype} should have been refused with {refused}, got {answer}"
            )

    def publish(self, who: _Member, frame: int) -> None:
        """A host shares a frame (its media socket opened on first use)."""
        if who.media is None:
            who.media = websocket.create_connection(
                self.relay_url.replace("/ws", "/ws/media"), timeout=WAIT_S
            )
            who.media.send(dumps(build("media_hello", {"ticket": who.ticket})))
            if json.loads(who.media.recv())["type"] != "media_welcome":
                raise AssertionError(f"{who.key}'s media socket was not welcomed")
        payload = f"{self.fixture.name} frame {frame} {next(self.frames)}".encode() * 8
        digest = uuid.uuid5(uuid.NAMESPACE_URL, payload.decode()).bytes
        header = FrameHeader(next(self.frames), frame, 64, 36, "jpeg", digest, 0)
        who.media.send_binary(pack(header, payload))
        # The media socket answers a text message with an error, after the frame before it.
        who.media.send(MEDIA_BARRIER)
        who.media.settimeout(WAIT_S)
        while who.media.recv_data()[0] != websocket.ABNF.OPCODE_TEXT:
            pass
        self.settle()


# --- the end state, in one shape -----------------------------------------------------------


def relay_view(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A full snapshot's data as a view (see ``normalise``)."""
    return {
        "session": snapshot["session"],
        "participants": snapshot["participants"],
        "notes": snapshot.get("annotations") or [],
        "deleted": snapshot.get("deleted") or [],
        "chat": snapshot.get("chat") or [],
        "driver": snapshot.get("driver"),
        "playhead": snapshot.get("playhead"),
    }


def normalise(view: Mapping[str, Any], names: Names, symbols: Mapping[str, str]) -> dict[str, Any]:
    """One comparable end state from a view: {session, participants, notes, deleted, chat,
    driver, playhead} as plain JSON (lists of dicts as the wire has them).

    Each note and chat line is read as the protocol reads it and written again, so a
    field left out and its default compare equal; ids become the fixture's names.
    """

    def name(uid: Any) -> Any:
        return symbols.get(uid, uid)

    notes = {}
    for raw in view["notes"]:
        note = encode(decode(Annotation, raw))
        note["id"] = name(note["id"])
        note["author"] = names.key_of(note.get("author"))
        notes[note["id"]] = note
    chat = []
    for raw in view["chat"]:
        line = encode(decode(ChatMessage, raw))
        line["id"] = name(line["id"])
        line["author"] = names.key_of(line.get("author"))
        chat.append(line)
    people = {}
    for raw in view["participants"]:
        people[names.key_of(raw["id"])] = {
            "name": raw["name"],
            "role": raw["role"],
            "state": raw.get("state", "idle"),
            "following": raw.get("following", True),
        }
    session = view["session"] or {}
    playhead = view.get("playhead")
    return {
        "session": {
            "name": session.get("name"),
            "closed": bool(session.get("closed", False)),
            "watermark": session.get("watermark", "viewers"),
        },
        "participants": people,
        "notes": notes,
        "deleted": sorted(name(d) for d in view["deleted"] if name(d) not in notes),
        "chat": chat,
        "driver": names.key_of(view.get("driver")),
        "playhead": encode(decode(Playhead, playhead)) if playhead else None,
    }


def seen_by(state: Mapping[str, Any], transcript: Transcript) -> dict[str, Any]:
    """``state`` as one participant can know it: without its own presence and, if it ever
    drove, without the playhead (its client keeps both itself; the relay sends neither back)."""
    out = copy.deepcopy(dict(state))
    me = out["participants"].get(transcript.key)
    if me is not None:
        me.pop("state", None)
        me.pop("following", None)
    if transcript.drove:
        out.pop("playhead", None)
    return out


def differences(expected: Any, got: Any, path: str = "") -> list[str]:
    """Where ``got`` differs from ``expected``, one line per differing leaf."""
    if isinstance(expected, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(expected) | set(got), key=str):
            here = f"{path}.{key}" if path else str(key)
            if key not in got:
                out.append(f"{here}: missing (relay: {json.dumps(expected[key])})")
            elif key not in expected:
                out.append(f"{here}: {json.dumps(got[key])} (relay has none)")
            else:
                out.extend(differences(expected[key], got[key], here))
        return out
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [
            d
            for i, (a, b) in enumerate(zip(expected, got))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if expected != got:
        return [f"{path}: {json.dumps(got)} (relay: {json.dumps(expected)})"]
    return []


def compare(recording: Recording, states: Mapping[str, Mapping[str, Any]], who: str) -> list[str]:
    """Each connected participant's ``states`` (normalised) against the relay's: the lines
    that differ, each prefixed with the participant and ``who`` replayed it."""
    out: list[str] = []
    for key, transcript in recording.transcripts.items():
        if not transcript.connected:
            continue
        want = seen_by(recording.relay_state, transcript)
        got = seen_by(states[key], transcript)
        out.extend(f"{who} of {key}: {d}" for d in differences(want, got))
    return out


def check_expected(recording: Recording) -> list[str]:
    """The fixture's expected facts that the relay's end state does not hold.

    Each key is a dotted path into the normalised state ("notes.n1.text", "chat.0.text");
    a list given for a mapping (as "notes": ["n1"]) is its keys; null: absent or null;
    "*": there, whatever its value.
    """
    out = []
    for path, want in recording.fixture.expect.items():
        got: Any = recording.relay_state
        for part in path.split("."):
            if isinstance(got, list) and part.isdigit() and int(part) < len(got):
                got = got[int(part)]
            elif isinstance(got, dict):
                got = got.get(part)
            else:
                got = None
        if want == "*":
            if got is None:
                out.append(f"expected {path} to be there, the relay has none")
            continue
        if isinstance(want, list) and isinstance(got, dict):
            got = sorted(got)
            want = sorted(want)
        if got != want:
            out.append(f"expected {path} = {json.dumps(want)}, the relay has {json.dumps(got)}")
    return out


# --- the Python replica --------------------------------------------------------------------


def replay_replicas(recording: Recording) -> dict[str, dict[str, Any]]:
    """Each participant's transcript replayed by a replica of its own."""
    return {key: replay_replica(t) for key, t in recording.transcripts.items()}


def replay_replica(transcript: Transcript) -> dict[str, Any]:
    """A ``SessionProtocol`` (the client's protocol, its ``SessionReplica`` the state) fed
    one transcript as ``SessionClient`` feeds it: each hello a new connection, each received
    text as it came, each persisted event it sent in its outbox until the ack (with the
    ack's ``filled``), each playhead it sent as ``set_playhead``."""
    hello = Hello(protocol=PROTOCOL_VERSION, token="replay", name=transcript.key)
    proto = SessionProtocol(hello)
    proto.start()
    for direction, msg in transcript.entries:
        if direction == "in":
            proto.receive_text(dumps(msg), proto.gen, time.monotonic(), time.time())
        elif msg["type"] == "hello":
            if proto.gen:
                proto.connection_lost()
                proto.connection_ended()
            proto.connect()
        elif msg["type"] in PERSISTED_TYPES:
            session = proto.replica.session
            sid = session.id if session is not None else None
            event = PendingEvent(msg["eid"], msg["type"], msg["data"], sid)
            proto.outbox.add(event)
        elif msg["type"] == "playhead":
            proto.set_playhead(in_range(decode(Playhead, msg["data"])))
        proto.data_to_send()  # what it would send: the transcript says what was
    return replica_view(proto.replica)


def replica_view(replica: SessionReplica) -> dict[str, Any]:
    return {
        "session": encode(replica.session) if replica.session else None,
        "participants": [encode(p) for p in replica.participants.values()],
        "notes": [encode(a) for a in replica.annotations.values()],
        "deleted": sorted(replica.deleted),
        "chat": [encode(c) for c in replica.chat],
        "driver": replica.driver,
        "playhead": encode(replica.playhead) if replica.playhead else None,
    }


# --- one fixture, one replayer -------------------------------------------------------------


def check_fixture(
    recorder: Recorder,
    fixture: Fixture,
    replay: Callable[[Recording], Mapping[str, Mapping[str, Any]]],
    who: str,
) -> None:
    """Record ``fixture``, replay it with ``replay`` (its views by participant) and fail
    naming each difference from the relay and each expected fact that does not hold.

    A fixture's ``pending`` note for ``who`` turns a failure into an expected one (xfail)
    and a pass into a failure, so the note goes once the disagreement is fixed.
    """
    note = fixture.failure_note()
    try:
        recording = recorder.record(fixture)
    except AssertionError as exc:
        raise AssertionError(f"{note}{exc}") from None
    views = replay(recording)
    states = {k: normalise(v, recording.names, recording.symbols) for k, v in views.items()}
    problems = check_expected(recording) + compare(recording, states, who)
    pending = fixture.pending.get(who)
    if pending is not None:
        if problems:
            pytest.xfail(f"known: {pending}")
        pytest.fail(f"{fixture.name} now agrees: take its pending note for {who} out")
    assert not problems, note + "\n".join(problems)
