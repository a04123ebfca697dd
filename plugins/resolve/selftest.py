"""The self-test inside a real DaVinci Resolve: every call the adapter makes, and the figures
that could not be measured without Resolve.

Run it from Workspace > Scripts > Overshoulder Self-test, or from a terminal with Resolve
running (external scripting, Studio)::

    python -m overshoulder.plugins.resolve.selftest [--out FOLDER]

It makes a scratch timeline from a scratch clip (a JPEG sequence of ``SELFTEST_FRAMES``
frames it writes), runs the adapter on it (``ResolveHost``: its thread, its polls, its
markers, its stills, its OTIO export), deletes both, and opens the editor's timeline, page
and playhead again. Every call into Resolve goes through the adapter's one thread
(``AdapterThread``), as the adapter makes them. The report (text and JSON) goes to the
system's temporary folder, or ``--out``; docs/resolve.md ("Checking in a real app") says
what each line means.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, cast

from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.core.selftest import (
    Check,
    CheckFailed,
    CheckSkipped,
    Figures,
    Report,
    run_checks,
    run_from_menu,
    single_failure,
    terminal_main,
    timed,
    timing_figures,
)

from . import defaults
from .connection import Connection, ResolveError, reach
from .cut import read_cut
from .defaults import (
    CALL_TIMEOUT_S,
    PLAYHEAD_PAGES,
    SELFTEST_CALLS,
    SELFTEST_FRAME_SIZE,
    SELFTEST_FRAMES,
    SELFTEST_NAME,
    SELFTEST_PAGE,
    SELFTEST_POLLS,
    SELFTEST_STILLS,
    WINDOW_TITLE,
)
from .host import ResolveHost
from .markers import ITEM_KIND, custom_data, last_frame
from .session_flag import flag_folder, sessions_open
from .timecode import to_frame, to_timecode

if TYPE_CHECKING:
    from fusionscript import (
        MarkerColor,
        MediaPool,
        MediaPoolItem,
        PageName,
        Project,
        Resolve,
        Timeline,
        TimelineItem,
    )

log = logging.getLogger("overshoulder.resolve")

#: ``Report.app``.
APP = "resolve"
#: The two readings of ``GetEndFrame``, as the ``end_frame`` check words them.
_CONVENTIONS = {"after_last": "the frame after the last", "last": "the last frame"}


@dataclass
class _Saved:
    """What the editor had before the self-test: put back by the last check."""

    page: Optional[PageName] = None
    timeline: Optional[Timeline] = None
    timeline_uid: str = ""
    timecode: str = ""


@dataclass
class Session:
    """One run: the connection, the adapter on it, and the scratch things it made."""

    connection: Connection
    work: Path
    host: ResolveHost = field(init=False)
    saved: _Saved = field(default_factory=_Saved)
    project: Optional[Project] = None
    pool: Optional[MediaPool] = None
    clip: Optional[MediaPoolItem] = None
    timeline: Optional[Timeline] = None
    item: Optional[TimelineItem] = None
    opened_page: bool = False
    put_back_done: bool = False
    closed: bool = False

    def __post_init__(self) -> None:
        self.host = ResolveHost(
            self.connection.resolve,
            temp_dir=str(self.work),
            notes_dir=self.work / "notes",
        )

    @property
    def resolve(self) -> Resolve:
        return self.connection.resolve

    def call(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` on the adapter's thread (every call into Resolve goes there)."""
        return self.host.call_on_main(fn, timeout=CALL_TIMEOUT_S)

    def need_timeline(self) -> Timeline:
        if self.timeline is None or self.item is None:
            raise CheckSkipped("there is no scratch timeline (see the scratch_timeline check)")
        return self.timeline

    def need_item(self) -> TimelineItem:
        """The scratch clip on the scratch timeline."""
        self.need_timeline()
        assert self.item is not None
        return self.item

    def put_back(self) -> list[str]:
        """Delete what the self-test made and open the editor's timeline, page and playhead
        again, once, on the adapter's thread; returns what Resolve refused. The ``restore``
        check does it, and ``run`` does it in a ``finally`` if that check never ran."""
        if self.put_back_done:
            return []
        self.put_back_done = True
        return list(self.call(self._put_back))

    def _put_back(self) -> list[str]:
        project, saved, resolve = self.project, self.saved, self.resolve
        problems: list[str] = []
        if project is None:
            return problems
        if saved.timeline is not None and not project.SetCurrentTimeline(saved.timeline):
            problems.append("SetCurrentTimeline refused the editor's timeline")
        pool = self.pool
        timeline = self.timeline
        if timeline is not None and pool is not None and not pool.DeleteTimelines([timeline]):
            problems.append("DeleteTimelines refused the scratch timeline")
        if self.clip is not None and pool is not None and not pool.DeleteClips([self.clip]):
            problems.append("DeleteClips refused the scratch clip")
        if self.opened_page and saved.page and not resolve.OpenPage(saved.page):
            problems.append(f"OpenPage({saved.page!r}) was refused")
        if (
            saved.timeline is not None
            and saved.timecode
            and not saved.timeline.SetCurrentTimecode(saved.timecode)
        ):
            problems.append(f"SetCurrentTimecode({saved.timecode!r}) was refused")
        return problems

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.host.close()
            shutil.rmtree(self.work, ignore_errors=True)


# --- the checks --------------------------------------------------------------------------------


def _connection(s: Session, figures: Figures) -> str:
    figures["way"] = s.connection.way
    if s.connection.detail:
        figures["loader_failure"] = s.connection.detail
    resolve = s.resolve
    product = s.call(lambda: resolve.GetProductName())
    figures["product"] = product
    figures["edition"] = "Studio" if "studio" in str(product).lower() else "free"
    figures["version"] = s.call(lambda: resolve.GetVersionString())
    figures["page"] = s.call(lambda: resolve.GetCurrentPage())
    if not product:
        raise CheckFailed("Resolve answered no product name: the scripting connection is dead")
    return f"{product} {figures['version']}, reached through {s.connection.way}"


def _write_frames(folder: Path, stem: str) -> Path:
    """``SELFTEST_FRAMES`` JPEGs ``stem_001.jpg``...; returns the ``%03d`` pattern."""
    import numpy as np
    import simplejpeg

    folder.mkdir(parents=True, exist_ok=True)
    width, height = SELFTEST_FRAME_SIZE
    for n in range(1, SELFTEST_FRAMES + 1):
        img = np.full((height, width, 3), 96, np.uint8)
        img[:, (n * 5) % (width - 4) :][:, :4] = 255
        data = simplejpeg.encode_jpeg(img, quality=80, colorspace="RGB")
        (folder / f"{stem}_{n:03d}.jpg").write_bytes(data)
    return folder / f"{stem}_%03d.jpg"


def _scratch(s: Session, figures: Figures) -> str:
    resolve = s.resolve

    def save_and_make() -> str:
        project = resolve.GetProjectManager().GetCurrentProject()
        if project is None:
            raise CheckFailed("no project is open in Resolve: open any project and run it again")
        s.project = project
        s.saved.page = resolve.GetCurrentPage()
        current = project.GetCurrentTimeline()
        if current is not None:
            s.saved.timeline = current
            s.saved.timeline_uid = str(current.GetUniqueId())
            s.saved.timecode = str(current.GetCurrentTimecode() or "")
        if s.saved.page not in PLAYHEAD_PAGES:
            if not resolve.OpenPage(cast("PageName", SELFTEST_PAGE)):
                raise CheckFailed(f"Resolve refused OpenPage({SELFTEST_PAGE!r})")
            s.opened_page = True
        pool = s.pool = project.GetMediaPool()
        tag = uuid.uuid4().hex[:8]
        pattern = _write_frames(s.work / "frames", f"overshoulder_selftest_{tag}")
        clips = pool.ImportMedia(
            [{"FilePath": str(pattern), "StartIndex": 1, "EndIndex": SELFTEST_FRAMES}]
        )
        figures["imported_clips"] = len(clips or [])
        if not clips or len(clips) != 1:
            raise CheckFailed(
                f"ImportMedia of the {SELFTEST_FRAMES}-frame JPEG sequence {pattern.name} made "
                f"{len(clips or [])} clips, not one (is 'Show Individual Frames' on?)"
            )
        clip = s.clip = clips[0]
        name = f"{SELFTEST_NAME} {tag}"
        timeline = s.timeline = pool.CreateEmptyTimeline(name)
        if timeline is None:
            raise CheckFailed(f"Resolve refused CreateEmptyTimeline({name!r})")
        if not project.SetCurrentTimeline(timeline):
            raise CheckFailed("Resolve refused SetCurrentTimeline on the scratch timeline")
        # README (MediaPool): AppendToTimeline([clips]); the stubs' first form of it lacks
        # @overload, so mypy sees only AppendToTimeline(clip1, *clips).
        items = pool.AppendToTimeline([clip])  # type: ignore[arg-type]
        figures["appended_items"] = len(items or [])
        if not items:
            raise CheckFailed("Resolve refused AppendToTimeline of the scratch clip")
        item = s.item = items[0]
        figures["clip_frames"] = int(item.GetDuration(False))
        return name

    name = s.call(save_and_make)
    figures["timeline"] = name
    # The adapter reads the new timeline as its poll does: rate, tracks and clips
    # (GetTrackCount, GetItemListInTrack), the cut (the OTIO export).
    host = s.host
    s.call(host.refresh)
    spans = host.clips()
    figures["adapter_clips"] = len(spans)
    figures["adapter_last_frame"] = host.playhead().last
    figures["adapter_rate"] = host.rate.fps
    if len(spans) != 1 or spans[0].end - spans[0].start + 1 != figures["clip_frames"]:
        lengths = [sp.end - sp.start + 1 for sp in spans]
        raise CheckFailed(
            f"the adapter reads {len(spans)} clips on the scratch timeline ({lengths} frames), "
            f"not one of {figures['clip_frames']}"
        )
    return f"{name}: one clip of {figures['clip_frames']} frames"


def _end_frame(s: Session, figures: Figures) -> str:
    timeline, item = s.need_timeline(), s.need_item()

    def read() -> tuple[int, int, int, int, int]:
        return (
            int(timeline.GetStartFrame()),
            int(timeline.GetEndFrame()),
            int(item.GetStart(False)),
            int(item.GetEnd(False)),
            int(item.GetDuration(False)),
        )

    start, end, item_start, item_end, duration = s.call(read)
    figures.update(
        start_frame=start,
        end_frame=end,
        item_start=item_start,
        item_end=item_end,
        item_duration=duration,
    )
    if end - start == duration:
        measured = "after_last"
    elif end - start == duration - 1:
        measured = "last"
    else:
        raise CheckFailed(
            f"GetEndFrame - GetStartFrame is {end - start} on a timeline of one {duration}-frame "
            f"clip: neither the frame after the last ({duration}) nor the last ({duration - 1})"
        )
    figures["convention"] = measured
    figures["item_end_after_last"] = item_end - item_start == duration
    assumed = "after_last" if defaults.END_FRAME_AFTER_LAST else "last"
    figures["adapter_assumes"] = assumed
    if measured != assumed:
        raise CheckFailed(
            f"GetEndFrame is {_CONVENTIONS[measured]} in this Resolve; the adapter assumes "
            f"{_CONVENTIONS[assumed]}: set END_FRAME_AFTER_LAST = "
            f"{measured == 'after_last'} in plugins/resolve/defaults.py"
        )
    if item_end - item_start != duration:
        raise CheckFailed(
            f"TimelineItem.GetEnd - GetStart is {item_end - item_start} for a {duration}-frame "
            f"clip: the adapter takes GetEnd for the frame after the clip"
        )
    return f"GetEndFrame is {_CONVENTIONS[measured]} (as the adapter assumes)"


def _call_cost(s: Session, figures: Figures) -> str:
    timeline = s.need_timeline()

    def loop() -> list[float]:
        took = []
        for _ in range(SELFTEST_CALLS):
            t0 = time.perf_counter()
            timeline.GetCurrentTimecode()
            took.append(time.perf_counter() - t0)
        return took

    took = s.call(loop)
    figures.update(timing_figures("call", took))
    figures["calls_per_second_at_poll_rate"] = round(1 / defaults.PLAYHEAD_POLL_S)
    return f"one GetCurrentTimecode: median {figures['call_median_ms']:.2f} ms"


def _poll_cost(s: Session, figures: Figures) -> str:
    s.need_timeline()
    host = s.host
    inside: list[float] = []
    around: list[float] = []

    def poll() -> None:
        t0 = time.perf_counter()
        host.read_playhead()
        inside.append(time.perf_counter() - t0)

    for _ in range(SELFTEST_POLLS):
        t0 = time.perf_counter()
        s.call(poll)
        around.append(time.perf_counter() - t0)
    figures.update(timing_figures("poll", inside))
    figures.update(timing_figures("poll_with_hop", around))
    share = figures["poll_median_ms"] / 1000 / defaults.PLAYHEAD_POLL_S
    figures["poll_share_of_thread"] = round(share, 4)
    return (
        f"one playhead poll: median {figures['poll_median_ms']:.2f} ms "
        f"({share:.1%} of the adapter's thread at {1 / defaults.PLAYHEAD_POLL_S:.0f} polls/s)"
    )


def _playhead(s: Session, figures: Figures) -> str:
    timeline = s.need_timeline()
    host = s.host
    first = int(s.call(lambda: timeline.GetStartFrame()))
    target = first + SELFTEST_FRAMES // 2
    figures["target_frame"] = target
    with timed(figures, "set_ms"):
        s.call(lambda: host.set_playhead(target, playing=False))
    text = s.call(lambda: timeline.GetCurrentTimecode())
    figures["timecode"] = text
    if not text:
        page = s.call(lambda: s.resolve.GetCurrentPage())
        raise CheckFailed(f"GetCurrentTimecode answered nothing on the {page} page")
    read = to_frame(str(text), host.rate)
    figures["read_frame"] = read
    figures["adapter_frame"] = host.playhead().frame
    if read != target:
        raise CheckFailed(
            f"the playhead was set to frame {target} ({to_timecode(target, host.rate)}) but "
            f"reads {read} ({text})"
        )
    return f"set to {text} and read back"


def _note(anchor: Anchor, text: str) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="text", at=(0.0, 0.0), text=text),
        anchor=anchor,
        text=text,
        author="overshoulder-selftest",
        author_name="Self-test",
    )


def _markers(s: Session, figures: Figures) -> str:
    timeline, item = s.need_timeline(), s.need_item()
    host = s.host
    first = int(s.call(lambda: timeline.GetStartFrame()))
    # What a note made in Resolve is about: the clip under the playhead (GetCurrentVideoItem).
    s.call(lambda: host.set_playhead(first + 3, playing=False))
    anchor = s.call(host.anchor)
    figures["anchor_frame"] = anchor.frame
    figures["anchor_clip"] = anchor.object.label if anchor.object is not None else None
    if anchor.object is None or anchor.object.kind != ITEM_KIND:
        raise CheckFailed("GetCurrentVideoItem named no clip under the playhead")
    note = _note(anchor, "self-test note")
    key = custom_data(note.id)
    with timed(figures, "add_ms"):
        s.call(lambda: host.apply_annotation(note))
    found = s.call(lambda: item.GetMarkerByCustomData(key)) or {}
    figures["found_on_clip"] = len(found)
    if len(found) != 1:
        on_timeline = s.call(lambda: timeline.GetMarkerByCustomData(key)) or {}
        raise CheckFailed(
            f"the note's marker is not on its clip (GetMarkerByCustomData found {len(found)}; "
            f"on the timeline: {len(on_timeline)})"
        )
    [(frame_id, info)] = found.items()
    figures["frame_id"] = frame_id
    figures["marker"] = {k: info.get(k) for k in ("color", "duration", "name")}
    if not s.call(lambda: item.UpdateMarkerCustomData(frame_id, key)):
        raise CheckFailed(f"UpdateMarkerCustomData({frame_id}, ...) answered False")
    stored = s.call(host.stored_annotations)
    if note.id not in {n.id for n in stored}:
        raise CheckFailed("the adapter did not read its note back from the markers")
    changed = dataclasses.replace(note, text="self-test note, changed")
    s.call(lambda: host.apply_annotation(changed))
    again = s.call(lambda: item.GetMarkerByCustomData(key)) or {}
    notes = [i.get("note") for i in again.values()]
    if notes != ["self-test note, changed"]:
        raise CheckFailed(f"after an edit the marker's note reads {notes}")
    with timed(figures, "delete_ms"):
        s.call(lambda: host.remove_annotation(note.id))
    left = s.call(lambda: item.GetMarkerByCustomData(key)) or {}
    if left:
        raise CheckFailed("DeleteMarkerByCustomData left the note's marker on the clip")
    # And on the timeline itself, where a note in a gap goes.
    mark = f"{key}:timeline"
    added = s.call(
        lambda: timeline.AddMarker(
            1.0, cast("MarkerColor", defaults.NO_AUTHOR_COLOUR), "self-test", "", 1.0, mark
        )
    )
    on_timeline = s.call(lambda: timeline.GetMarkerByCustomData(mark)) or {}
    deleted = s.call(lambda: timeline.DeleteMarkerByCustomData(mark))
    figures["timeline_marker"] = bool(added) and len(on_timeline) == 1 and bool(deleted)
    if not figures["timeline_marker"]:
        raise CheckFailed(
            f"a timeline marker's round trip failed (AddMarker {added}, found "
            f"{len(on_timeline)}, DeleteMarkerByCustomData {deleted})"
        )
    return f"added, found, read back, changed and deleted (clip frameId {frame_id})"


def _still(s: Session, figures: Figures) -> str:
    s.need_timeline()
    host = s.host
    took: list[float] = []
    got = None
    for _ in range(SELFTEST_STILLS):
        t0 = time.perf_counter()
        got = host.capture()
        took.append(time.perf_counter() - t0)
        if got is None:
            figures.update(timing_figures("still", took))
            page = s.call(lambda: s.resolve.GetCurrentPage())
            raise CheckFailed(f"ExportCurrentFrameAsStill wrote no still on the {page} page")
    figures.update(timing_figures("still", took))
    assert got is not None
    figures.update(width=got.width, height=got.height, jpeg_bytes=len(got.encoded or b""))
    return (
        f"{got.width}x{got.height} JPEG, median {figures['still_median_ms']:.0f} ms "
        f"(timeline resolution; the clip is {SELFTEST_FRAME_SIZE[0]}x{SELFTEST_FRAME_SIZE[1]})"
    )


def _otio(s: Session, figures: Figures) -> str:
    timeline = s.need_timeline()
    resolve = s.resolve
    path = s.work / "selftest.otio"
    kind = s.call(lambda: resolve.EXPORT_OTIO)
    if kind is None:
        raise CheckSkipped(
            "this Resolve has no EXPORT_OTIO (before 18.5): the adapter lists clips instead"
        )
    with timed(figures, "export_ms"):
        ok = s.call(lambda: timeline.Export(str(path), kind, resolve.EXPORT_NONE))
    if not ok or not path.is_file():
        raise CheckFailed(f"Timeline.Export(..., EXPORT_OTIO, EXPORT_NONE) answered {ok!r}")
    figures["otio_bytes"] = path.stat().st_size
    cut = read_cut(path, s.host.rate.fps)
    figures["clips"] = len(cut.clips)
    figures["clip_duration"] = cut.clips[0].duration if cut.clips else 0
    last = s.call(lambda: last_frame(timeline))
    figures["otio_end"] = cut.end
    figures["adapter_last_frame"] = last
    if len(cut.clips) != 1 or cut.clips[0].duration != SELFTEST_FRAMES:
        raise CheckFailed(
            f"the OTIO export holds {len(cut.clips)} clips "
            f"({[c.duration for c in cut.clips]} frames), not one of {SELFTEST_FRAMES}"
        )
    if cut.end != last:
        raise CheckFailed(
            f"the OTIO export ends at frame {cut.end}, the adapter's last frame is {last} "
            f"(END_FRAME_AFTER_LAST)"
        )
    return f"one clip of {SELFTEST_FRAMES} frames, {figures['otio_bytes']} bytes"


def _restore(s: Session, figures: Figures) -> str:
    resolve, saved = s.resolve, s.saved
    problems: list[str] = []

    def look() -> None:
        project = s.project
        if project is None:
            return
        page = resolve.GetCurrentPage()
        figures["page"] = page
        if saved.page is not None and page != saved.page:
            problems.append(f"Resolve is on the {page} page, not {saved.page}")
        current = project.GetCurrentTimeline()
        uid = str(current.GetUniqueId()) if current is not None else ""
        if saved.timeline is not None and uid != saved.timeline_uid:
            problems.append("another timeline than the editor's is current")
        if saved.timeline is not None and saved.timecode:
            now = str(saved.timeline.GetCurrentTimecode() or "")
            figures["timecode"] = now
            if now != saved.timecode:
                problems.append(f"the playhead is at {now}, not {saved.timecode}")
        if s.timeline is not None:
            names = [
                str(project.GetTimelineByIndex(i).GetName())
                for i in range(1, int(project.GetTimelineCount() or 0) + 1)
            ]
            if str(s.timeline.GetName()) in names:
                problems.append("the scratch timeline is still in the project")

    try:
        problems += s.put_back()
        if s.project is not None:
            s.call(look)
    finally:
        s.close()
    if s.project is None:
        raise CheckSkipped("nothing was made: no project was open")
    figures["problems"] = len(problems)
    if problems:
        raise CheckFailed("not all was put back: " + "; ".join(problems))
    return "scratch timeline and clip deleted; the editor's timeline, page and playhead are back"


def checks(session: Session) -> list[Check]:
    """Every check, in the order they must run (the last one puts everything back)."""

    def bind(fn: Callable[[Session, Figures], str]) -> Callable[[Figures], Optional[str]]:
        return lambda figures: fn(session, figures)

    table: Sequence[tuple[str, str, Callable[[Session, Figures], str]]] = (
        ("connection", "Reach Resolve (way, edition, version)", _connection),
        ("scratch_timeline", "Make a scratch timeline from a generated clip", _scratch),
        ("end_frame", "GetEndFrame: the last frame, or the one after it", _end_frame),
        (
            "call_cost",
            f"Cost of one scripting call ({SELFTEST_CALLS} x GetCurrentTimecode)",
            _call_cost,
        ),
        ("playhead_poll", f"Cost of one playhead poll ({SELFTEST_POLLS} polls)", _poll_cost),
        ("playhead", "Set the playhead and read it back", _playhead),
        ("markers", "A note as a marker: add, find, read back, change, delete", _markers),
        ("still", f"Export the current frame as a still ({SELFTEST_STILLS} x)", _still),
        ("otio_export", "Export the timeline to OTIO and read it", _otio),
        ("restore", "Delete the scratch timeline, put the editor's state back", _restore),
    )
    return [Check(name, title, bind(fn)) for name, title, fn in table]


#: The check that stands alone when the self-test will not run while a session is shared.
IN_SESSION = "in_session"


def run(
    app: Any = None,
    connection: Optional[Connection] = None,
    flags: Optional[Path] = None,
) -> Report:
    """Reach Resolve (the menu's ``app``, else external scripting) and run every check.

    A Resolve that cannot be reached, or an Overshoulder window of this machine in a review
    session (``session_flag``; ``flags``: where its flags are), is a report with one failed
    check saying so; nothing is made or moved then. Whatever happens, what the checks made
    is deleted and the editor's timeline, page and playhead put back before this returns."""
    in_session = sessions_open(flags if flags is not None else flag_folder())
    if in_session:
        sharing = any(flag["sharing"] for flag in in_session)
        return single_failure(
            APP,
            "unknown",
            IN_SESSION,
            "Refuse to run while a review session is open here",
            "an Overshoulder window on this machine is in a review session"
            f"{' and shares its viewer' if sharing else ''}: the self-test would show its "
            "scratch timeline and playhead moves to the reviewers. Stop sharing first (leave "
            "the session), then run the self-test again",
            in_session=True,
            sharing=sharing,
        )
    try:
        connection = connection or reach(app)
    except ResolveError as exc:
        return single_failure(APP, "unknown", "connection", "Reach Resolve", str(exc))
    session = Session(connection, Path(tempfile.mkdtemp(prefix="overshoulder-selftest-")))
    try:
        try:
            version = str(session.call(lambda: connection.resolve.GetVersionString()))
        except Exception as exc:  # reported by the connection check
            log.info("Resolve's version is unknown: %s", exc)
            version = "unknown"
        extra = {"connection": connection.way, "in_session": False, "sharing": False}
        return run_checks(APP, version, checks(session), extra)
    finally:
        try:
            left = session.put_back()  # nothing when the restore check ran
            if left:
                log.warning("the self-test could not put all back: %s", "; ".join(left))
        except Exception as exc:
            log.warning("the self-test could not put Resolve back: %s", exc)
        session.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m overshoulder.plugins.resolve.selftest``: exit status 0 when nothing failed,
    1 when a check failed, 2 when the self-test could not run."""
    logging.basicConfig(level=logging.WARNING, format="[overshoulder] %(levelname)s: %(message)s")
    return terminal_main(
        lambda args: run(),
        prog="python -m overshoulder.plugins.resolve.selftest",
        description="Check every call Overshoulder makes into the running DaVinci Resolve.",
        argv=argv,
    )


def show(report: Report, paths: tuple[str, str]) -> None:
    """The report in a window (the menu script's own Qt, as the Overshoulder window has); it
    is printed to Resolve's Console too. Raises when there is no Qt to show it."""
    sys.stdout.write(report.to_text() + f"\nReport written to {paths[0]}\nand {paths[1]}\n")
    from Qt import QtWidgets

    from overshoulder.core.ui.selftest_dialog import show_report

    existing = QtWidgets.QApplication.instance()
    qt_app = existing or QtWidgets.QApplication(sys.argv[:1])
    window = show_report(report, paths)
    window.setWindowTitle(f"{WINDOW_TITLE} self-test")
    if existing is None:  # the menu script's own process: run until the window closes
        qt_app.exec_()


def tell(text: str) -> None:
    """Where the menu entry says what it could not show in a window: printed, which Resolve
    shows in Workspace > Console, then a Qt message box if Qt can still make one."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    try:
        from Qt import QtWidgets

        if QtWidgets.QApplication.instance() is None:
            QtWidgets.QApplication(sys.argv[:1])
        QtWidgets.QMessageBox.information(None, f"{WINDOW_TITLE} self-test", text)
    except Exception as exc:  # no Qt: the Console has it
        log.info("no message box for the self-test (%s): see the Console", exc)


def menu_main(app: Any = None, out: Optional[str] = None) -> int:
    """Workspace > Scripts > Overshoulder Self-test: run, write the report, show it. Never
    raises into Resolve (``run_from_menu``)."""
    logging.basicConfig(level=logging.INFO, format="[overshoulder] %(levelname)s: %(message)s")
    report = run_from_menu(lambda: run(app), show, tell, out)
    return 0 if report is not None and report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
