"""Voice notes: short Opus recordings kept with a session, by the SHA-256 of their bytes.

``inspect`` reads a recording the way a browser would and says what it is (``audio/webm`` or
``audio/ogg``) and how long it lasts, measured here rather than trusted: a WebM file from
Chromium's MediaRecorder has no Duration element (the segment and its clusters have unknown
sizes), so the length is the last block's timestamp plus its Opus packet's length, less the
first block's timestamp; an Ogg Opus file's is its last granule position less the pre-skip, at
48 kHz. Anything else, or anything cut short, is refused with a ``VoiceNoteRefused`` naming
what was wrong. The parser reads only within the bytes given, each element moves it forward,
and nothing recurses deeper than the format does: any bytes are safe to hand it.

``VoiceNoteStore`` keeps each accepted recording as ``voice-notes/<session>/ab/<hash>.webm``
(or ``.ogg``) beside a small JSON file of what was measured, both written atomically, so a
restarted relay still serves and checks them. A session's recordings together are capped, and
so are the relay's (all sessions), and an upload is refused while the data folder's disk has
less than a floor free. ``sweep`` removes recordings no note names once they are old enough
(an uploader may upload and never add the note).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Optional

from overshoulder.core.files import OWNER_ONLY, write_atomic
from overshoulder.core.model import AudioClip, AudioMime

from .frames import remove_partial

log = logging.getLogger("overshoulder.relay.voicenotes")

WEBM: AudioMime = "audio/webm"
OGG: AudioMime = "audio/ogg"
EXTENSIONS = {WEBM: "webm", OGG: "ogg"}
_HASH = re.compile(r"^[0-9a-f]{64}$")
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class VoiceNoteRefused(ValueError):
    """A recording the relay will not keep; ``str()`` names what was wrong."""


def valid_id(text: str) -> bool:
    return bool(_HASH.match(text))


def inspect(data: bytes, max_seconds: float) -> tuple[AudioMime, float]:
    """The recording's type and its length in seconds (rounded to the millisecond), or a
    ``VoiceNoteRefused`` saying why it is no Opus recording of at most ``max_seconds``."""
    if not data:
        raise VoiceNoteRefused("the body is empty: send the recording's bytes")
    if data[:4] == _EBML_MAGIC:
        mime: AudioMime = WEBM
        seconds = _webm_duration(data)
    elif data[:4] == b"OggS":
        mime = OGG
        seconds = _ogg_duration(data)
    else:
        raise VoiceNoteRefused(
            f"not a WebM or Ogg recording: it starts with {data[:8].hex(' ')} "
            "(send Opus audio in WebM, as MediaRecorder records it, or in Ogg)"
        )
    if seconds <= 0:
        raise VoiceNoteRefused(f"the {mime[6:]} recording holds no audio")
    if seconds > max_seconds:
        raise VoiceNoteRefused(
            f"the recording lasts {seconds:.1f} s; a voice note lasts at most {max_seconds:g} s"
        )
    return mime, round(seconds, 3)


# --- Opus packets ------------------------------------------------------------------------------

#: Samples at 48 kHz of one frame, by the TOC byte's configuration number (RFC 6716, 3.1).
_OPUS_FRAME = (
    [480, 960, 1920, 2880] * 3  # SILK 10, 20, 40, 60 ms
    + [480, 960] * 2  # hybrid 10, 20 ms
    + [120, 240, 480, 960] * 4  # CELT 2.5, 5, 10, 20 ms
)


#: An Opus packet holds at most 120 ms.
_OPUS_MOST = 5760


def _opus_samples(packet: bytes) -> int:
    """Samples at 48 kHz an Opus packet holds (its TOC byte and frame count), 0 if unreadable."""
    if not packet:
        return 0
    toc = packet[0]
    frame = _OPUS_FRAME[toc >> 3]
    code = toc & 3
    if code == 0:
        return frame
    if code in (1, 2):
        return 2 * frame
    if len(packet) < 2:
        return 0
    return min(_OPUS_MOST, (packet[1] & 0x3F) * frame)


# --- WebM (EBML) -------------------------------------------------------------------------------

_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML = 0x1A45DFA3
_DOCTYPE = 0x4282
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMECODE_SCALE = 0x2AD7B1
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_TRACK_NUMBER = 0xD7
_TRACK_TYPE = 0x83
_CODEC_ID = 0x86
_CODEC_PRIVATE = 0x63A2
_CLUSTER = 0x1F43B675
_CLUSTER_TIMECODE = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1
#: A Segment's children: an unknown-sized Cluster ends where one of these starts.
_SEGMENT_CHILDREN = {
    0x114D9B74,  # SeekHead
    _INFO,
    _TRACKS,
    _CLUSTER,
    0x1C53BB6B,  # Cues
    0x1941A469,  # Attachments
    0x1043A770,  # Chapters
    0x1254C367,  # Tags
}
_UNKNOWN = -1
_TRACK_KINDS = {1: "video", 2: "audio", 3: "complex", 0x10: "logo", 0x11: "subtitle"}


def _vint(data: bytes, pos: int, end: int, what: str, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: its value and where it ends."""
    if pos >= end:
        raise VoiceNoteRefused(f"the WebM file is cut short in {what} at byte {pos}")
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        length += 1
        mask >>= 1
    if length > (4 if keep_marker else 8):
        raise VoiceNoteRefused(f"the WebM file has a malformed {what} at byte {pos}")
    if pos + length > end:
        raise VoiceNoteRefused(f"the WebM file is cut short in {what} at byte {pos}")
    value = first if keep_marker else first & (mask - 1)
    for b in data[pos + 1 : pos + length]:
        value = (value << 8) | b
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = _UNKNOWN  # all ones: the size is not known
    return value, pos + length


def _header(data: bytes, pos: int, end: int, unknown_ok: bool) -> tuple[int, int, int, bool]:
    """The element at ``pos``: its id, where its body starts and ends, and whether its size
    was unknown (allowed only where ``unknown_ok``; its body then reaches ``end``)."""
    start = pos
    eid, pos = _vint(data, pos, end, "an element id", keep_marker=True)
    size, pos = _vint(data, pos, end, f"the size of element {eid:X}", keep_marker=False)
    if size == _UNKNOWN:
        if not unknown_ok:
            raise VoiceNoteRefused(
                f"the WebM file has element {eid:X} of unknown size at byte {start}, "
                "where only a Segment or a Cluster may have one"
            )
        return eid, pos, end, True
    if pos + size > end:
        raise VoiceNoteRefused(
            f"the WebM file is cut short: element {eid:X} at byte {start} holds {size} "
            f"bytes, {end - pos} are left"
        )
    return eid, pos, pos + size, False


def _children(data: bytes, pos: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(id, body start, body end) of each element of known size from ``pos`` to ``end``."""
    while pos < end:
        eid, body, body_end, _ = _header(data, pos, end, unknown_ok=False)
        yield eid, body, body_end
        pos = body_end


def _uint(data: bytes, start: int, end: int) -> int:
    if end - start > 8:
        raise VoiceNoteRefused(f"the WebM file has an integer of {end - start} bytes at {start}")
    return int.from_bytes(data[start:end], "big")


class _Track:
    def __init__(self) -> None:
        self.number = 0
        self.kind = 0
        self.codec = ""
        self.private = b""


class _Span:
    """The first block's start and the last block's end, in ns."""

    def __init__(self) -> None:
        self.first: Optional[int] = None
        self.last_end = 0

    def add(self, start: int, length: int) -> None:
        self.first = start if self.first is None else min(self.first, start)
        self.last_end = max(self.last_end, start + length)


def _webm_duration(data: bytes) -> float:
    end = len(data)
    eid, body, body_end, _ = _header(data, 0, end, unknown_ok=False)
    if eid != _EBML:
        raise VoiceNoteRefused("the WebM file does not start with an EBML header")
    doctype = b""
    for child, start, stop in _children(data, body, body_end):
        if child == _DOCTYPE:
            doctype = data[start:stop].rstrip(b"\0")
    if doctype != b"webm":
        shown = doctype.decode("ascii", "replace")[:20] or "none"
        raise VoiceNoteRefused(f"the EBML file is no WebM file (its DocType is {shown!r})")
    if body_end >= end:
        raise VoiceNoteRefused("the WebM file has no Segment after its header")
    eid, body, seg_end, _ = _header(data, body_end, end, unknown_ok=True)
    if eid != _SEGMENT:
        raise VoiceNoteRefused(f"the WebM file has element {eid:X} where its Segment should be")
    scale = 1_000_000  # ns per timecode unit
    tracks: Optional[dict[int, _Track]] = None
    span = _Span()
    pos = body
    while pos < seg_end:
        eid, body, body_end, unknown = _header(data, pos, seg_end, unknown_ok=True)
        if unknown and eid != _CLUSTER:
            raise VoiceNoteRefused(f"the WebM file has element {eid:X} of unknown size")
        pos = body_end
        if eid == _INFO:
            for child, start, stop in _children(data, body, body_end):
                if child == _TIMECODE_SCALE:
                    scale = _uint(data, start, stop)
            if scale <= 0:
                raise VoiceNoteRefused("the WebM file's TimecodeScale is 0")
        elif eid == _TRACKS:
            tracks = _tracks(data, body, body_end)
        elif eid == _CLUSTER:
            if tracks is None:
                raise VoiceNoteRefused("the WebM file has a Cluster before its Tracks")
            pos = _cluster(data, body, body_end, unknown, tracks, scale, span)
    if tracks is None:
        raise VoiceNoteRefused("the WebM file has no Tracks element")
    if span.first is None:
        raise VoiceNoteRefused("the WebM file holds no audio blocks")
    return (span.last_end - span.first) / 1e9


def _tracks(data: bytes, pos: int, end: int) -> dict[int, _Track]:
    found: dict[int, _Track] = {}
    for eid, body, body_end in _children(data, pos, end):
        if eid != _TRACK_ENTRY:
            continue
        track = _Track()
        for child, start, stop in _children(data, body, body_end):
            if child == _TRACK_NUMBER:
                track.number = _uint(data, start, stop)
            elif child == _TRACK_TYPE:
                track.kind = _uint(data, start, stop)
            elif child == _CODEC_ID:
                track.codec = data[start:stop].rstrip(b"\0").decode("ascii", "replace")
            elif child == _CODEC_PRIVATE:
                track.private = data[start:stop]
        if track.kind != 2:
            kind = _TRACK_KINDS.get(track.kind, f"type {track.kind}")
            raise VoiceNoteRefused(f"the WebM file has a {kind} track: a voice note is audio only")
        if track.codec != "A_OPUS":
            raise VoiceNoteRefused(
                f"the WebM file's audio is {track.codec[:32] or 'of no codec'!r}, not Opus (A_OPUS)"
            )
        if not track.private.startswith(b"OpusHead"):
            raise VoiceNoteRefused("the WebM file's Opus track has no OpusHead in CodecPrivate")
        found[track.number] = track
    if len(found) != 1:
        raise VoiceNoteRefused(
            f"the WebM file has {len(found)} audio tracks; a voice note has exactly one"
        )
    return found


def _cluster(
    data: bytes,
    pos: int,
    end: int,
    unknown: bool,
    tracks: dict[int, _Track],
    scale: int,
    span: _Span,
) -> int:
    """Reads one cluster's blocks into ``span``; returns where the segment reads on (for a
    cluster of unknown size: where the next Cluster, Cues... starts)."""
    base: Optional[int] = None
    while pos < end:
        if unknown:
            eid, _ = _vint(data, pos, end, "an element id", keep_marker=True)
            if eid in _SEGMENT_CHILDREN:
                return pos
        eid, body, body_end, _ = _header(data, pos, end, unknown_ok=False)
        pos = body_end
        if eid == _CLUSTER_TIMECODE:
            base = _uint(data, body, body_end)
        elif eid in (_SIMPLE_BLOCK, _BLOCK_GROUP):
            if base is None:
                raise VoiceNoteRefused("the WebM file has a block before its cluster's Timecode")
            if eid == _BLOCK_GROUP:
                body, body_end = _block_in_group(data, body, body_end)
            at, samples = _block(data, body, body_end, tracks)
            span.add((base + at) * scale, samples * 1_000_000_000 // 48_000)
    return end


def _block_in_group(data: bytes, pos: int, end: int) -> tuple[int, int]:
    for eid, body, body_end in _children(data, pos, end):
        if eid == _BLOCK:
            return body, body_end
    raise VoiceNoteRefused("the WebM file has a BlockGroup without a Block")


def _block(data: bytes, pos: int, end: int, tracks: dict[int, _Track]) -> tuple[int, int]:
    """A (Simple)Block's timecode relative to its cluster and the samples it holds."""
    number, pos = _vint(data, pos, end, "a block's track number", keep_marker=False)
    if number not in tracks:
        raise VoiceNoteRefused(f"the WebM file has a block of track {number}, which it never named")
    if pos + 3 > end:
        raise VoiceNoteRefused(f"the WebM file has a block cut short at byte {pos}")
    (at,) = struct.unpack_from(">h", data, pos)
    flags = data[pos + 2]
    pos += 3
    if not (flags >> 1) & 3:
        return at, _opus_samples(data[pos:end])
    if pos >= end:
        raise VoiceNoteRefused(f"the WebM file has a laced block cut short at byte {pos}")
    # Laced frames are counted as that many packets like the first (browsers do not lace
    # Opus; this only has to be close).
    return at, (data[pos] + 1) * _opus_samples(data[pos + 1 : end])


# --- Ogg ---------------------------------------------------------------------------------------

_OGG_HEADER = struct.Struct("<4sBBqIIIB")


def _ogg_duration(data: bytes) -> float:
    pos = 0
    end = len(data)
    serial: Optional[int] = None
    pre_skip = 0
    granule = -1
    page = 0
    while pos < end:
        if end - pos < _OGG_HEADER.size:
            raise VoiceNoteRefused(f"the Ogg file is cut short in page {page} at byte {pos}")
        magic, version, flags, gpos, stream, _seq, _crc, count = _OGG_HEADER.unpack_from(data, pos)
        if magic != b"OggS":
            raise VoiceNoteRefused(f"the Ogg file has no page start (OggS) at byte {pos}")
        if version != 0:
            raise VoiceNoteRefused(f"the Ogg file's page {page} is of version {version}, not 0")
        lacing_at = pos + _OGG_HEADER.size
        if lacing_at + count > end:
            raise VoiceNoteRefused(f"the Ogg file is cut short in page {page} at byte {pos}")
        body = lacing_at + count
        size = sum(data[lacing_at:body])
        if body + size > end:
            raise VoiceNoteRefused(
                f"the Ogg file is cut short: page {page} at byte {pos} holds {size} bytes, "
                f"{end - body} are left"
            )
        if serial is None:
            if not flags & 0x02:
                raise VoiceNoteRefused("the Ogg file's first page does not begin a stream")
            head = data[body : body + size]
            if not head.startswith(b"OpusHead") or len(head) < 19:
                raise VoiceNoteRefused("the Ogg file's stream is not Opus (no OpusHead)")
            if head[8] >> 4 != 0:
                raise VoiceNoteRefused(f"the Ogg file's OpusHead is of version {head[8]}")
            if head[9] == 0:
                raise VoiceNoteRefused("the Ogg file's OpusHead names 0 channels")
            serial = stream
            pre_skip = struct.unpack_from("<H", head, 10)[0]
        elif stream != serial:
            raise VoiceNoteRefused(
                "the Ogg file holds more than one stream; a voice note is one Opus stream"
            )
        if gpos != -1 and page > 0:
            granule = gpos
        pos = body + size
        page += 1
    if serial is None:  # pragma: no cover - data starts with OggS, so one page was read
        raise VoiceNoteRefused("the Ogg file holds no pages")
    return (granule - pre_skip) / 48_000 if granule >= 0 else 0.0


# --- keeping them ------------------------------------------------------------------------------


class VoiceNoteStore:
    """Recordings under ``root``, per session, by hash; what each one measured, beside it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self.removed_partial = remove_partial(self.root, "voice note")
        self._lock = threading.Lock()
        #: Bytes each session's recordings take, counted from disk the first time.
        self._totals: dict[str, int] = {}
        #: Clips found, so a note's check reads no file twice.
        self._known: dict[tuple[str, str], tuple[AudioClip, Path]] = {}
        #: Bytes all sessions' recordings take, counted from disk the first time.
        self._everything: Optional[int] = None

    def _dir(self, session: str, clip_id: str) -> Path:
        return self.root / session / clip_id[:2]

    def find(self, session: str, clip_id: str) -> Optional[tuple[AudioClip, Path]]:
        """The clip kept for ``session`` under ``clip_id`` and its file, if kept."""
        if not valid_id(clip_id) or not _SESSION.match(session):
            return None
        known = self._known.get((session, clip_id))
        if known is not None:
            return known
        folder = self._dir(session, clip_id)
        try:
            meta = json.loads((folder / f"{clip_id}.json").read_text(encoding="utf-8"))
            clip = AudioClip(
                id=clip_id,
                mime=meta["mime"],
                duration=float(meta["duration"]),
                size=int(meta["size"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        path = folder / f"{clip_id}.{EXTENSIONS.get(clip.mime, 'bin')}"
        if not path.exists():
            return None
        if len(self._known) > 100_000:  # a bound, not a policy: they are read again
            self._known.clear()
        self._known[(session, clip_id)] = (clip, path)
        return clip, path

    def keep(
        self,
        session: str,
        data: bytes,
        limits_bytes: int,
        max_seconds: float,
        *,
        relay_bytes: Optional[int] = None,
        min_free_bytes: int = 0,
    ) -> AudioClip:
        """Check the recording and write it once (the same bytes again change nothing);
        ``VoiceNoteRefused`` if it is no voice note, ``SessionFull`` if the session's
        recordings would take more than ``limits_bytes``, ``NoRoom`` if the relay's would take
        more than ``relay_bytes`` or the disk would keep less than ``min_free_bytes`` free.
        Blocking: run it on a worker thread."""
        if not _SESSION.match(session):
            raise ValueError(f"not a session id: {session!r}")
        mime, seconds = inspect(data, max_seconds)
        clip_id = hashlib.sha256(data).hexdigest()
        with self._lock:
            found = self.find(session, clip_id)
            if found is not None:
                return found[0]
            total = self._total(session)
            if total + len(data) > limits_bytes:
                raise SessionFull(
                    f"this session keeps {total // (1024 * 1024)} MiB of voice notes; at most "
                    f"{limits_bytes // (1024 * 1024)} MiB are kept per session"
                )
            everything = self._relay_total()
            if relay_bytes is not None and everything + len(data) > relay_bytes:
                raise NoRoom(
                    f"this relay keeps {_mib(everything)} of voice notes, all sessions together, "
                    f"and keeps at most {_mib(relay_bytes)} (--voice-notes-max-bytes)"
                )
            free = self.free_bytes()
            if free - len(data) < min_free_bytes:
                raise NoRoom(
                    f"the relay's disk has {_mib(free)} free, less than the "
                    f"{_mib(min_free_bytes)} it keeps free (--voice-notes-min-free): ask "
                    "whoever runs the relay to free some room"
                )
            clip = AudioClip(id=clip_id, mime=mime, duration=seconds, size=len(data))
            folder = self._dir(session, clip_id)
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # The bytes first, then what was measured: a clip is found only once both exist.
            write_atomic(folder / f"{clip_id}.{EXTENSIONS[mime]}", data, mode=OWNER_ONLY)
            meta = {"mime": mime, "duration": seconds, "size": len(data)}
            write_atomic(folder / f"{clip_id}.json", json.dumps(meta).encode(), mode=OWNER_ONLY)
            self._totals[session] = total + len(data)
            self._everything = everything + len(data)
        log.info(
            "kept voice note %s for session %s (%.1f s, %d bytes)",
            clip_id,
            session,
            seconds,
            len(data),
        )
        return clip

    def free_bytes(self) -> int:
        """Bytes free to this process on the disk that holds the recordings."""
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize

    def _total(self, session: str) -> int:
        total = self._totals.get(session)
        if total is None:
            total = sum(size for _, size in _recordings(self.root / session))
            self._totals[session] = total
        return total

    def _relay_total(self) -> int:
        if self._everything is None:
            self._everything = sum(
                self._total(folder.name) for folder in self.root.iterdir() if folder.is_dir()
            )
        return self._everything

    def sweep(
        self,
        referred: Callable[[str, set[str]], Optional[set[str]]],
        older_than_s: float,
    ) -> int:
        """Remove the recordings no note names that were uploaded more than ``older_than_s``
        ago; how many were removed. ``referred(session, ids)``: which of ``ids`` the
        session's log names, or None to leave the session alone this time (it is live).
        A recording found named is marked so, and never looked up again. Blocking."""
        removed = 0
        cutoff = time.time() - older_than_s
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            session = folder.name
            if not _SESSION.match(session):
                continue
            candidates = {}
            for meta_path in folder.glob("*/*.json"):
                clip_id = meta_path.stem
                try:
                    if not valid_id(clip_id) or meta_path.stat().st_mtime > cutoff:
                        continue
                    meta = json.loads(meta_path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if isinstance(meta, dict) and not meta.get("named"):
                    candidates[clip_id] = meta
            if not candidates:
                continue
            named = referred(session, set(candidates))
            if named is None:
                continue
            with self._lock:
                for clip_id, meta in candidates.items():
                    meta_path = self._dir(session, clip_id) / f"{clip_id}.json"
                    if clip_id in named:
                        meta["named"] = True
                        write_atomic(meta_path, json.dumps(meta).encode(), mode=OWNER_ONLY)
                        continue
                    removed += self._remove(session, clip_id, meta_path)
        if removed:
            log.info("removed %d voice notes that no note named", removed)
        return removed

    def _remove(self, session: str, clip_id: str, meta_path: Path) -> int:
        """Delete one recording and what it measured (the caller holds the lock)."""
        self._known.pop((session, clip_id), None)
        size = 0
        for path in meta_path.parent.glob(f"{clip_id}.*"):
            try:
                if path.suffix in (".webm", ".ogg"):
                    size += path.stat().st_size
                path.unlink()
            except OSError as exc:
                log.error("could not remove voice note %s: %s", path, exc.strerror or exc)
                return 0
        self._known.pop((session, clip_id), None)  # a lookup meanwhile may have kept it
        log.info("removed voice note %s of session %s: no note names it", clip_id, session)
        if session in self._totals:
            self._totals[session] -= size
        if self._everything is not None:
            self._everything -= size
        return 1


def _recordings(folder: Path) -> Iterator[tuple[Path, int]]:
    """Each recording under a session's folder and its size."""
    for path in folder.glob("*/*"):
        if path.suffix in (".webm", ".ogg"):
            try:
                yield path, path.stat().st_size
            except OSError:
                pass


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n < 10 * 1024**3 else f"{n / 1024**3:.1f} GiB"


def parse_size(text: str) -> int:
    """Bytes of ``4G``, ``512M``, ``100K`` or a plain number (powers of 1024); for options."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not m:
        raise ValueError(f"not a size: {text!r} (say e.g. 4G, 512M or a number of bytes)")
    scale = 1024 ** " KMGT".index(m.group(2).upper() or " ")
    return int(float(m.group(1)) * scale)


class SessionFull(VoiceNoteRefused):
    """The session's recordings already take what a session may keep."""


class NoRoom(VoiceNoteRefused):
    """The relay's recordings take what it may keep, or its disk is nearly full."""
