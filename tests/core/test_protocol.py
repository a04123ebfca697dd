"""The protocol's checks, without sockets: every refusal names its field."""

from __future__ import annotations

import json

import pytest

from overshoulder.core.errors import ProtocolError
from overshoulder.core.limits import Limits
from overshoulder.core.model import MAX_NOTE_FRAMES, Anchor, Annotation, new_id
from overshoulder.core.protocol import MESSAGES, build, dumps, parse
from overshoulder.core.protocol.packet import (
    HEADER_SIZE,
    KIND_REF,
    FrameHeader,
    pack,
    unpack,
)
from overshoulder.core.schema import decode, describe, encode


def _msg(mtype: str, data: dict, **env) -> str:
    return json.dumps({"v": 1, "type": mtype, "data": data, **env})


def _ann(**over) -> dict:
    base = {
        "id": new_id(),
        "shape": {"kind": "stroke", "points": [[0, 0], [0.1, 0.1, 0.5]]},
        "anchor": {"frame": 1},
    }
    base.update(over)
    return base


def test_an_annotation_round_trips_through_encode_and_decode():
    raw = _ann(text="lift the shadows", style={"color": [1, 0, 0, 0.5], "width": 0.01})
    raw["anchor"] = {
        "frame": 1042,
        "time": {"value": 1042, "rate": 24},
        "object": {"kind": "maya.dag", "path": "|rig|arm_ctrl"},
        "image": {"hash": "ab" * 16, "version": "v012"},
    }
    ann = decode(Annotation, raw)
    again = decode(Annotation, json.loads(json.dumps(encode(ann))))
    assert again == ann
    assert ann.anchor.object is not None and ann.anchor.object.path == "|rig|arm_ctrl"


def test_a_note_over_a_range_holds_every_frame_from_its_first_to_its_last():
    ann = decode(Annotation, _ann(anchor={"frame": 1012, "duration": 9}))
    anchor = ann.anchor
    assert (anchor.frame, anchor.last, anchor.length, anchor.span()) == (1012, 1020, 9, "1012-1020")
    assert [f for f in range(1000, 1030) if anchor.holds(f)] == list(range(1012, 1021))
    assert encode(ann)["anchor"] == {"frame": 1012, "duration": 9}


def test_a_note_without_a_duration_or_with_one_frame_holds_its_frame_only():
    for anchor in (Anchor(frame=57), Anchor(frame=57, duration=1)):
        assert (anchor.last, anchor.span()) == (57, "57")
        assert [f for f in (56, 57, 58) if anchor.holds(f)] == [57]
    assert "duration" not in encode(decode(Annotation, _ann()))["anchor"]


def test_over_sets_a_range_from_two_frames_in_either_order():
    assert Anchor(frame=5).over(1020, 1012) == Anchor(frame=1012, duration=9)
    assert Anchor(frame=5, duration=4).over(7, 7) == Anchor(frame=7)


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (0, ">= 1"),
        (-4, ">= 1"),
        (MAX_NOTE_FRAMES + 1, f"<= {MAX_NOTE_FRAMES}"),
        (2.5, "an integer"),
        ("9", "an integer"),
        (True, "an integer"),
    ],
)
def test_bad_durations_are_refused_naming_the_field(duration, words):
    bad = _ann(anchor={"frame": 1012, "duration": duration})
    with pytest.raises(ProtocolError) as exc:
        parse(_msg("annotation_add", {"annotation": bad}))
    assert exc.value.field == "data.annotation.anchor.duration"
    assert words in exc.value.message
    with pytest.raises(ProtocolError) as exc:
        parse(_msg("annotation_update", {"id": new_id(), "anchor": bad["anchor"]}))
    assert exc.value.field == "data.anchor.duration"


def test_an_anchor_made_in_code_is_checked_too():
    with pytest.raises(ProtocolError) as exc:
        Anchor(frame=1, duration=0)
    assert exc.value.field == "duration"


@pytest.mark.parametrize(
    ("shape", "field"),
    [
        ({"kind": "stroke"}, "data.annotation.shape.points"),
        ({"kind": "stroke", "points": []}, "data.annotation.shape.points"),
        ({"kind": "stroke", "points": [[0]]}, "data.annotation.shape.points[0]"),
        ({"kind": "rect", "min": [0, 0]}, "data.annotation.shape.max"),
        ({"kind": "text", "at": [0, 0]}, "data.annotation.shape.text"),
        ({"kind": "arrow", "start": [0, 0], "end": [50, 0]}, "data.annotation.shape.end"),
        ({"kind": "blob"}, "data.annotation.shape.kind"),
        (
            {"kind": "line", "start": [0, float("nan")], "end": [0, 0]},
            "data.annotation.shape.start[1]",
        ),
    ],
)
def test_bad_shapes_are_refused_naming_the_field(shape, field):
    with pytest.raises(ProtocolError) as exc:
        parse(_msg("annotation_add", {"annotation": _ann(shape=shape)}))
    assert exc.value.field == field
    assert exc.value.code == "bad_message"


def test_colours_outside_zero_to_one_and_non_uuid_ids_are_refused():
    with pytest.raises(ProtocolError) as exc:
        parse(_msg("annotation_add", {"annotation": _ann(style={"color": [2, 0, 0, 1]})}))
    assert exc.value.field == "data.annotation.style.color[0]"
    with pytest.raises(ProtocolError) as exc:
        parse(_msg("annotation_add", {"annotation": _ann(id="1234")}))
    assert exc.value.field == "data.annotation.id" and "UUID" in exc.value.message


def test_limits_bound_strokes_and_text():
    small = Limits(max_stroke_points=3, max_text_chars=5)
    pts = [[0, 0]] * 4
    with pytest.raises(ProtocolError) as exc:
        parse(
            _msg("annotation_add", {"annotation": _ann(shape={"kind": "stroke", "points": pts})}),
            small,
        )
    assert exc.value.code == "too_large" and "at most 3" in exc.value.message
    with pytest.raises(ProtocolError) as exc:
        parse(_msg("chat", {"id": new_id(), "text": "toolong"}), small)
    assert exc.value.code == "too_large" and exc.value.field == "data.text"


def test_direction_is_checked_relay_messages_cannot_come_from_clients():
    relay_only = [t for t, s in MESSAGES.items() if s.direction == "relay"]
    assert {"welcome", "snapshot", "ack", "error", "lease"} <= set(relay_only)
    for mtype in relay_only:
        with pytest.raises(ProtocolError) as exc:
            parse(_msg(mtype, {}))
        assert exc.value.code == "unknown_type"


def test_booleans_are_not_numbers_and_integral_floats_are_integers():
    with pytest.raises(ProtocolError):
        parse(_msg("playhead", {"frame": True}))
    env = parse(_msg("playhead", {"frame": 1001.0, "rate": 23.976}))
    assert env.data.frame == 1001 and isinstance(env.data.frame, int)


def test_unknown_fields_are_ignored_for_forward_compatibility():
    env = parse(_msg("pointer", {"x": 0.1, "y": 0.2, "laser_colour": "red"}))
    assert env.data.x == 0.1


def test_build_and_dumps_give_compact_envelopes():
    text = dumps(build("ack", {"seq": 3}, ref="r"))
    assert text == '{"v":1,"type":"ack","data":{"seq":3},"ref":"r"}'
    with pytest.raises(ValueError):
        build("nonsense")


def test_every_message_body_can_be_described_for_other_languages():
    for spec in MESSAGES.values():
        schema = describe(spec.body)
        assert schema["type"] == "object"


def test_frame_packet_round_trips_and_refs_carry_no_bytes():
    h = FrameHeader(7, -3, 3840, 2160, "png", bytes(range(16)), 1_700_000_000_123_456, flags=3)
    packet = pack(h, b"\x89PNG....")
    assert len(packet) == HEADER_SIZE + 8
    back, payload = unpack(packet)
    assert back == h and bytes(payload) == b"\x89PNG...."
    ref = pack(h.as_ref(), b"ignored")
    assert len(ref) == HEADER_SIZE
    back, payload = unpack(ref)
    assert back.kind == KIND_REF and len(payload) == 0


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b[:10], "header"),
        (lambda b: b"XY" + b[2:], "magic"),
        (lambda b: b[:2] + b"\x09" + b[3:], "version"),
        (lambda b: b[:3] + b"\x05" + b[4:], "kind"),
        (lambda b: b[:16] + b"\x00\x00" + b[18:], "width"),
        (lambda b: b[:20] + b"\x63" + b[21:], "codec"),
        (lambda b: b[:HEADER_SIZE], "payload"),
    ],
)
def test_damaged_packets_are_refused_naming_the_field(mutate, field):
    good = pack(FrameHeader(1, 1, 16, 16, "jpeg", b"\0" * 16, 0), b"data")
    with pytest.raises(ProtocolError) as exc:
        unpack(mutate(good))
    assert exc.value.field == field


def test_frames_over_the_size_limit_are_refused():
    big = pack(FrameHeader(1, 1, 16, 16, "jpeg", b"\0" * 16, 0), b"\0" * 2000)
    with pytest.raises(ProtocolError) as exc:
        unpack(big, Limits(max_frame_bytes=1000))
    assert exc.value.code == "too_large"
