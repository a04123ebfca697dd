"""The player's numbers, named once: rates, sizes, delays and the file types it reads."""

from __future__ import annotations

#: Frame rate when neither the files, the OTIO timeline nor ``--fps`` give one.
DEFAULT_FPS = 24.0

#: Size of a slate when no frame of the clip could be read to learn the real size.
SLATE_SIZE = (1280, 720)

#: File name extensions a folder is scanned for (lower case, without the dot).
IMAGE_EXTENSIONS = frozenset({"exr", "dpx", "tif", "tiff", "png", "jpg", "jpeg"})

#: Headers read, at most, when looking for a readable frame to learn a clip's size and rate.
PROBE_FILES = 16

#: While both sides play, a driver's playhead within this many frames of ours is not a jump
#: (each side runs its own clock; messages only correct drift).
FOLLOW_TOLERANCE_FRAMES = 1

#: How often, while nothing else happens, the main thread checks whether the file under the
#: playhead was rewritten (a new render), so reviewers see the new image.
FILE_WATCH_S = 1.0

#: Notes written to disk wait this long for more changes (one stroke sends several updates).
NOTES_WRITE_DELAY_S = 0.1

#: Format name and version written into a notes file.
NOTES_FORMAT = "overshoulder.player.notes"
NOTES_VERSION = 1

#: Text size of a note's ``text`` shape when it has none, in image-height units.
DEFAULT_TEXT_SIZE = 0.04
