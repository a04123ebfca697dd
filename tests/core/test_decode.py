"""Snapshot decoding: msgspec's one pass against the generic schema, note by note.

Every case is a note as JSON text. Its verdict under ``schema.decode`` (the generic
walk that every other message takes) is compared with what the client's fast path
makes of it inside a ``snapshot`` and a ``snapshot_page``: the same note, or the
note skipped with the schema's own error in the warning. The msgspec mirror on
its own may refuse more (the schema then decides) but never accepts more.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import logging
import subprocess
import sys
import uuid
from typing import Any, Callable

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overshoulder.core import fastschema
from overshoulder.core.client import decode as client_decode
from overshoulder.core.client.decode import decode_relay_message, decode_without_msgspec
from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import DEFAULT_LIMITS, Limits
from overshoulder.core.model import MAX_FRAME, MAX_NOTE_FRAMES, Annotation
from overshoulder.core.protocol import parse
from overshoulder.core.schema import MAX_SAFE_INT, decode

Json = dict[str, Any]
WARNING = "the relay's snapshot holds a note this client cannot read: "
SESSION = {"id": "s1", "name": "Review", "created": 1.0}
PARTICIPANTS = [{"id": str(uuid.UUID(int=1)), "name": "Mia", "role": "host"}]


def note(**changes: Any) -> Json:
    """A valid note as the relay sends it: every field filled in."""
    obj: Json = {
        "id": "0b5e4c1e-6d5b-4c8a-9f3e-2d1c0b9a8f7e",
        "shape": {"kind": "stroke", "points": [[-0.2383, 0.09708], [0.1, 0.2, 0.5]]},
        "anchor": {
            "frame": 1001,
            "time": {"value": 1001, "rate": 24},
            "object": {"kind": "nuke.node", "path": "Grade1", "label": "Grade", "item_frame": 3},
            "image": {"hash": "ab" * 16, "version": "v012"},
            "duration": 4,
        },
        "style": {"color": [1.0, 0.8, 0.0, 1.0], "width": 0.003},
        "text": "soften the rim light",
        "status": "open",
        "author": "6f1c8f5e-8f5c-4a4e-9b1e-1c2d3e4f5a6b",
        "author_name": "Mia",
        "created": 1780000000.123,
    }
    obj.update(changes)
    return obj


def put(path: str, value: Any) -> Callable[[Json], None]:
    """A change that sets (or, for ``DROP``, removes) the field at a dotted path."""

    def change(obj: Json) -> None:
        *parents, last = path.split(".")
        for key in parents:
            obj = obj[key]
        if value is DROP:
            obj.pop(last, None)
        else:
            obj[last] = value

    return change


DROP = object()
LINE = {"kind": "line", "start": [0, 0], "end": [1, 1]}
LONG = 4000  # DEFAULT_LIMITS.max_text_chars

#: (what, change, whether the schema accepts it). Each runs through both decoders.
CASES: list[tuple[str, Callable[[Json], None], bool]] = [
    ("as sent", put("text", "soften the rim light"), True),
    ("an unknown field", put("future", {"x": [1, 2]}), True),
    ("integers for floats", put("style", {"color": [1, 0, 0, 1], "width": 0}), True),
    ("no style", put("style", DROP), True),
    ("a null style", put("style", None), True),
    ("a null width", put("style.width", None), True),
    ("a null status", put("status", None), True),
    ("a null optional", put("text", None), True),
    ("an integral float frame", put("anchor.frame", 1001.0), True),
    ("an integral float duration", put("anchor.duration", 9.0), True),
    ("text at the limit", put("text", "x" * LONG), True),
    ("text over the limit", put("text", "x" * (LONG + 1)), False),
    ("astral text at the limit", put("text", "\U0001f600" * LONG), True),
    ("astral text over the limit", put("text", "\U0001f600" * (LONG + 1)), False),
    ("a lone surrogate", put("text", "a\ud800b"), True),
    ("text not a string", put("text", 5), False),
    ("id not a UUID", put("id", "note-1"), False),
    ("id a UUID in braces", put("id", "{0b5e4c1e-6d5b-4c8a-9f3e-2d1c0b9a8f7e}"), True),
    ("id in upper case", put("id", "0B5E4C1E-6D5B-4C8A-9F3E-2D1C0B9A8F7E"), True),
    ("id without hyphens", put("id", "0b5e4c1e6d5b4c8a9f3e2d1c0b9a8f7e"), True),
    ("id of 65 characters", put("id", "0" * 65), False),
    ("id missing", put("id", DROP), False),
    ("id a number", put("id", 7), False),
    ("an unknown kind", put("shape.kind", "blob"), False),
    ("a stroke without points", put("shape.points", DROP), False),
    ("a stroke with null points", put("shape.points", None), False),
    ("a stroke with no points", put("shape.points", []), False),
    ("points at the limit", put("shape.points", [[0.0, 0.0]] * 20_000), True),
    ("points over the limit", put("shape.points", [[0.0, 0.0]] * 20_001), False),
    ("a point of one number", put("shape.points", [[0.1]]), False),
    ("a point of four numbers", put("shape.points", [[0.1, 0.2, 0.3, 0.4]]), False),
    ("a point outside the image", put("shape.points", [[10.5, 0.0]]), False),
    ("a point on the edge", put("shape.points", [[-10, 10]]), True),
    ("a pressure above 1", put("shape.points", [[0.1, 0.2, 1.5]]), False),
    ("a pressure below 0", put("shape.points", [[0.1, 0.2, -0.1]]), False),
    ("pressures at 0 and 1", put("shape.points", [[0, 0, 0.0], [0, 0, 1.0]]), True),
    ("pressure on some points", put("shape.points", [[0.1, 0.2], [0.1, 0.2, 0.5], [0, 0]]), True),
    (
        "a bad pressure after good ones",
        put("shape.points", [[0.1, 0.2, 0.5]] * 5 + [[0.3, 0.4], [0.1, 0.2, 1.01]]),
        False,
    ),
    ("a pressure outside the image's range", put("shape.points", [[0.1, 0.2, 11.0]]), False),
    ("a point of strings", put("shape.points", [["0.1", "0.2"]]), False),
    ("a point of booleans", put("shape.points", [[True, False]]), False),
    ("a point not a list", put("shape.points", [0.1, 0.2]), False),
    ("a huge integer in a point", put("shape.points", [[10**30, 0]]), False),
    ("a line", put("shape", {"kind": "line", "start": [0, 0], "end": [1, 1]}), True),
    ("a line without its end", put("shape", {"kind": "line", "start": [0, 0]}), False),
    (
        "a line ending off the image",
        put("shape", {"kind": "arrow", "start": [0, 0], "end": [11, 0]}),
        False,
    ),
    (
        "a line of three numbers",
        put("shape", {"kind": "line", "start": [0, 0, 0], "end": [1, 1]}),
        False,
    ),
    ("a rect", put("shape", {"kind": "rect", "min": [0, 0], "max": [1, 1]}), True),
    ("an ellipse without max", put("shape", {"kind": "ellipse", "min": [0, 0]}), False),
    (
        "a text",
        put("shape", {"kind": "text", "at": [0.2, 0.1], "text": "here", "size": 0.05}),
        True,
    ),
    ("a text without words", put("shape", {"kind": "text", "at": [0.2, 0.1]}), False),
    (
        "a text too big",
        put("shape", {"kind": "text", "at": [0, 0], "text": "a", "size": 1.5}),
        False,
    ),
    ("a frame at the limit", put("anchor.frame", -MAX_FRAME), True),
    ("a frame past the limit", put("anchor.frame", MAX_FRAME + 1), False),
    ("a fractional frame", put("anchor.frame", 1001.5), False),
    ("a frame as text", put("anchor.frame", "1001"), False),
    ("a frame as a boolean", put("anchor.frame", True), False),
    ("no frame", put("anchor.frame", DROP), False),
    ("a duration of 0", put("anchor.duration", 0), False),
    ("the longest duration", put("anchor.duration", MAX_NOTE_FRAMES), True),
    ("a duration too long", put("anchor.duration", MAX_NOTE_FRAMES + 1), False),
    ("a rate of 0", put("anchor.time.rate", 0), False),
    ("a time value past the safe range", put("anchor.time.value", 2**53), False),
    ("a time value at the safe range", put("anchor.time.value", -MAX_SAFE_INT), True),
    ("an object kind too long", put("anchor.object.kind", "k" * 65), False),
    ("an object path at the limit", put("anchor.object.path", "p" * 512), True),
    ("an object path too long", put("anchor.object.path", "p" * 513), False),
    ("an object label too long", put("anchor.object.label", "l" * 81), False),
    ("an object without a path", put("anchor.object.path", DROP), False),
    ("an item frame past the limit", put("anchor.object.item_frame", -MAX_FRAME - 1), False),
    ("an image hash too long", put("anchor.image.hash", "h" * 129), False),
    ("an image version at the limit", put("anchor.image.version", "v" * 256), True),
    ("three colours", put("style.color", [1, 0, 0]), False),
    ("a colour above 1", put("style.color", [1.1, 0, 0, 1]), False),
    ("a colour below 0", put("style.color", [0, -0.1, 0, 1]), False),
    ("a width of 2", put("style.width", 2), False),
    ("a width as a boolean", put("style.width", False), False),
    ("a status of closed", put("status", "closed"), False),
    ("done", put("status", "done"), True),
    ("an author too long", put("author", "a" * 65), False),
    ("an author name too long", put("author_name", "n" * 81), False),
    ("created past the safe range", put("created", 2.0**53), False),
    ("created as text", put("created", "yesterday"), False),
    ("created negative", put("created", -1e15), True),
    ("a shape not an object", put("shape", [1, 2]), False),
    ("an anchor null", put("anchor", None), False),
]


def changed(change: Callable[[Json], None]) -> Json:
    obj = copy.deepcopy(note())
    change(obj)
    return obj


def schema_verdict(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[bool, Any]:
    """(accepted, the note or the error's text) as the generic decoder sees the note."""
    try:
        return True, decode(Annotation, json.loads(text), "data.annotations[1]", limits)
    except ProtocolError as exc:
        return False, str(exc)


def page_text(notes: list[str], kind: str = "snapshot_page") -> str:
    """A snapshot or one of its pages holding the notes' JSON texts as they are."""
    if kind == "snapshot_page":
        head = '{"v":1,"type":"snapshot_page","data":{"index":0,"annotations":['
    else:
        rest = {"session": SESSION, "participants": PARTICIPANTS, "seq": 3, "full": True}
        head = '{"v":1,"type":"snapshot","seq":3,"data":' + json.dumps(rest)[:-1]
        head += ',"annotations":['
    return head + ",".join(notes) + "]}}"


def client_verdict(
    text: str,
    caplog: pytest.LogCaptureFixture,
    kind: str = "snapshot_page",
    limits: Limits = DEFAULT_LIMITS,
    decoder: Callable[[str, Limits], Any] = decode_relay_message,
) -> tuple[bool, Any]:
    """The same, as the client's snapshot decoding sees it between two good notes."""
    good = json.dumps(
        {"id": str(uuid.UUID(int=7)), "shape": LINE, "anchor": {"frame": 1}, "author_name": "M"}
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="overshoulder.client"):
        env = decoder(page_text([good, text, good], kind), limits)
    notes = env.data.annotations
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [a.id for a in (notes[0], notes[-1])] == [str(uuid.UUID(int=7))] * 2
    if len(notes) == 3:
        assert not warnings
        return True, notes[1]
    assert len(notes) == 2 and len(warnings) == 1, (notes, warnings)
    assert warnings[0].startswith(WARNING)
    return False, warnings[0][len(WARNING) :]


def mirror_verdict(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[bool, Any]:
    """msgspec's mirror alone: may refuse more than the schema, never accept more."""
    fast = fastschema.compile_decoder(Annotation, limits)
    assert fast is not None
    try:
        return True, fast.one(text)
    except (*fastschema.REFUSED, ProtocolError) as exc:
        return False, exc


@pytest.mark.parametrize(("what", "change", "accepted"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("kind", ["snapshot_page", "snapshot"])
def test_a_note_gets_the_schemas_verdict(
    what: str,
    change: Callable[[Json], None],
    accepted: bool,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = json.dumps(changed(change))
    expected = schema_verdict(text)
    assert expected[0] is accepted, expected  # the table says what the schema does
    assert client_verdict(text, caplog, kind) == expected
    if accepted:  # the built-in path checks types and the model's rules, not the limits
        assert client_verdict(text, caplog, kind, decoder=decode_without_msgspec) == expected
    fast_ok, fast_value = mirror_verdict(text)
    if fast_ok:
        assert expected == (True, fast_value)


def test_the_limits_of_the_welcome_apply(caplog: pytest.LogCaptureFixture) -> None:
    tight = dataclasses.replace(
        DEFAULT_LIMITS, max_text_chars=10, max_stroke_points=2, max_name_chars=3, max_id_chars=5
    )
    small = {"frame": 1, "object": {"kind": "nuke.node", "path": "Grade", "label": "G"}}
    for change, accepted in [
        (put("text", "x" * 10), True),
        (put("text", "x" * 11), False),
        (put("shape", {"kind": "stroke", "points": [[0, 0]] * 2}), True),
        (put("shape", {"kind": "stroke", "points": [[0, 0]] * 3}), False),
        (put("author_name", "Mia"), True),
        (put("author_name", "Miah"), False),
        (put("shape", {"kind": "text", "at": [0, 0], "text": "y" * 11}), False),
        (put("anchor.object.path", "Grade1"), False),
    ]:
        obj = note(text="x", author_name="M", anchor=copy.deepcopy(small))
        change(obj)
        text = json.dumps(obj)
        expected = schema_verdict(text, tight)
        assert expected[0] is accepted
        assert client_verdict(text, caplog, limits=tight) == expected
        assert schema_verdict(text)[0]  # all of them fit the default limits
        assert client_verdict(text, caplog)[0]


def test_nan_and_infinities_are_skipped_as_before(caplog: pytest.LogCaptureFixture) -> None:
    """NaN, infinities and numbers past a float are not JSON to msgspec: the whole
    page takes the built-in path, which skips the note as before."""
    for literal in ("NaN", "Infinity", "-Infinity", "1e400"):
        text = json.dumps(note()).replace("0.003", literal)
        expected = schema_verdict(text)
        assert expected[0] is False
        assert client_verdict(text, caplog) == expected


# --- the same, for notes Hypothesis makes ------------------------------------------------------

#: Values around every bound the note model has, and of every JSON type.
EDGES = st.sampled_from(
    [
        *(0, 1, -1, 2, 3, 0.5, 1.0, 1.5, -0.5, 9.0, 10, 10.0, 10.5, -10, -10.000001, 1e-320),
        *(-0.0, 64, 65, 512, 513, MAX_FRAME, MAX_FRAME + 1, -MAX_FRAME - 1, MAX_NOTE_FRAMES),
        *(MAX_NOTE_FRAMES + 1, MAX_SAFE_INT, MAX_SAFE_INT + 1, 2.0**53, 1e300, 10**20, 0.001),
        *(True, False, None, "", "x", "open", "done", "stroke", "line", "text", [], {}),
    ]
)
NUMBER = st.one_of(
    EDGES,
    st.floats(-12, 12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**60), 2**60),
)
COORD = st.one_of(st.floats(-10.5, 10.5), st.integers(-11, 11), NUMBER)
TEXT = st.one_of(
    st.text(max_size=5),
    st.integers(0, 70).map(lambda n: "t" * n),
    st.sampled_from(["t" * 80, "t" * 81, "t" * 4000, "t" * 4001, "\ud800", "é" * 65, 5, None]),
)
POINTS = st.lists(
    st.one_of(
        st.lists(COORD, min_size=2, max_size=2),
        st.tuples(COORD, COORD, st.one_of(st.floats(-0.5, 1.5), NUMBER)).map(list),
        st.lists(COORD, max_size=4),
        NUMBER,
    ),
    max_size=5,
)
PAIR = st.one_of(st.lists(COORD, min_size=2, max_size=2), st.lists(COORD, max_size=3), NUMBER)
IDS = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: f"{{{u}}}"),
    TEXT,
)
SHAPES = st.sampled_from(
    [
        {"kind": "stroke", "points": [[0.1, 0.2], [0.3, -0.4]]},
        {"kind": "stroke", "points": [[0.1, 0.2, 0.5]]},
        {"kind": "line", "start": [0, 0], "end": [1, 1]},
        {"kind": "arrow", "start": [0.1, 0.1], "end": [-1, 1]},
        {"kind": "rect", "min": [0, 0], "max": [1, 1]},
        {"kind": "ellipse", "min": [-1, -1], "max": [1, 1]},
        {"kind": "text", "at": [0.2, 0.1], "text": "here", "size": 0.05},
    ]
)
#: Every field of a note and what it may be changed to.
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": IDS,
    "shape": st.one_of(SHAPES, NUMBER),
    "shape.kind": st.one_of(st.sampled_from(["stroke", "line", "text", "blob"]), NUMBER),
    "shape.points": st.one_of(POINTS, NUMBER),
    **{f"shape.{name}": PAIR for name in ("start", "end", "min", "max", "at")},
    "shape.text": TEXT,
    "shape.size": NUMBER,
    "anchor": st.one_of(st.just({"frame": 3}), NUMBER),
    "anchor.frame": NUMBER,
    "anchor.duration": NUMBER,
    "anchor.time": st.one_of(st.just({"value": 1, "rate": 25}), NUMBER),
    "anchor.time.value": NUMBER,
    "anchor.time.rate": NUMBER,
    "anchor.object": st.one_of(st.just({"kind": "maya.dag", "path": "x"}), NUMBER),
    "anchor.object.kind": TEXT,
    "anchor.object.path": TEXT,
    "anchor.object.label": TEXT,
    "anchor.object.item_frame": NUMBER,
    "anchor.image": st.one_of(st.just({}), NUMBER),
    "anchor.image.hash": TEXT,
    "anchor.image.version": TEXT,
    "style": st.one_of(st.just({}), NUMBER),
    "style.color": st.one_of(st.lists(st.one_of(st.floats(-0.1, 1.1), NUMBER), max_size=5), NUMBER),
    "style.width": st.one_of(st.floats(-0.1, 1.1), NUMBER),
    "text": TEXT,
    "status": st.one_of(st.sampled_from(["open", "done", "closed"]), NUMBER),
    "author": TEXT,
    "author_name": TEXT,
    "created": NUMBER,
}


@st.composite
def notes(draw: st.DrawFn) -> Json:
    """A valid note with up to three of its fields changed, left out or set to null."""
    obj = note(shape=copy.deepcopy(draw(SHAPES)))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(sorted(FIELDS)))
        value = draw(st.one_of(FIELDS[path], st.just(DROP), st.none()))
        with contextlib.suppress(KeyError, TypeError, AttributeError):  # its parent is gone
            put(path, value)(obj)
    return obj


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj=notes())
def test_any_note_gets_the_schemas_verdict(obj: Json) -> None:
    text = json.dumps(obj)
    expected = schema_verdict(text)
    fast_ok, fast_value = mirror_verdict(text)
    if fast_ok:
        assert expected == (True, fast_value), text
    env = decode_relay_message(page_text([text]))
    got = (True, env.data.annotations[0]) if env.data.annotations else (False, None)
    assert got[0] is expected[0], text
    if got[0]:
        assert got == expected


# --- the path a snapshot takes -----------------------------------------------------------------


def big_page(count: int) -> tuple[str, list[Json]]:
    objs = [note(id=str(uuid.uuid4()), text=f"note {i}") for i in range(count)]
    return page_text([json.dumps(o) for o in objs], "snapshot"), objs


def test_snapshots_and_their_pages_take_msgspecs_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def built_in(*args: Any) -> Any:
        raise AssertionError("the built-in path was taken")

    monkeypatch.setattr(client_decode, "_json_snapshot", built_in)
    text, objs = big_page(50)
    for message in (text, page_text([json.dumps(o) for o in objs])):
        env = decode_relay_message(message.encode())
        assert [a.id for a in env.data.annotations] == [o["id"] for o in objs]
        assert env.data.annotations == [decode(Annotation, o) for o in objs]


def test_the_rest_of_a_snapshot_is_what_parse_makes_of_it() -> None:
    text, _ = big_page(3)
    fast = decode_relay_message(text)
    generic = parse(text, dataclasses.replace(DEFAULT_LIMITS, max_message_bytes=1 << 30), "relay")
    assert fast.data == generic.data
    assert (fast.type, fast.seq, fast.ref, fast.eid) == ("snapshot", 3, None, None)
    assert fast.raw_data == {k: v for k, v in generic.raw_data.items() if k != "annotations"}


def test_bad_messages_are_refused_as_parse_refuses_them() -> None:
    for text in [
        '{"v":1,"type":"snapshot","data":{"full":true}}',  # no session
        '{"v":1,"type":"snapshot","data":[]}',
        '{"v":2,"type":"snapshot_page","data":{"index":0,"annotations":[]}}',
        '{"v":1,"type":"snapshot_page","data":{"index":"0","annotations":[]}}',
        '{"v":1,"type":"snapshot_page","data":{"index":0,"annotations":7}}',
        '{"v":1,"type":"snapshot_page","data":{"index":0,"annotations":[]}} trailing',
        b'{"v":1,"type":"snapshot_page","data":{"index":0,"annotations":["\xff"]}}',
        b'{"v":1,"type":"snapshot_page","data":{"index":"\xff","annotations":[]}}',
    ]:
        with pytest.raises(ProtocolError) as generic:
            parse(text, direction="relay")
        with pytest.raises(ProtocolError) as fast:
            decode_relay_message(text)
        assert (fast.value.code, fast.value.message) == (generic.value.code, generic.value.message)
        assert generic.value.code in (
            ErrorCode.BAD_MESSAGE,
            ErrorCode.BAD_JSON,
            "version_unsupported",
        )


def test_a_resume_snapshot_without_notes_is_parsed() -> None:
    rest = {"session": SESSION, "participants": PARTICIPANTS, "seq": 9, "full": False}
    for data in (rest, dict(rest, annotations=None)):
        text = json.dumps({"v": 1, "type": "snapshot", "data": data})
        assert decode_relay_message(text) == parse(text, direction="relay")


def test_the_mirror_covers_the_note_model() -> None:
    # If the model grows a type the mirror does not cover, snapshots step aside to the
    # built-in path (correct but slow): extend core/fastschema.py.
    assert fastschema.compile_decoder(Annotation, DEFAULT_LIMITS) is not None
    assert fastschema.compile_decoder(Annotation, DEFAULT_LIMITS) is fastschema.compile_decoder(
        Annotation, dataclasses.replace(DEFAULT_LIMITS)
    )


def test_a_type_the_mirror_does_not_cover_is_named() -> None:
    @dataclasses.dataclass(frozen=True)
    class Free:
        extra: dict[str, Any]

    with pytest.raises(fastschema.Unsupported, match="extra"):
        fastschema._Mirror(DEFAULT_LIMITS).dataclass(Free)
    assert fastschema.compile_decoder(Free, DEFAULT_LIMITS) is None


def test_msgspec_refusal_is_a_known_exception() -> None:
    assert msgspec.ValidationError in fastschema.REFUSED


WITHOUT_MSGSPEC = r"""
import json, logging, sys
sys.modules["msgspec"] = None  # as if it were not installed
logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
from overshoulder.core import fastschema
from overshoulder.core.client.decode import decode_relay_message
from overshoulder.core.model import Annotation
from overshoulder.core.schema import decode
assert not fastschema.available()
text, objs = sys.stdin.read(), None
for _ in range(2):
    env = decode_relay_message(text)
objs = json.loads(text)["data"]["annotations"]
assert env.data.annotations == [decode(Annotation, o) for o in objs[:1] + objs[2:]]
print("decoded", len(env.data.annotations))
"""


def test_without_msgspec_the_client_decodes_on_the_built_in_path() -> None:
    good = [json.dumps(note(id=str(uuid.uuid4()))) for _ in range(3)]
    text = page_text([good[0], json.dumps(note(id="bad")), *good[1:]], "snapshot")
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_MSGSPEC],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "decoded 3"
    notes_logged = [ln for ln in proc.stderr.splitlines() if "msgspec is not installed" in ln]
    assert len(notes_logged) == 1, proc.stderr  # said once, not for every message
    assert "cannot read" in proc.stderr and "data.annotations[1].id" in proc.stderr
