"""Names, rates and timings of the Resolve adapter, in one place (docs/resolve.md explains each)."""

from __future__ import annotations

#: How often the adapter's thread reads Resolve's playhead (``GetCurrentTimecode``, one call).
#: Resolve has no events, so this is how a seek or play in Resolve is noticed. 20 reads a
#: second notice a seek within 50 ms and cost Resolve about one short scripting call each
#: (docs/resolve.md, "Polling"); during playback the session carries play state and sender
#: clock, so followers stay within a frame whatever the poll rate.
PLAYHEAD_POLL_S = 0.05
#: While following a driver that plays, the follower's clock is looked at this often (Resolve's
#: scripting API cannot start playback): a ``SetCurrentTimecode`` goes out only when the clock
#: reaches a new frame, so at most one per frame (24 a second at 24 fps); checking twice per
#: frame keeps the step late by at most half a frame. The check itself calls nothing.
FOLLOW_STEP_S = 1 / 60
#: How often the timeline's shape is checked (name, start, end, clip count per video track);
#: a change exports the timeline to OTIO again and re-shares it.
STRUCTURE_POLL_S = 2.0
#: How often the markers Overshoulder made are looked for, to notice the ones the editor deleted.
MARKER_POLL_S = 1.0
#: How often the connection to Resolve is checked; the window quits when Resolve has gone.
CONNECTION_POLL_S = 2.0
#: While paused, the still is exported again this often (a grade or an edit changes the image
#: without moving the playhead); unchanged stills are skipped by their hash.
PAUSED_REFRESH_S = 2.0
#: While the playhead runs, export a still at most this often (each is a render in Resolve).
PLAYBACK_CAPTURE_INTERVAL_S = 0.5
#: Longest wait for the adapter's thread to answer a call into Resolve.
CALL_TIMEOUT_S = 20.0

#: Whether ``Timeline.GetEndFrame()`` is the frame after the timeline's last frame (True) or
#: the last frame itself (False). Blackmagic's README says only "the frame number at the end
#: of timeline". True is assumed, as for ``TimelineItem.GetEnd()``, which AYON reads as the
#: frame after the clip (ynput/ayon-resolve at ba25312212a302e0e9bdd75595bad8ee3ceb64f9,
#: client/ayon_resolve/api/rendering.py:256: ``"MarkOut": GetEnd() - 1``); but AYON also
#: publishes ``GetEndFrame()`` as an inclusive frameEnd (same commit,
#: client/ayon_resolve/plugins/publish/collect_editorial_package.py:56), so public code
#: disagrees. The self-test measures it in the
#: running Resolve (check ``end_frame``) and says when this must change (docs/resolve.md).
END_FRAME_AFTER_LAST = True

#: Pages where Resolve's playhead can be read and set (``GetCurrentTimecode`` works there).
PLAYHEAD_PAGES = frozenset({"cut", "edit", "color", "fairlight", "deliver"})

#: Marker colours of Resolve, as ``AddMarker`` takes them; an author gets one by their id.
MARKER_COLOURS = (
    "Blue",
    "Cyan",
    "Green",
    "Yellow",
    "Red",
    "Pink",
    "Purple",
    "Fuchsia",
    "Rose",
    "Lavender",
    "Sky",
    "Mint",
    "Lemon",
    "Sand",
    "Cocoa",
    "Cream",
)
#: The colour of a note that has no author.
NO_AUTHOR_COLOUR = "Yellow"
#: customData of a marker Overshoulder made: this prefix and the annotation id.
CUSTOM_DATA_PREFIX = "overshoulder:"
#: A marker's name: the author and the first words of the note, at most this long.
MARKER_NAME_CHARS = 60
#: How far (frames) a note's marker may move when another marker holds its frame.
MARKER_SEARCH_FRAMES = 24

#: The Qt window's title, and the name of the script in Workspace > Scripts.
WINDOW_TITLE = "Overshoulder"
#: While the window is in a review session it rewrites its flag file this often
#: (``session_flag``: the self-test, another process, refuses to run while one is fresh).
SESSION_FLAG_BEAT_S = 2.0
#: A flag older than this is from a window that died without removing it: ignored.
SESSION_FLAG_STALE_S = 10.0

# --- the self-test (``selftest``; docs/resolve.md, "Checking in a real app") ---------------

#: Name of the scratch timeline and clip the self-test makes and deletes (a random tag follows).
SELFTEST_NAME = "Overshoulder self-test"
#: Frames of the scratch clip (a JPEG sequence written for the test): one second at 24 fps.
SELFTEST_FRAMES = 24
#: Size of those frames (small: their content does not matter, only their count).
SELFTEST_FRAME_SIZE = (160, 90)
#: Scripting calls timed for the cost of one call (``GetCurrentTimecode``).
SELFTEST_CALLS = 100
#: Playhead polls timed, each as the adapter's poll does it.
SELFTEST_POLLS = 20
#: Stills exported and timed (``ExportCurrentFrameAsStill``, as each capture does).
SELFTEST_STILLS = 3
#: The page the self-test opens when Resolve is on one without a playhead (it opens the
#: editor's page again at the end).
SELFTEST_PAGE = "edit"
