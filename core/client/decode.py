"""Decoding what the relay sends: a fast path for snapshots' notes, and the welcome's limits.

A snapshot (or ``snapshot_page``) of 10,000 notes is 7-8 MB of JSON. With msgspec
installed, its notes are parsed and checked in one pass into the model's dataclasses
(``core.fastschema``), and a note is kept exactly when ``schema.decode`` accepts it.
Without it, ``json.loads`` and a direct builder (``annotation_from_relay``) do it, about
half as fast, checking types and the model's rules but not the protocol's lengths and
ranges (the relay checked those when the note came in). A note that cannot be read is
skipped with a warning.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Optional, Union, get_args

from .. import fastschema
from ..collector import collector_paused
from ..errors import ErrorCode, ProtocolError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import (
    Anchor,
    Annotation,
    AudioClip,
    HostObject,
    ImageRef,
    RationalTime,
    Shape,
    ShapeKind,
    Style,
)
from ..protocol import Envelope, dumps, parse
from ..schema import decode

log = logging.getLogger("overshoulder.client")

#: Relay -> client messages may exceed the client -> relay limit (a snapshot of 10,000 notes).
MAX_INCOMING_BYTES = 512 * 1024 * 1024
_SNAPSHOTS = ("snapshot", "snapshot_page")
_UNREADABLE = "the relay's snapshot holds a note this client cannot read: %s"
_slow_path_noted = False
#: What the fast decoder raises for a note it will not take (the schema then decides).
_NOTE_REFUSED: tuple[type[BaseException], ...] = (*fastschema.REFUSED, ProtocolError)


def decode_relay_message(text: Union[str, bytes], limits: Limits = DEFAULT_LIMITS) -> Envelope:
    """Parse one control message from the relay; snapshots and their pages take a fast path.

    The rest of a snapshot goes through ``parse``; its notes are decoded on their own
    (see the module's docstring), each refused note skipped with a warning. Everything
    else goes through ``parse``. With msgspec, ``raw_data`` of a snapshot leaves out
    the notes (only their typed form is built).
    """
    return _decode(text, limits, fast=True)


def decode_without_msgspec(text: Union[str, bytes], limits: Limits = DEFAULT_LIMITS) -> Envelope:
    """What ``decode_relay_message`` does where msgspec is not installed (for comparisons)."""
    return _decode(text, limits, fast=False)


def _decode(text: Union[str, bytes], limits: Limits, fast: bool) -> Envelope:
    incoming = dataclasses.replace(limits, max_message_bytes=MAX_INCOMING_BYTES)
    head = text[:64]
    maybe_snapshot = b'"snapshot' in head if isinstance(head, bytes) else '"snapshot' in head
    if not maybe_snapshot:
        return parse(text, incoming, direction="relay")
    decoder = fastschema.compile_decoder(Annotation, limits) if fast else None
    if decoder is not None:
        try:
            return _fast_snapshot(text, decoder, limits, incoming)
        except _Unsure:  # rare (the relay writes JSON msgspec reads): slow but exact
            return _json_snapshot(text, limits, incoming, _schema_note)
    if fast:
        _note_slow_path()
    return _json_snapshot(text, limits, incoming, annotation_from_relay)


class _Unsure(Exception):
    """The fast path cannot tell what the built-in path would do: let that one decide."""


def _fast_snapshot(
    text: Union[str, bytes],
    fast: fastschema.FastDecoder[Annotation],
    limits: Limits,
    incoming: Limits,
) -> Envelope:
    """A snapshot's envelope through msgspec (``parse`` for what is no snapshot with notes)."""
    import msgspec  # present: there is a fast decoder

    # The notes are kept as long as the session: straight to the oldest generation.
    with collector_paused(keep=True):
        try:
            top = msgspec.json.decode(text, type=dict[str, msgspec.Raw])
            if msgspec.json.decode(top.get("type", b"null")) not in _SNAPSHOTS:
                return parse(text, incoming, direction="relay")
            data = msgspec.json.decode(top.get("data", b"null"), type=dict[str, msgspec.Raw])
        except fastschema.REFUSED:
            raise _Unsure from None  # not JSON to msgspec (NaN...), or not objects
        notes = data.get("annotations")
        if notes is None or bytes(memoryview(notes)[:1]) != b"[":
            # A resume's snapshot, or no list of notes: nothing to speed up.
            return parse(text, incoming, direction="relay")
        data["annotations"] = msgspec.Raw(b"[]")
        top["data"] = msgspec.Raw(_object_text(data))
        try:
            env = parse(_object_text(top), incoming, direction="relay")
        except ProtocolError as exc:
            if exc.code == ErrorCode.BAD_JSON:  # bytes that are not UTF-8, say
                raise _Unsure from None
            raise
        try:
            annotations = fast.many(notes)
        except _NOTE_REFUSED:
            annotations = _one_by_one(notes, fast, limits)
    env.data = dataclasses.replace(env.data, annotations=annotations)
    env.raw_data.pop("annotations", None)
    return env


def _object_text(items: Mapping[str, Any]) -> bytes:
    """A JSON object from its members' texts (``msgspec.Raw``), in their order."""
    members = [json.dumps(key).encode() + b":" + bytes(value) for key, value in items.items()]
    return b"{" + b",".join(members) + b"}"


def _one_by_one(
    notes: Any, fast: fastschema.FastDecoder[Annotation], limits: Limits
) -> list[Annotation]:
    """The notes (a ``msgspec.Raw`` array) of a page that holds one msgspec refuses: each
    on its own, the refused ones by ``schema.decode`` (whose verdict stands), unreadable
    ones skipped with a warning."""
    import msgspec

    try:
        items = msgspec.json.decode(notes, type=list[msgspec.Raw])
    except fastschema.REFUSED:
        raise _Unsure from None
    out = []
    for i, item in enumerate(items):
        try:
            out.append(fast.one(item))
            continue
        except _NOTE_REFUSED:
            pass
        try:
            obj = json.loads(bytes(item))
        except ValueError:  # not UTF-8: the whole message is not JSON to json.loads
            raise _Unsure from None
        try:
            out.append(decode(Annotation, obj, f"data.annotations[{i}]", limits))
        except ProtocolError as exc:
            log.warning(_UNREADABLE, exc)
    return out


def _note_slow_path() -> None:
    """Say once why snapshots are slow here: msgspec missing (or the model outgrew it)."""
    global _slow_path_noted
    if not _slow_path_noted:
        _slow_path_noted = True
        if fastschema.available():
            log.info(
                "a snapshot's notes are decoded by the built-in path: the note model has a "
                "type core.fastschema does not mirror"
            )
        else:
            log.info(
                "msgspec is not installed here: a snapshot's notes are decoded by the "
                "built-in path, several times slower (install the client's requirements)"
            )


def _schema_note(raw: Any, limits: Limits, path: str) -> Annotation:
    return decode(Annotation, raw, path, limits)


def _json_snapshot(
    text: Union[str, bytes],
    limits: Limits,
    incoming: Limits,
    read_note: Callable[[Any, Limits, str], Annotation],
) -> Envelope:
    """A snapshot's envelope through ``json.loads``, its notes through ``read_note``."""
    try:
        with collector_paused():
            obj = json.loads(text)
    except ValueError:  # also UnicodeDecodeError
        return parse(text, incoming, direction="relay")  # raises the usual error
    if not isinstance(obj, dict) or obj.get("type") not in _SNAPSHOTS:
        return parse(text, incoming, direction="relay")
    data = obj.get("data")
    if not isinstance(data, dict):
        return parse(text, incoming, direction="relay")
    raw_annotations = data.get("annotations")
    if not isinstance(raw_annotations, list):
        return parse(text, incoming, direction="relay")
    rest = dict(obj, data=dict(data, annotations=[]))
    env = parse(dumps(rest), incoming, direction="relay")
    annotations = []
    with collector_paused(keep=True):
        for i, raw in enumerate(raw_annotations):
            try:
                annotations.append(read_note(raw, limits, f"data.annotations[{i}]"))
            except ProtocolError as exc:
                log.warning(_UNREADABLE, exc)
    env.data = dataclasses.replace(env.data, annotations=annotations)
    env.raw_data = data
    return env


_SHAPE_KINDS: frozenset[str] = frozenset(get_args(ShapeKind))
#: The fields the fast path below builds; if the model grows, it steps aside (see test).
_FAST_FIELDS: dict[type, frozenset[str]] = {
    Annotation: frozenset(
        {
            "id",
            "shape",
            "anchor",
            "style",
            "text",
            "status",
            "author",
            "author_name",
            "created",
            "audio",
        }
    ),
    Shape: frozenset({"kind", "points", "start", "end", "min", "max", "at", "text", "size"}),
    Anchor: frozenset({"frame", "time", "object", "image", "duration"}),
    Style: frozenset({"color", "width"}),
    HostObject: frozenset({"kind", "path", "label", "item_frame"}),
    ImageRef: frozenset({"hash", "version"}),
    RationalTime: frozenset({"value", "rate"}),
    AudioClip: frozenset({"id", "mime", "duration", "size"}),
}
_DEFAULT_STYLE = Style()
FAST_PATH_CURRENT = all(
    {f.name for f in dataclasses.fields(cls)} == names for cls, names in _FAST_FIELDS.items()
)


def annotation_from_relay(raw: Any, limits: Limits = DEFAULT_LIMITS, path: str = "") -> Annotation:
    """An ``Annotation`` from the relay's JSON, built directly; the schema decoder on doubt.

    Equal to ``decode(Annotation, raw)`` for every valid input (tested); anything
    unexpected falls back to that decoder, whose error names the field.
    """
    if FAST_PATH_CURRENT:
        try:
            return _fast_annotation(raw)
        except (KeyError, TypeError, ValueError, AttributeError, ProtocolError):
            pass
    return decode(Annotation, raw, path, limits)


def _num(value: Any) -> float:
    if type(value) is float or (type(value) is int):
        return float(value)
    raise TypeError("not a number")


def _opt_num(value: Any) -> Optional[float]:
    return None if value is None else _num(value)


def _int(value: Any) -> int:
    if type(value) is int:
        return value
    raise TypeError("not an integer")


def _opt_str(value: Any) -> Optional[str]:
    if value is None or type(value) is str:
        return value
    raise TypeError("not a string")


def _str(value: Any) -> str:
    if type(value) is str:
        return value
    raise TypeError("not a string")


def _pair(value: Any) -> Optional[tuple[float, float]]:
    if value is None:
        return None
    if type(value) is not list or len(value) != 2:
        raise TypeError("not a pair")
    return (_num(value[0]), _num(value[1]))


def _fast_annotation(raw: dict[str, Any]) -> Annotation:
    s = raw["shape"]
    kind = s["kind"]
    if kind not in _SHAPE_KINDS:
        raise ValueError(kind)
    points = s.get("points")
    if points is not None:
        if type(points) is not list:
            raise TypeError("points")
        for pt in points:
            if type(pt) is not list:
                raise TypeError("point")
    shape = Shape(
        kind=kind,
        points=points,
        start=_pair(s.get("start")),
        end=_pair(s.get("end")),
        min=_pair(s.get("min")),
        max=_pair(s.get("max")),
        at=_pair(s.get("at")),
        text=_opt_str(s.get("text")),
        size=_opt_num(s.get("size")),
    )
    a = raw["anchor"]
    t, o, im = a.get("time"), a.get("object"), a.get("image")
    anchor = Anchor(
        frame=_int(a["frame"]),
        time=None if t is None else RationalTime(value=_num(t["value"]), rate=_num(t["rate"])),
        object=None
        if o is None
        else HostObject(
            kind=_str(o["kind"]),
            path=_str(o["path"]),
            label=_opt_str(o.get("label")),
            item_frame=None if o.get("item_frame") is None else _int(o["item_frame"]),
        ),
        image=None
        if im is None
        else ImageRef(hash=_opt_str(im.get("hash")), version=_opt_str(im.get("version"))),
        duration=None if a.get("duration") is None else _int(a["duration"]),
    )
    st = raw.get("style")
    if st is None:
        style = Style()
    else:
        color = st.get("color")
        width = st.get("width")
        if color is not None and (type(color) is not list or len(color) != 4):
            raise TypeError("color")
        style = Style(
            color=_DEFAULT_STYLE.color
            if color is None
            else (_num(color[0]), _num(color[1]), _num(color[2]), _num(color[3])),
            width=_DEFAULT_STYLE.width if width is None else _num(width),
        )
    status = raw.get("status", "open")
    if status not in ("open", "done"):
        raise ValueError(status)
    au = raw.get("audio")
    audio = None
    if au is not None:
        if au["mime"] not in ("audio/webm", "audio/ogg"):
            raise ValueError(au["mime"])
        audio = AudioClip(
            id=_str(au["id"]), mime=au["mime"], duration=_num(au["duration"]), size=_int(au["size"])
        )
    return Annotation(
        id=_str(raw["id"]),
        shape=shape,
        anchor=anchor,
        style=style,
        text=_opt_str(raw.get("text")),
        status=status,
        author=_opt_str(raw.get("author")),
        author_name=_opt_str(raw.get("author_name")),
        created=_opt_num(raw.get("created")),
        audio=audio,
    )


def limits_from_welcome(data: Mapping[str, Any]) -> Limits:
    """The relay's limits from ``welcome``; unknown names ignored, bad values -> defaults."""
    known = {f.name for f in dataclasses.fields(Limits)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(DEFAULT_LIMITS, name) if name in known else None
        if default is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        values[name] = type(default)(value)
    return dataclasses.replace(DEFAULT_LIMITS, **values)
