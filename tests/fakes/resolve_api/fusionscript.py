"""A FAKE of DaVinci Resolve's scripting library (``fusionscript``), for Overshoulder's tests only.

This is not Resolve and talks to no Resolve. It stands where Resolve's ``fusionscript``
library stands: Blackmagic's ``DaVinciResolveScript.py`` (its stand-in is next to this file)
imports it and replaces itself with it, so ``DaVinciResolveScript.scriptapp`` is this
module's ``scriptapp``. It implements the part of the scripting API the Resolve adapter and
its self-test call, as Resolve's scripting README describes it, and refuses the rest the way
Resolve does; every name it accepts is in ``tests/fakes/resolve_vocabulary.py`` with its
source:

- a method or constant that is not in the vocabulary for its class reads as None, so calling
  it raises ``TypeError: 'NoneType' object is not callable``, as on Resolve's proxy objects;
- ``OpenPage`` of an unknown page, ``AddMarker`` with an unknown colour, an occupied frame,
  one outside its holder or a duration past its end, ``SetCurrentTimecode`` off the timeline
  or off a playhead page, ``ExportCurrentFrameAsStill`` with an unknown extension: False;
- ``GetSetting`` / ``SetSetting`` of an unknown key: "" / False;
- ``ImportMedia`` / ``AppendToTimeline`` of a clipInfo dict with a key the README does not
  list: nothing for that entry (assumed).

What it holds:

- ``scriptapp("Resolve")``: the running Resolve, or None (not running, or external
  scripting refused; ``resolve_control`` decides);
- ``Resolve``: ``GetProjectManager``, ``GetCurrentPage`` / ``OpenPage``, ``GetProductName``,
  ``GetVersion`` / ``GetVersionString``, ``EXPORT_OTIO`` / ``EXPORT_NONE``;
- ``ProjectManager.GetCurrentProject``; ``Project``: name, unique id, timelines (current, by
  index), ``GetSetting``, ``GetMediaPool``, ``ExportCurrentFrameAsStill(path)`` (a real JPEG
  or PNG of a test pattern per clip and source frame; the extension picks the format);
- ``MediaPool``: ``ImportMedia`` (files, or an image sequence as
  ``{"FilePath": "f_%03d.jpg", "StartIndex", "EndIndex"}``), ``CreateEmptyTimeline``,
  ``AppendToTimeline``, ``DeleteTimelines``, ``DeleteClips``, its folders;
- ``Timeline``: name, unique id, ``GetStartFrame`` / ``GetEndFrame`` (absolute frames; whether
  the end is the last frame or the one after it is ``Resolve.end_frame``, as the real one is
  not documented), ``GetStartTimecode``, ``GetSetting("timelineFrameRate")`` and
  ``("timelineDropFrameTimecode")``, ``GetCurrentTimecode`` / ``SetCurrentTimecode`` (on the
  Cut, Edit, Color, Fairlight and Deliver pages only; drop-frame timecode with ``;``),
  ``GetCurrentVideoItem``, ``GetTrackCount`` / ``GetItemListInTrack``, markers, and
  ``Export(path, EXPORT_OTIO, EXPORT_NONE)`` writing a real OTIO file of its clips;
- ``TimelineItem``: name, unique id, ``GetStart`` / ``GetEnd`` / ``GetDuration`` /
  ``GetLeftOffset`` (``subframe_precision`` argument as in Resolve 19+), markers (frameIds
  in the clip's source frames: assumed, docs/resolve.md),
  ``GetMediaPoolItem``;
- markers on timelines and items: one per frameId, ``AddMarker`` refuses an occupied frame or
  one outside the holder; ``GetMarkers``, ``GetMarkerByCustomData``, ``UpdateMarkerCustomData``,
  ``GetMarkerCustomData``, ``DeleteMarkerAtFrame``, ``DeleteMarkerByCustomData``,
  ``DeleteMarkersByColor``.

Timelines are built from a real ``.otio`` file (``Timeline.load``). What Resolve has no API
for (an editor playing, scrubbing, trimming, deleting a marker by hand, quitting) is done
through ``tests/fakes/resolve_control.py``. Every call is counted in ``calls`` so tests can
measure what polling costs. NumPy, OpenTimelineIO and simplejpeg load on first use, so the
module imports on a bare Python (the connection tests run it on Python 3.12 and 3.13).
"""

from __future__ import annotations

import collections
import threading
import time
import uuid
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from tests.fakes.resolve_vocabulary import VOCABULARY

if TYPE_CHECKING:
    import numpy as np

#: Marks this module as the fake (``resolve_control.install`` checks it).
_FAKE = True
#: Pages whose playhead scripts can read and set.
PLAYHEAD_PAGES = ("cut", "edit", "color", "fairlight", "deliver")
#: The still formats this fake can write (Resolve takes more: those raise NotImplementedError).
WRITTEN_STILLS = ("jpg", "jpeg", "png")
#: ``GetEndFrame`` conventions a fake Resolve can follow (``Resolve.end_frame``).
END_AFTER_LAST, END_LAST = "after_last", "last"
NTSC = {"23.976": 24000 / 1001, "29.97": 30000 / 1001, "59.94": 60000 / 1001}

#: Calls made into the fake, by "Class.Method" (every instance).
calls: collections.Counter[str] = collections.Counter()
#: Calls made into the fake, by the name of the thread that made them.
threads: collections.Counter[str] = collections.Counter()
_lock = threading.RLock()


class _State:
    """What ``scriptapp`` answers: the Resolve "running" now (None: not running / refused)."""

    current: Optional[Resolve] = None


def scriptapp(name: str) -> Optional[Resolve]:
    calls["scriptapp"] += 1
    return _State.current if name == "Resolve" else None


def _count(fn: Any) -> Any:
    def wrapper(self: Any, *args: Any) -> Any:
        calls[f"{type(self).__name__}.{fn.__name__}"] += 1
        threads[threading.current_thread().name] += 1
        with _lock:
            if isinstance(self, _Gone) and not self._alive():
                raise RuntimeError("fake Resolve: the connection to Resolve is closed")
            return fn(self, *args)

    wrapper.__name__ = fn.__name__
    return wrapper


class _Api:
    """A Resolve object: names Resolve does not have for this class read as None.

    Resolve's scripting objects are proxies; a method or constant they lack reads as None, so
    calling it raises ``TypeError: 'NoneType' object is not callable`` (see the vocabulary's
    sources). Only capitalised names are Resolve's; the fake's own attributes are lower case.
    """

    def __getattribute__(self, name: str) -> Any:
        if name[:1].isupper():
            # Reading a name off a proxy is a call into Resolve too: counted by thread.
            threads[threading.current_thread().name] += 1
            cls = type(self).__name__
            if not (
                VOCABULARY.has(f"method:{cls}", name) or VOCABULARY.has(f"constant:{cls}", name)
            ):
                calls[f"{cls}.{name} (not in Resolve)"] += 1
                return None
        return object.__getattribute__(self, name)


class _Gone(_Api):
    """Objects of a Resolve that quit raise on every call (as a dead IPC proxy would)."""

    _resolve: Resolve

    def _alive(self) -> bool:
        return self._resolve.alive


# --- timecode (independent of the adapter's own conversion) -------------------------------


def _nominal(rate: float) -> int:
    return round(rate)


def frame_to_timecode(frame: int, rate: float, drop: bool) -> str:
    fps = _nominal(rate)
    if drop:
        dropped = 2 if fps == 30 else 4
        per_min, per_10 = fps * 60 - dropped, fps * 600 - dropped * 9
        tens, rest = divmod(frame, per_10)
        frame += dropped * 9 * tens
        if rest > dropped:
            frame += dropped * ((rest - dropped) // per_min)
    ff, secs = frame % fps, frame // fps
    sep = ";" if drop else ":"
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}{sep}{ff:02d}"


def timecode_to_frame(tc: str, rate: float, drop: bool) -> int:
    fps = _nominal(rate)
    hh, mm, ss, ff = (int(p) for p in tc.replace(";", ":").split(":"))
    frame = (hh * 3600 + mm * 60 + ss) * fps + ff
    if drop:
        minutes = hh * 60 + mm
        frame -= (2 if fps == 30 else 4) * (minutes - minutes // 10)
    return frame


# --- test pattern ----------------------------------------------------------------------------


def pattern_pixels(clip: Optional[str], source_frame: int, width: int, height: int) -> np.ndarray:
    """The image of ``clip`` at ``source_frame``: a colour per clip, a bar per frame (uint8 RGB).

    No clip (a gap): black.
    """
    import numpy as np

    img = np.zeros((height, width, 3), np.uint8)
    if clip is None:
        return img
    seed = zlib.crc32(clip.encode())
    img[:] = (60 + seed % 150, 60 + (seed >> 8) % 150, 60 + (seed >> 16) % 150)
    bar = (source_frame * 7) % max(1, width - 8)
    img[:, bar : bar + 8] = 255
    img[height // 2 - 4 : height // 2 + 4, :] = (source_frame * 13) % 256
    return img


def _png(img: np.ndarray) -> bytes:
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        data = kind + body
        return len(body).to_bytes(4, "big") + data + zlib.crc32(data).to_bytes(4, "big")

    head = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


# --- markers --------------------------------------------------------------------------------


class _Markers(_Gone):
    """Markers on a timeline or a clip: {frameId: info}, one per frame."""

    def _init_markers(self) -> None:
        self.markers: dict[float, dict[str, Any]] = {}

    def _marker_range(self) -> tuple[int, int]:
        raise NotImplementedError

    @_count
    def AddMarker(
        self,
        frameId: float,
        color: str,
        name: str,
        note: str,
        duration: float,
        customData: Optional[str] = None,
    ) -> bool:
        first, last = self._marker_range()
        key = float(int(frameId))
        if key in self.markers or not first <= key <= last:
            return False
        if not VOCABULARY.has("marker_color", color):
            return False
        if duration < 1 or key + duration - 1 > last:
            # Past its holder's end: False (pydavinci's wrapper tells its users so when
            # AddMarker fails: "the duration isn't bigger than the clips' length").
            return False
        self.markers[key] = {
            "color": color,
            "duration": float(duration),
            "note": note,
            "name": name,
            "customData": customData or "",
        }
        return True

    @_count
    def GetMarkers(self) -> dict[float, dict[str, Any]]:
        return {k: dict(v) for k, v in sorted(self.markers.items())}

    @_count
    def GetMarkerByCustomData(self, customData: str) -> dict[float, dict[str, Any]]:
        for k, v in sorted(self.markers.items()):
            if v["customData"] == customData:
                return {k: dict(v)}
        return {}

    @_count
    def UpdateMarkerCustomData(self, frameId: float, customData: str) -> bool:
        m = self.markers.get(float(frameId))
        if m is None:
            return False
        m["customData"] = customData
        return True

    @_count
    def GetMarkerCustomData(self, frameId: float) -> str:
        m = self.markers.get(float(frameId))
        return m["customData"] if m else ""

    @_count
    def DeleteMarkerAtFrame(self, frameNum: float) -> bool:
        return self.markers.pop(float(frameNum), None) is not None

    @_count
    def DeleteMarkerByCustomData(self, customData: str) -> bool:
        for k, v in sorted(self.markers.items()):
            if v["customData"] == customData:
                del self.markers[k]
                return True
        return False

    @_count
    def DeleteMarkersByColor(self, color: str) -> bool:
        doomed = [k for k, v in self.markers.items() if color == "All" or v["color"] == color]
        for k in doomed:
            del self.markers[k]
        return bool(doomed)


# --- the objects --------------------------------------------------------------------------------


class MediaPoolItem(_Markers):
    """A clip in the media pool: a file, or an image sequence of ``frames`` frames."""

    def __init__(self, resolve: Resolve, name: str, path: str, frames: int = 1) -> None:
        self._resolve, self.name, self.path = resolve, name, path
        self.frames = frames
        self.uid = str(uuid.uuid4())
        self._init_markers()

    def _marker_range(self) -> tuple[int, int]:
        return 0, self.frames - 1

    @_count
    def GetUniqueId(self) -> str:
        return self.uid

    @_count
    def GetName(self) -> str:
        return self.name

    @_count
    def GetClipProperty(self, propertyName: Optional[str] = None) -> Any:
        props = {"File Path": self.path, "Clip Name": self.name}
        return props if propertyName is None else props.get(propertyName, "")


class TimelineItem(_Markers):
    """A clip on a video track: timeline frames ``start`` .. ``start + duration - 1``."""

    def __init__(
        self,
        resolve: Resolve,
        name: str,
        start: int,
        duration: int,
        left_offset: int,
        media: Optional[MediaPoolItem],
    ) -> None:
        self._resolve = resolve
        self.name, self.start, self.duration = name, start, duration
        self.left_offset = left_offset
        self.media = media
        self.uid = str(uuid.uuid4())
        self._init_markers()

    def _marker_range(self) -> tuple[int, int]:
        return self.left_offset, self.left_offset + self.duration - 1

    def source_frame(self, frame: int) -> int:
        return self.left_offset + frame - self.start

    @_count
    def GetName(self) -> str:
        return self.name

    @_count
    def GetUniqueId(self) -> str:
        return self.uid

    @_count
    def GetStart(self, subframe_precision: bool = False) -> int:
        return self.start

    @_count
    def GetEnd(self, subframe_precision: bool = False) -> int:
        return self.start + self.duration

    @_count
    def GetDuration(self, subframe_precision: bool = False) -> int:
        return self.duration

    @_count
    def GetLeftOffset(self, subframe_precision: bool = False) -> int:
        return self.left_offset

    @_count
    def GetSourceStartFrame(self) -> int:
        return self.left_offset

    @_count
    def GetMediaPoolItem(self) -> Optional[MediaPoolItem]:
        return self.media


class Timeline(_Markers):
    """A timeline: video tracks of clips, a playhead (a clock while playing), markers."""

    def __init__(self, resolve: Resolve, name: str, start: int, rate_setting: str, drop: bool):
        self._resolve = resolve
        self.name, self.start = name, start
        self.rate_setting, self.drop = rate_setting, drop
        self.rate = NTSC.get(rate_setting) or float(rate_setting)
        self.uid = str(uuid.uuid4())
        self.tracks: list[list[TimelineItem]] = []
        self.audio_tracks = 0
        self._frame = start
        self._play_from: Optional[tuple[int, float, float]] = None
        self._init_markers()

    @classmethod
    def load(
        cls,
        resolve: Resolve,
        path: Path,
        rate_setting: Optional[str] = None,
        drop: bool = False,
    ) -> Timeline:
        """A timeline with the clips of the OTIO file at ``path`` (frames rescaled to the rate)."""
        import opentimelineio as otio

        tl = otio.adapters.read_from_file(str(path))
        file_rate = tl.global_start_time.rate if tl.global_start_time else 24.0
        setting = rate_setting or f"{file_rate:g}"
        rate = NTSC.get(setting) or float(setting)
        start = round(tl.global_start_time.rescaled_to(rate).value) if tl.global_start_time else 0
        made = cls(resolve, tl.name, start, setting, drop)
        for track in tl.video_tracks():
            items = []
            for child in track:
                if not isinstance(child, otio.schema.Clip):
                    continue
                span = child.range_in_parent()
                url = child.media_reference.target_url
                media = MediaPoolItem(resolve, url.rsplit("/", 1)[-1], url)
                items.append(
                    TimelineItem(
                        resolve,
                        child.name,
                        start + round(span.start_time.rescaled_to(rate).value),
                        round(span.duration.rescaled_to(rate).value),
                        round(child.source_range.start_time.value),
                        media,
                    )
                )
            made.tracks.append(items)
        made.audio_tracks = len(list(tl.audio_tracks()))
        made._frame = start
        return made

    # --- what the fake's controls use ---

    def end(self) -> int:
        """The frame after the last clip (``GetEndFrame`` answers this, or the frame before it:
        ``Resolve.end_frame``)."""
        ends = [i.start + i.duration for t in self.tracks for i in t]
        return max(ends, default=self.start + 1)

    def frame(self) -> int:
        if self._play_from is None:
            return self._frame
        frame, since, speed = self._play_from
        now = frame + int((time.monotonic() - since) * self.rate * speed)
        return min(max(now, self.start), self.end() - 1)

    def play(self, speed: float = 1.0) -> None:
        self._play_from = (self.frame(), time.monotonic(), speed)

    def stop(self) -> None:
        self._frame = self.frame()
        self._play_from = None

    def seek(self, frame: int) -> None:
        playing = self._play_from is not None
        self._play_from = None
        self._frame = min(max(frame, self.start), self.end() - 1)
        if playing:
            self.play()

    def item_at(self, frame: int) -> Optional[TimelineItem]:
        for track in reversed(self.tracks):
            for item in track:
                if item.start <= frame < item.start + item.duration:
                    return item
        return None

    def _marker_range(self) -> tuple[int, int]:
        return 0, self.end() - self.start - 1

    def _on_playhead_page(self) -> bool:
        return self._resolve.page in PLAYHEAD_PAGES

    # --- the API ---

    @_count
    def GetName(self) -> str:
        return self.name

    @_count
    def GetUniqueId(self) -> str:
        return self.uid

    @_count
    def GetStartFrame(self) -> int:
        return self.start

    @_count
    def GetEndFrame(self) -> int:
        return self.end() if self._resolve.end_frame == END_AFTER_LAST else self.end() - 1

    @_count
    def GetStartTimecode(self) -> str:
        return frame_to_timecode(self.start, self.rate, self.drop)

    @_count
    def GetSetting(self, settingName: str) -> str:
        if not VOCABULARY.has("setting", settingName):
            return ""  # "an invalid key will return a trivial result"
        return {
            "timelineFrameRate": self.rate_setting,
            "timelineDropFrameTimecode": "1" if self.drop else "0",
        }.get(settingName, "")

    @_count
    def GetTrackCount(self, trackType: str) -> int:
        return {"video": len(self.tracks), "audio": self.audio_tracks}.get(trackType, 0)

    @_count
    def GetItemListInTrack(self, trackType: str, index: int) -> list[TimelineItem]:
        if trackType != "video" or not 1 <= index <= len(self.tracks):
            return []
        return list(self.tracks[index - 1])

    @_count
    def GetCurrentTimecode(self) -> str:
        if not self._on_playhead_page():
            return ""
        return frame_to_timecode(self.frame(), self.rate, self.drop)

    @_count
    def SetCurrentTimecode(self, timecode: str) -> bool:
        if not self._on_playhead_page():
            return False
        try:
            frame = timecode_to_frame(timecode, self.rate, self.drop)
        except ValueError:
            return False
        if not self.start <= frame < self.end():
            return False
        self.seek(frame)
        return True

    @_count
    def GetCurrentVideoItem(self) -> Optional[TimelineItem]:
        return self.item_at(self.frame())

    @_count
    def Export(self, fileName: str, exportType: int, exportSubtype: int) -> bool:
        if exportType != Resolve.EXPORT_OTIO:
            if exportType in _EXPORT_TYPES:
                raise NotImplementedError("the fake Resolve exports OTIO only")
            return False
        import opentimelineio as otio

        rate = self.rate
        out = otio.schema.Timeline(name=self.name)
        out.global_start_time = otio.opentime.RationalTime(self.start, rate)
        for n, items in enumerate(self.tracks, start=1):
            track = otio.schema.Track(name=f"Video {n}", kind=otio.schema.TrackKind.Video)
            at = self.start
            for item in sorted(items, key=lambda i: i.start):
                if item.start > at:
                    gap = otio.opentime.TimeRange(
                        otio.opentime.RationalTime(0, rate),
                        otio.opentime.RationalTime(item.start - at, rate),
                    )
                    track.append(otio.schema.Gap(source_range=gap))
                url = item.media.path if item.media else ""
                track.append(
                    otio.schema.Clip(
                        name=item.name,
                        media_reference=otio.schema.ExternalReference(target_url=url),
                        source_range=otio.opentime.TimeRange(
                            otio.opentime.RationalTime(item.left_offset, rate),
                            otio.opentime.RationalTime(item.duration, rate),
                        ),
                    )
                )
                at = item.start + item.duration
            out.tracks.append(track)
        otio.adapters.write_to_file(out, fileName)
        return True


class Project(_Gone):
    def __init__(self, resolve: Resolve, name: str, width: int, height: int) -> None:
        self._resolve, self.name = resolve, name
        self.uid = str(uuid.uuid4())
        self.width, self.height = width, height
        self.timelines: list[Timeline] = []
        self.current: Optional[Timeline] = None
        self.stills = 0
        self.rate_setting = "24"
        self.pool = MediaPool(resolve, self)

    @_count
    def GetName(self) -> str:
        return self.name

    @_count
    def GetUniqueId(self) -> str:
        return self.uid

    @_count
    def GetTimelineCount(self) -> int:
        return len(self.timelines)

    @_count
    def GetTimelineByIndex(self, idx: int) -> Optional[Timeline]:
        return self.timelines[idx - 1] if 1 <= idx <= len(self.timelines) else None

    @_count
    def GetCurrentTimeline(self) -> Optional[Timeline]:
        return self.current

    @_count
    def SetCurrentTimeline(self, timeline: Timeline) -> bool:
        if timeline not in self.timelines:
            return False
        self.current = timeline
        return True

    @_count
    def GetMediaPool(self) -> MediaPool:
        return self.pool

    @_count
    def GetSetting(self, settingName: str) -> str:
        if not VOCABULARY.has("setting", settingName):
            return ""  # "an invalid key will return a trivial result"
        return {
            "timelineResolutionWidth": str(self.width),
            "timelineResolutionHeight": str(self.height),
            "timelineFrameRate": self.rate_setting,
        }.get(settingName, "")

    @_count
    def ExportCurrentFrameAsStill(self, filePath: str) -> bool:
        tl = self.current
        if tl is None or self._resolve.page not in ("cut", "edit", "color"):
            return False
        frame = tl.frame()
        item = tl.item_at(frame)
        img = pattern_pixels(
            item.name if item else None,
            item.source_frame(frame) if item else frame,
            self.width,
            self.height,
        )
        suffix = Path(filePath).suffix.lower().lstrip(".")
        if not VOCABULARY.has("still_format", suffix):
            return False  # "filePath must end in valid export file format"
        if suffix == "jpg":
            import simplejpeg

            data = simplejpeg.encode_jpeg(img, quality=92, colorspace="RGB")
        elif suffix == "png":
            data = _png(img)
        else:
            raise NotImplementedError(f"the fake Resolve writes {WRITTEN_STILLS} stills only")
        Path(filePath).write_bytes(data)
        self.stills += 1
        return True


class ProjectManager(_Gone):
    def __init__(self, resolve: Resolve) -> None:
        self._resolve = resolve
        self.project: Optional[Project] = None

    @_count
    def GetCurrentProject(self) -> Optional[Project]:
        return self.project


class Resolve(_Gone):
    """The application object ``scriptapp("Resolve")`` returns."""

    EXPORT_NONE = 0
    EXPORT_OTIO = 23

    def __init__(self, product: str = "DaVinci Resolve Studio", version: str = "19.1.4.0011"):
        self._resolve = self
        self.alive = True
        self.product = product
        self.version = version
        self.page = "edit"
        #: What ``GetEndFrame`` answers: the frame after the last (``END_AFTER_LAST``) or the
        #: last frame itself (``END_LAST``); the README does not say which Resolve does.
        self.end_frame = END_AFTER_LAST
        self.manager = ProjectManager(self)

    @_count
    def GetProjectManager(self) -> ProjectManager:
        return self.manager

    @_count
    def GetCurrentPage(self) -> Optional[str]:
        return self.page

    @_count
    def OpenPage(self, pageName: str) -> bool:
        if not VOCABULARY.has("page", pageName):
            return False
        self.page = pageName
        return True

    @_count
    def GetProductName(self) -> str:
        return self.product

    @_count
    def GetVersionString(self) -> str:
        return self.version

    @_count
    def GetVersion(self) -> list[Any]:
        parts = self.version.split(".")
        return [int(p) for p in parts[:3]] + [int(parts[3]) if len(parts) > 3 else 0, ""]


#: Export types the fake knows as Resolve's (it writes only OTIO).
_EXPORT_TYPES = (Resolve.EXPORT_OTIO,)


class Folder(_Gone):
    """A media pool folder (the fake has one, the root)."""

    def __init__(self, resolve: Resolve, name: str) -> None:
        self._resolve, self.name = resolve, name
        self.uid = str(uuid.uuid4())
        self.clips: list[MediaPoolItem] = []

    @_count
    def GetName(self) -> str:
        return self.name

    @_count
    def GetUniqueId(self) -> str:
        return self.uid

    @_count
    def GetClipList(self) -> list[MediaPoolItem]:
        return list(self.clips)


class MediaPool(_Gone):
    """A project's media pool: clips in one folder, and the project's timelines."""

    def __init__(self, resolve: Resolve, project: Project) -> None:
        self._resolve, self.project = resolve, project
        self.root = Folder(resolve, "Master")

    @_count
    def GetRootFolder(self) -> Folder:
        return self.root

    @_count
    def GetCurrentFolder(self) -> Folder:
        return self.root

    @_count
    def ImportMedia(self, items: list[Any]) -> list[MediaPoolItem]:
        """Files that exist, or ``{"FilePath": "x_%03d.jpg", "StartIndex", "EndIndex"}``
        sequences whose every frame exists (anything else is left out, as Resolve skips
        what it cannot read; a clipInfo with a key the README does not list imports nothing,
        assumed)."""
        made = []
        for entry in items:
            if isinstance(entry, dict):
                if not all(VOCABULARY.has("clip_info:ImportMedia", str(k)) for k in entry):
                    calls["MediaPool.ImportMedia (unknown clipInfo key)"] += 1
                    continue
                pattern = str(entry.get("FilePath", ""))
                first, last = int(entry.get("StartIndex", 0)), int(entry.get("EndIndex", -1))
                frames = (
                    [Path(pattern % n) for n in range(first, last + 1)] if "%" in pattern else []
                )
                if not frames or not all(f.is_file() for f in frames):
                    continue
                clip = MediaPoolItem(self._resolve, Path(pattern).name, pattern, len(frames))
            else:
                if not Path(str(entry)).is_file():
                    continue
                clip = MediaPoolItem(self._resolve, Path(str(entry)).name, str(entry))
            self.root.clips.append(clip)
            made.append(clip)
        return made

    @_count
    def DeleteClips(self, clips: list[MediaPoolItem]) -> bool:
        found = [c for c in clips if c in self.root.clips]
        for clip in found:
            self.root.clips.remove(clip)
        return bool(found) and len(found) == len(clips)

    @_count
    def CreateEmptyTimeline(self, name: str) -> Optional[Timeline]:
        """A new timeline at 01:00:00:00 and the project's rate; None when the name is taken."""
        if any(t.name == name for t in self.project.timelines):
            return None
        rate = NTSC.get(self.project.rate_setting) or float(self.project.rate_setting)
        made = Timeline(self._resolve, name, round(3600 * rate), self.project.rate_setting, False)
        made.tracks.append([])
        made._frame = made.start
        self.project.timelines.append(made)
        return made

    @_count
    def AppendToTimeline(self, clips: list[Any]) -> list[TimelineItem]:
        """Clips (or ``{"mediaPoolItem", "startFrame", "endFrame"}``) after the end of the
        current timeline's first video track."""
        timeline = self.project.current
        if timeline is None:
            return []
        if not timeline.tracks:
            timeline.tracks.append([])
        made = []
        for entry in clips:
            clip, first, last = entry, 0, None
            if isinstance(entry, dict):
                if not all(VOCABULARY.has("clip_info:AppendToTimeline", str(k)) for k in entry):
                    calls["MediaPool.AppendToTimeline (unknown clipInfo key)"] += 1
                    continue  # a key the README does not list: nothing appended, assumed
                clip = entry.get("mediaPoolItem")
                first = int(entry.get("startFrame", 0))
                last = int(entry["endFrame"]) if "endFrame" in entry else None
            if not isinstance(clip, MediaPoolItem) or clip not in self.root.clips:
                continue
            last = clip.frames - 1 if last is None else min(last, clip.frames - 1)
            if last < first:
                continue
            track = timeline.tracks[0]
            at = max((i.start + i.duration for i in track), default=timeline.start)
            item = TimelineItem(self._resolve, clip.name, at, last - first + 1, first, clip)
            track.append(item)
            made.append(item)
        return made

    @_count
    def DeleteTimelines(self, timelines: list[Timeline]) -> bool:
        project = self.project
        found = [t for t in timelines if t in project.timelines]
        for timeline in found:
            project.timelines.remove(timeline)
            if project.current is timeline:
                project.current = project.timelines[0] if project.timelines else None
        return bool(found) and len(found) == len(timelines)


class App(_Api):
    """Fusion's ``app`` as a script started from Workspace > Scripts is handed it."""

    def __init__(self, resolve: Optional[Resolve]) -> None:
        self.resolve = resolve

    def GetResolve(self) -> Optional[Resolve]:
        calls["App.GetResolve"] += 1
        return self.resolve
