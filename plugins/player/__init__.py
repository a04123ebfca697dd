"""The player host: image sequences and OTIO timelines from disk, shared like an app's viewer."""

from .burnin import burn_in, to_pixels
from .clock import PlaybackClock
from .errors import FrameUnreadable, MediaError
from .host import PlayerHost
from .images import FrameImage, read_frame
from .media import Clip, Playlist, open_media
from .notes import NoteBook, notes_document, read_notes, write_notes
from .sequence import ImageSequence, find_sequence, sequences_in
from .slate import render_slate
from .writer import NotesWriter

__all__ = [
    "Clip",
    "FrameImage",
    "FrameUnreadable",
    "ImageSequence",
    "MediaError",
    "NoteBook",
    "NotesWriter",
    "PlaybackClock",
    "PlayerHost",
    "Playlist",
    "burn_in",
    "find_sequence",
    "notes_document",
    "open_media",
    "read_frame",
    "read_notes",
    "render_slate",
    "sequences_in",
    "to_pixels",
    "write_notes",
]
