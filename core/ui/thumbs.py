"""Small pictures of the images notes were drawn on, fetched from the relay and kept.

The relay keeps the image a note was drawn on (``GET /api/sessions/{id}/frames/{hash}``).
``Thumbnails.get(hash)`` answers at once: the picture when it is here, else None, and then
one worker thread fetches and shrinks it (the network and the decoding never run on the
GUI thread, which is the app's main thread). The result comes back on the GUI thread,
``ready`` says which hash arrived. The worker exists only while there is something to
fetch; what the relay does not keep (or keeps as raw RGB) is remembered as "no picture",
so it is asked for once.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any, Optional

from Qt import QtCore, QtGui

from .. import relay_api
from .dispatch import GuiDispatcher, SerialWorker

log = logging.getLogger("overshoulder.ui")

#: The size a thumbnail fits in (pixels), and how many are kept.
THUMB_W, THUMB_H = 96, 54
#: A kept frame with more pixels than this (a 16K image) is not decoded for a thumbnail: a
#: small PNG can unpack to gigabytes.
MAX_DECODE_PIXELS = 16384 * 16384 // 2
MOST = 300
#: Seconds before an image that could not be fetched (relay away) is asked for again.
RETRY_S = 20.0
#: Seconds the worker waits for another fetch before it ends.
IDLE_S = 2.0
_DECODABLE = ("image/jpeg", "image/png")


class Thumbnails(QtCore.QObject):
    """Thumbnails of one session's kept images, by content hash."""

    #: A thumbnail arrived (its hash); the caller asks ``get`` again.
    ready = QtCore.Signal(str)

    def __init__(self, parent: Any = None, most: int = MOST) -> None:
        super().__init__(parent)
        self._gui = GuiDispatcher(self)
        self._most = most
        self._pictures: OrderedDict[str, Optional[Any]] = OrderedDict()
        self._failed: dict[str, float] = {}
        self._pending: set[str] = set()
        self._source: Optional[tuple[str, str, str]] = None
        self._worker = SerialWorker(self._gui, "overshoulder-ui-thumbs", "a thumbnail", IDLE_S)

    def set_source(
        self, relay: Optional[str], session_id: Optional[str], token: Optional[str]
    ) -> None:
        """The session whose images to fetch (None: none); another session forgets the last's."""
        source: Optional[tuple[str, str, str]] = (
            (relay, session_id, token) if relay and session_id and token else None
        )
        if source is not None and self._source is not None and source[:2] == self._source[:2]:
            self._source = source
            return
        self._source = source
        self._pictures.clear()
        self._failed.clear()
        self._pending.clear()

    def get(self, digest: Optional[str]) -> Optional[Any]:
        """The thumbnail (a QPixmap) of ``digest`` if here; else None, and it is fetched."""
        if not digest or self._source is None:
            return None
        if digest in self._pictures:
            self._pictures.move_to_end(digest)
            return self._pictures[digest]
        failed = self._failed.get(digest)
        if digest in self._pending or (failed is not None and time.monotonic() - failed < RETRY_S):
            return None
        self._pending.add(digest)
        self._submit(self._source, digest)
        return None

    def known(self, digest: str) -> bool:
        """Whether ``digest`` has an answer (a picture or "none kept")."""
        return digest in self._pictures

    # --- the worker ------------------------------------------------------------------------

    def _submit(self, source: tuple[str, str, str], digest: str) -> None:
        self._worker.submit(
            lambda: _fetch(source, digest),
            lambda got, s=source, d=digest: self._fetched(s, d, got),  # type: ignore[misc]
        )

    def _fetched(self, source: tuple[str, str, str], digest: str, got: Any) -> None:
        if isinstance(got, _Missing):
            self._failed_fetch(source, digest, got.for_good)
        else:
            self._arrived(source, digest, got)

    # --- back on the GUI thread ------------------------------------------------------------

    def _arrived(self, source: tuple[str, str, str], digest: str, image: Optional[Any]) -> None:
        if self._source is None or source[:2] != self._source[:2]:
            return
        self._pending.discard(digest)
        picture = QtGui.QPixmap.fromImage(image) if image is not None else None
        self._pictures[digest] = picture
        while len(self._pictures) > self._most:
            self._pictures.popitem(last=False)
        self.ready.emit(digest)

    def _failed_fetch(self, source: tuple[str, str, str], digest: str, missing: bool) -> None:
        if self._source is None or source[:2] != self._source[:2]:
            return
        self._pending.discard(digest)
        if missing:  # the relay does not keep it: no picture, and no need to ask again
            self._pictures[digest] = None
            self.ready.emit(digest)
        else:
            self._failed[digest] = time.monotonic()


class _Missing:
    """No image from the relay: ``for_good`` when it keeps none (no need to ask again)."""

    def __init__(self, for_good: bool) -> None:
        self.for_good = for_good


def _fetch(source: tuple[str, str, str], digest: str) -> Any:
    """On the worker: the thumbnail of ``digest`` (a QImage), None, or a ``_Missing``."""
    relay, session_id, token = source
    try:
        return _shrink(relay_api.fetch_frame(relay, session_id, digest, token))
    except relay_api.RelayError as exc:
        log.debug("no thumbnail for %s: %s", digest, exc)
        return _Missing(for_good="(not_found)" in str(exc))


def _shrink(image: relay_api.FrameImage) -> Optional[Any]:
    """The image decoded and fitted into THUMB_W x THUMB_H (a QImage: safe off the GUI thread);
    None for what Qt cannot decode (raw RGB frames have no size in them)."""
    if image.content_type not in _DECODABLE:
        return None
    data = QtCore.QByteArray(image.data)
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.ReadOnly)
    reader = QtGui.QImageReader(buffer)
    size = reader.size()  # from the header, before any pixel is unpacked
    if not size.isValid() or size.width() * size.height() > MAX_DECODE_PIXELS:
        log.warning(
            "a kept frame of %sx%s is not shown as a thumbnail (more than %d pixels)",
            size.width(),
            size.height(),
            MAX_DECODE_PIXELS,
        )
        return None
    decoded = reader.read()
    if decoded.isNull():
        return None
    return decoded.scaled(
        THUMB_W,
        THUMB_H,
        QtCore.Qt.AspectRatioMode.KeepAspectRatio,
        QtCore.Qt.TransformationMode.SmoothTransformation,
    )
