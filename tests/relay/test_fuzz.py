"""Property-based fuzzing of a real relay process: every message family, generated bodies.

Each generated message is sent on a joined host socket, followed by a probe that the
relay always refuses with a known ``ref``. Everything the relay answers in between must
be a valid effect or an error with a known code that is never ``internal``, the socket
stays joined, and the relay is healthy at the end, with a good note still stored.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overshoulder.core.errors import ErrorCode
from overshoulder.core.model import new_id
from overshoulder.core.protocol.messages import MESSAGES

CLIENT_TYPES = sorted(t for t, s in MESSAGES.items() if s.direction in ("client", "both"))
CODES = {v for k, v in vars(ErrorCode).items() if k.isupper()}
#: Examples per run: enough to reach every family many times, bounded for CI.
EXAMPLES = 1000

_odd_text = st.sampled_from(
    ["x\ud800y", "\udfff", "", " ", "\u0661.\u0660", "a" * 5000, "<script>", "1.0", "playhead"]
)
_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=10**300, max_value=10**400),
    st.integers(min_value=-(10**400), max_value=-(10**300)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1e308, 1e308, 2**53, 2**53 + 1, -(2**63), 0.5, 1.0, -1, 0, 1001]),
)
_scalars = st.one_of(st.none(), st.booleans(), _numbers, st.text(max_size=40), _odd_text)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _seed(mtype: str, ident: str) -> dict[str, Any]:
    """A valid body of each family a client sends: the fuzzer's starting points."""
    rect = {"kind": "rect", "min": [-0.1, -0.1], "max": [0.1, 0.1]}
    stroke = {"kind": "stroke", "points": [[0.0, 0.0, 0.5], [0.1, 0.1, 1.0]]}
    anchor = {
        "frame": 1001,
        "duration": 3,
        "time": {"value": 1001, "rate": 24},
        "object": {"kind": "nuke.node", "path": ident, "label": "Grade1", "item_frame": 4},
        "image": {"hash": "ab" * 16, "version": "v012"},
    }
    note = {
        "id": ident,
        "shape": stroke,
        "anchor": anchor,
        "style": {"color": [1, 0, 0, 1], "width": 0.01},
        "text": "lift",
    }
    timeline = {
        "name": "reel1",
        "rate": 24,
        "start": 86400,
        "end": 86500,
        "clips": [
            {
                "name": "sh010",
                "start": 86400,
                "duration": 50,
                "track": 1,
                "media": "a.mov",
                "source_start": 1001,
            }
        ],
    }
    return {
        "hello": {
            "protocol": "1.0",
            "token": "x",
            "name": "Fuzz",
            "capabilities": ["resume"],
            "since": 0,
        },
        "leave": {"reason": "bye"},
        "presence": {"state": "drawing", "following": False},
        "playhead": {
            "frame": 1001,
            "rate": 24,
            "playing": True,
            "range": [1001, 1100],
            "timeline_id": "t",
            "sender_clock": 5.0,
        },
        "stream": {"name": "comp", "width": 1920, "height": 1080, "rate": 24, "timeline": timeline},
        "timeline": {"timeline": timeline},
        "frame_request": {"max_width": 960, "max_height": 540, "hash": "ab" * 16, "lossless": True},
        "chat": {"id": ident, "text": "hello"},
        "pointer": {"x": 0.1, "y": -0.2, "frame": 1001, "visible": True},
        "draft": {"id": ident, "frame": 1001, "shape": rect, "style": {"width": 0.01}},
        "lease_claim": {"name": "playhead"},
        "lease_release": {"name": "playhead"},
        "media_hello": {"ticket": "x", "cache": 8},
        "annotation_add": {"annotation": note},
        "annotation_update": {
            "id": ident,
            "text": "darker",
            "status": "done",
            "anchor": anchor,
            "shape": rect,
        },
        "annotation_delete": {"id": ident},
        "session": {"name": "Shot 010"},
        "voice_join": {"muted": False},
        "voice_state": {"muted": True, "speaking": True},
        "voice_signal": {
            "to": ident,
            "description": {"type": "offer", "sdp": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"},
            "streams": [{"mid": "0", "id": ident}],
        },
        "voice_allow": {"id": ident, "allowed": True},
    }.get(mtype, {})


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*here, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    items = list(value)
    items[head] = _replace(items[head], rest, new)
    return items


@st.composite
def _message(draw: st.DrawFn) -> str:
    """A valid message of a random family, then a few of its values (envelope included)
    replaced by hostile ones: deep paths get reached, one bad value at a time."""
    mtype = draw(st.sampled_from([*CLIENT_TYPES, "teleport"]))
    ident = str(draw(st.uuids()))
    env: dict[str, Any] = {"v": 1, "type": mtype, "data": _seed(mtype, ident)}
    if MESSAGES.get(mtype) is not None and MESSAGES[mtype].persisted:
        env["eid"] = str(draw(st.uuids()))
    env["ref"] = "r"
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(_paths(env)[1:]))
        hostile = draw(st.one_of(_numbers, _odd_text, _json, st.just("[DEEP]")))
        env = _replace(env, path, hostile)
    text = json.dumps(env)
    depth = draw(st.sampled_from([40, 900, 2500]))
    return text.replace('"[DEEP]"', "[" * depth + "]" * depth)


def _answers_until_probe(host, n: int) -> list[dict[str, Any]]:
    probe = f"probe-{n}"
    host.send_raw(json.dumps({"v": 1, "type": "chat", "ref": probe, "data": {}}))
    seen = []
    while True:
        msg = host.recv(10)
        if msg["type"] == "error" and msg["data"].get("ref") == probe:
            return seen
        seen.append(msg)


@pytest.mark.timeout(600)
def test_fuzzed_messages_of_every_family_get_a_named_error_or_a_valid_effect(relay, raw):
    session = relay.create_session()
    state: dict[str, Any] = {"n": 0, "host": None}

    def joined():
        if state["host"] is None:
            state["host"] = raw()
            state["host"].join(session["host_token"], "Fuzz", client_id="fuzz-host")
            state["host"].expect("snapshot")
        return state["host"]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(_message())
    def one(text: str) -> None:
        state["n"] += 1
        host = joined()
        host.send_raw(text)
        try:
            answers = _answers_until_probe(host, state["n"])
        except (ConnectionError, OSError) as exc:
            state["host"] = None  # the next example joins again
            if json.loads(text).get("type") == "leave":
                return  # leaving closes the socket: a valid effect
            raise AssertionError(f"the relay closed the socket after {text[:300]}: {exc}") from None
        for msg in answers:
            if msg["type"] != "error":
                continue
            err = msg["data"]
            assert err["code"] in CODES and err["code"] != "internal", (text[:200], err)
            assert err["message"], (text[:200], err)

    one()
    assert state["n"] >= EXAMPLES // 2
    # Still joined, still storing, still healthy.
    host = joined()
    note = {
        "id": new_id(),
        "shape": {"kind": "rect", "min": [-0.1, -0.1], "max": [0.1, 0.1]},
        "anchor": {"frame": 1001},
    }
    host.send("annotation_add", {"annotation": note}, eid=str(uuid.uuid4()))
    assert host.expect("ack")["data"]["seq"] >= 1
    assert requests.get(relay.url + "/api/health", timeout=5).json()["status"] == "ok"
    assert "Traceback" not in relay.log_text()
