"""Driving the FAKE Resolve (tests/fakes/resolve_api) from tests: what Resolve has no API for.

``install()`` puts the fake ``fusionscript`` library and the stand-in for Blackmagic's
``DaVinciResolveScript`` loader on ``sys.path`` (tests only) and returns the fake library.
``open_resolve()`` makes a running fake Resolve with a project and a timeline read from a
real OTIO file (``REEL``); the editor's hands (play, stop, scrub, trim a clip, delete a
marker, switch page, quit) are functions here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

FAKES = Path(__file__).resolve().parent / "resolve_api"
#: The test reel: V1 sh010 (48 frames) sh020 (36) gap (12) sh030 (60), V2 "sh020 insert"
#: over frames 60-71 of the reel, one audio track; 24 fps from 01:00:00:00 (frame 86400).
REEL = FAKES / "data" / "reel1_v3.otio"
REEL_START = 86400
WIDTH, HEIGHT = 320, 180


def install() -> ModuleType:
    """The fake ``fusionscript`` library (what ``DaVinciResolveScript`` becomes once loaded)."""
    if str(FAKES) not in sys.path:
        sys.path.insert(0, str(FAKES))
    import fusionscript

    if not getattr(fusionscript, "_FAKE", False):
        raise RuntimeError(f"`import fusionscript` found {fusionscript.__file__}")
    return fusionscript


def open_resolve(
    reel: Path = REEL,
    *,
    rate: Optional[str] = None,
    drop: bool = False,
    project: str = "Reel 1",
    product: str = "DaVinci Resolve Studio",
    running: bool = True,
    end_frame: str = "after_last",
) -> Any:
    """A fake Resolve with one project whose current timeline holds ``reel``'s clips.

    ``running``: what ``scriptapp("Resolve")`` answers from now on is this one.
    ``end_frame``: what its ``GetEndFrame`` answers, the frame after the last
    (``"after_last"``) or the last (``"last"``).
    """
    dvr = install()
    resolve = dvr.Resolve(product)
    resolve.end_frame = end_frame
    proj = dvr.Project(resolve, project, WIDTH, HEIGHT)
    timeline = dvr.Timeline.load(resolve, reel, rate, drop)
    proj.timelines.append(timeline)
    proj.current = timeline
    resolve.manager.project = proj
    if running:
        dvr._State.current = resolve
    return resolve


def not_running() -> None:
    """``scriptapp`` answers None from now on (Resolve not running, or scripting refused)."""
    install()._State.current = None


def timeline(resolve: Any) -> Any:
    return resolve.manager.project.current


def item(resolve: Any, name: str) -> Any:
    """The clip called ``name`` on the current timeline."""
    for track in timeline(resolve).tracks:
        for it in track:
            if it.name == name:
                return it
    raise KeyError(f"no clip {name!r} on the fake timeline")


def trim(resolve: Any, name: str, frames: int) -> None:
    """The editor makes clip ``name`` ``frames`` longer (negative: shorter); later clips on its
    track move along (a ripple trim)."""
    tl = timeline(resolve)
    for track in tl.tracks:
        for it in track:
            if it.name == name:
                after = [o for o in track if o.start > it.start]
                it.duration += frames
                for o in after:
                    o.start += frames


def delete_marker(holder: Any, custom_data: str) -> None:
    """The editor deletes a marker by hand (in the fake: the one with this customData)."""
    for frame, info in list(holder.markers.items()):
        if info["customData"] == custom_data:
            del holder.markers[frame]
            return
    raise KeyError(f"no marker with customData {custom_data!r}")


def markers_everywhere(resolve: Any) -> dict[str, tuple[Any, float, dict[str, Any]]]:
    """Every marker on the current timeline and its clips, by customData."""
    tl = timeline(resolve)
    out = {}
    for holder in [tl, *(it for track in tl.tracks for it in track)]:
        for frame, info in holder.markers.items():
            out[info["customData"]] = (holder, frame, info)
    return out


def quit_resolve(resolve: Any) -> None:
    """Resolve quits: every call on its objects raises from now on."""
    resolve.alive = False
    dvr = install()
    if dvr._State.current is resolve:
        dvr._State.current = None
