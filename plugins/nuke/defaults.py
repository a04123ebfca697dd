"""Names, limits and timings of the Nuke adapter, in one place."""

from __future__ import annotations

#: Hidden knob holding a node's stable id (a UUID): survives renames, saved with the script.
ID_KNOB = "overshoulder_id"
#: Hidden knob holding a node's notes: one JSON object ``{annotation id: annotation}``.
NOTES_KNOB = "overshoulder_notes"
#: Hidden knob on Root: ids of resolved notes cleared from the script (JSON list), so a
#: re-sync with the session does not bring them back.
CLEARED_KNOB = "overshoulder_cleared"
#: Hidden knob on the StickyNote / RotoPaint nodes the commands make: the note ids they show.
MADE_FOR_KNOB = "overshoulder_made_for"
#: Every knob of ours: never part of an image's identity, never an "image changed".
OUR_KNOBS = frozenset({ID_KNOB, NOTES_KNOB, CLEARED_KNOB, MADE_FOR_KNOB})

#: Knobs whose changes do not change pixels (the DAG, the panel, labels).
UI_KNOBS = frozenset(
    {
        "selected",
        "xpos",
        "ypos",
        "name",
        "label",
        "note_font_size",
        "tile_color",
        "gl_color",
        "hide_input",
        "postage_stamp",
        "showPanel",
        "hidePanel",
        "bookmark",
        "icon",
        "indicators",
        "dope_sheet",
        "help",
        "onCreate",
        "onDestroy",
        "knobChanged",
        "updateUI",
        "autolabel",
    }
)

#: Root knobs that move or re-time the playhead; other Root knobs (format, proxy, colour
#: management) change the image.
ROOT_PLAYHEAD_KNOBS = frozenset({"frame", "first_frame", "last_frame", "fps"})

#: JPEG the temporary Write node writes (Nuke's ``_jpeg_quality`` is 0-1).
JPEG_QUALITY = 0.9
#: Chroma layout of that JPEG: one of the values Nuke's JPEG writer offers ("4:1:1",
#: "4:2:2", "4:4:4"; never "4:2:0", which ``Enumeration_Knob.setValue`` refuses). Chosen by
#: measurement (bench/nuke_jpeg_subsampling.py, docs/nuke.md): full chroma keeps thin
#: coloured lines and small text of a comp sharp (+9 dB chroma PSNR over 4:2:2) for 14-33 %
#: more bytes, at the same encode time.
JPEG_SUB_SAMPLING = "4:4:4"

#: While the playhead runs, render at most once per this many seconds: a Write render on
#: the main thread per frame would stall Nuke's playback. The last frame is always rendered.
PLAYBACK_CAPTURE_INTERVAL_S = 0.5
#: Frame changes closer together than this count as playback (or scrubbing).
PLAYBACK_GAP_S = 0.25
#: While knobs keep moving (a slider dragged: a change per value), render at most once per
#: this many seconds; the state the knobs end in is always rendered. Without it, each value
#: of a drag cost one Write render on Nuke's main thread (bench/nuke_knob_drag.py).
KNOB_DRAG_CAPTURE_INTERVAL_S = 0.2
#: Image changes closer together than this count as a drag.
KNOB_DRAG_GAP_S = 0.25
#: The updateUI check (what the viewer shows, by a fingerprint of the viewed node's upstream
#: knobs, the frame and the range) runs at most once per this many seconds; a change in
#: between is checked when the interval is up.
UPDATE_UI_INTERVAL_S = 0.25
#: Longest wait for Nuke's main thread to render a capture.
RENDER_TIMEOUT_S = 30.0

#: The panel as ``nukescripts.panels.registerWidgetAsPanel`` knows it.
PANEL_WIDGET = "overshoulder.plugins.nuke.panel.NukePanel"
PANEL_NAME = "Overshoulder"
PANEL_ID = "com.overshoulder.panel"
#: The entry in Nuke's main menu bar.
MENU = "Overshoulder"

#: RotoPaint stroke life time. ``ltt`` 4 is the "frame range" entry of the life-time menu
#: (index 4 of all / start-to-frame / single frame / frame-to-end / frame range), with
#: ``ltn`` and ``ltm`` its first and last frame: a stroke on one frame is the range f-f.
#: Not in the published stubs (the classes come from the native _curveknob module);
#: see docs/nuke.md.
LIFETIME_TYPE = "ltt"
LIFETIME_FROM = "ltn"
LIFETIME_TO = "ltm"
LIFETIME_FRAME_RANGE = 4

#: The self-test (selftest.py): how many captures it times, how long it lets Nuke's event loop
#: run for idle callbacks after a change, and the name prefix of its scratch nodes.
SELFTEST_CAPTURES = 10
SELFTEST_EVENT_WAIT_S = 0.5
SELFTEST_PREFIX = "overshoulder_selftest_"

#: Where the commands put the nodes they make, relative to the node the notes are on.
STICKY_OFFSET = (150, 0)
STICKY_STEP_Y = 70
ROTO_OFFSET = (0, 80)
