"""Names, limits and timings of the Maya adapter, in one place."""

from __future__ import annotations

#: The network node that holds the notes (made on first use, saved with the scene).
STORE_NODE = "overshoulderNotes"
#: A bool attribute on it that marks it as ours, whatever it was renamed to.
STORE_MARK = "overshoulderStore"
#: One string attribute per note on the store node: this prefix + the note id's 32 hex digits.
NOTE_ATTR_PREFIX = "osNote_"
#: On the annotationShape transforms and pencil frames we make: the note id they show.
MADE_FOR_ATTR = "overshoulderNote"

#: ``HostObject.kind`` of a Maya DAG object (``path`` is its UUID).
KIND = "maya.dag"

#: Events (``MEventMessage``) that move or re-time the playhead.
PLAYHEAD_EVENTS = ("timeChanged", "playbackRangeChanged", "timeUnitChanged")
#: The condition (``MConditionMessage``) that turns on and off as Maya plays: "playingBack" is
#: a condition, not an event (``addEventCallback("playingBack")`` is refused).
PLAY_CONDITION = "playingBack"
#: Events that change what the viewport shows without moving the playhead. The viewport's
#: own redraws (``MUiMessage.add3dViewPostRenderMsgCallback``) catch every other edit.
IMAGE_EVENTS = ("SelectionChanged", "cameraChange", "ModelPanelSetFocus", "ActiveViewChanged")

#: How a capture reads the viewport: "colorbuffer" (M3dView.readColorBuffer of the frame Maya
#: drew last, no redraw) or "playblast" (a one-frame playblast to a file, a full redraw).
DEFAULT_CAPTURE = "colorbuffer"
#: JPEG quality of a playblast capture.
PLAYBLAST_QUALITY = 90
#: While Maya plays, capture at most once per this many seconds (each read is on the main
#: thread); the frame where playback stops is always captured.
PLAYBACK_CAPTURE_INTERVAL_S = 0.1
#: Frame changes closer together than this count as playback or scrubbing.
PLAYBACK_GAP_S = 0.25
#: Longest wait for Maya's main thread to read the viewport.
CAPTURE_TIMEOUT_S = 10.0

#: Pencil frames: the size of the image a note's marks are drawn into when no capture gave one.
SKETCH_SIZE = (1920, 1080)
#: The plug-in that brings Blue Pencil (Maya 2023+), loaded quietly on first use.
BLUE_PENCIL_PLUGIN = "bluePencil"
#: Blue Pencil: each note's marks are on a layer of their own, named this + the id's 32 hex
#: digits, so applying a note again replaces its layer instead of stacking another.
PENCIL_LAYER_PREFIX = "overshoulder_"
#: The key of the panel warning shown when notes cannot become pencil drawings.
PENCIL_WARNING = "maya.pencil"
#: The Grease Pencil tool context name Maya makes (``greasePencilCtx``, Maya 2022 and older).
GREASE_PENCIL_CONTEXT = "greasePencilContext"
#: Where callouts (annotationShapes) sit: this far above the top of the object's bounding box.
CALLOUT_LIFT = 1.0

#: The panel: Qt object name (the workspaceControl is this + "WorkspaceControl"), title.
PANEL_OBJECT = "overshoulderPanel"
PANEL_TITLE = "Overshoulder"
#: The menu in Maya's main window.
MENU = "overshoulderMenu"
MENU_LABEL = "Overshoulder"
MAIN_WINDOW = "MayaWindow"

#: The self-test: reads of the viewport per way (frame buffer, playblast), and the name of the
#: scratch nodes it makes (and deletes).
SELFTEST_CAPTURES = 10
SELFTEST_NAME = "overshoulderSelfTest"
#: The title of Maya's message box (``cmds.confirmDialog``) the Self-test menu entry falls
#: back to when its report window cannot open.
SELFTEST_DIALOG_TITLE = "Overshoulder self-test"
