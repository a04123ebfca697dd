"""``FrameEncoder``: captures in, media-packet frames out, built to quality on one thread.

What it does with each ``Capture`` handed to ``submit`` (from any thread; it
returns at once):

- keeps only the newest not-yet-started capture (a one-slot holder, never a
  queue: a capture that arrives while one waits replaces it, counted in
  ``stats.superseded``);
- hashes it (``identity``): an image identical to the one last emitted is not
  sent again (``stats.skipped_unchanged``);
- while the image changes, emits **fast** frames: the display transform, an
  area downscale to fit ``set_max_size``, JPEG q80 4:2:0;
- once the image has stayed the same for ``still_after_s``, emits one
  **refinement**: full size, JPEG q92 4:4:4, ``FLAG_REFINEMENT``;
- on ``request_lossless()``, emits a PNG of the current image, ``FLAG_LOSSLESS``;
- keeps what it encoded in a byte-bounded cache by (hash, variant, size), so a
  looping sequence is encoded once and re-emitted from memory afterwards; an
  image whose refinement is cached goes out refined at once.

App-encoded captures (``Capture.encoded``, JPEG or PNG) go out byte for byte,
never re-encoded or scaled (a PNG with ``FLAG_LOSSLESS``); their hash is taken
over those bytes.

``on_frame(header, payload)`` is called on the worker thread with a complete
``FrameHeader``: ``frame_id`` counts up per encoder from 1, ``frame`` is the
capture's frame number, ``width``/``height`` those of the encoded image,
``captured_us`` when ``submit`` was called (microseconds since the Unix epoch).
The transform's key (and the variant) of the frame being delivered is
``encoder.last_frame`` during the call.

Errors: ``submit`` raises ``ValueError`` for a capture it cannot take (dtype,
shape, size, codec, unknown colour space) and ``ColorUnavailable`` when the
capture needs OCIO and OpenImageIO is missing; nothing wrong with a capture
reaches the worker thread. An exception inside the worker (or raised by
``on_frame``) is logged, counted in ``stats.errors``, and the worker goes on.
``close()`` stops the worker promptly (after the frame in hand, if any).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..host import Capture
from ..protocol.packet import FLAG_LOSSLESS, FLAG_REFINEMENT, FrameHeader
from .cache import FAST, LOSSLESS, REFINE, VARIANTS, EncodedFrame, FrameCache
from .identity import encoded_hash, pixels_hash
from .jpeg import decode_jpeg, encode_jpeg
from .limits import (
    CACHE_BYTES,
    FAST_QUALITY,
    FAST_SUBSAMPLING,
    REFINE_QUALITY,
    REFINE_SUBSAMPLING,
    STILL_AFTER_S,
    STILL_POLL_S,
    SUBSAMPLINGS,
)
from .pixels import check_capture
from .png import encode_png
from .scale import downscale, fit_size
from .transform import DisplayTransform

log = logging.getLogger("overshoulder.codec")

OnFrame = Callable[[FrameHeader, bytes], None]
Clock = Callable[[], float]

_FRAME_ID_MOD = 2**32


@dataclass
class EncoderStats:
    """Counters and timings, for benchmarks and diagnostics (read from any thread)."""

    #: Captures accepted by ``submit``.
    submitted: int = 0
    #: Captures replaced in the one-slot holder before the worker took them.
    superseded: int = 0
    #: Frames handed to ``on_frame``, per variant ("fast", "refine", "lossless").
    emitted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VARIANTS, 0))
    #: Encodes actually run (not served from the cache), per variant.
    encoded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VARIANTS, 0))
    #: Captures not sent because their image was the one last emitted.
    skipped_unchanged: int = 0
    #: Frames re-emitted from the cache instead of encoded.
    cache_hits: int = 0
    #: Exceptions caught in the worker (including ones raised by ``on_frame``).
    errors: int = 0
    #: Milliseconds of the last frame actually encoded: transform + scale + encode.
    last_encode_ms: float = 0.0
    #: The same frame's stages in milliseconds: "hash", "transform", "scale", "encode".
    last_stage_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class _Pending:
    capture: Capture
    transform: Optional[DisplayTransform]
    captured_us: int
    at: float


class _Image:
    """The image last emitted, with what was sent of it."""

    def __init__(self, pending: _Pending, digest: bytes, key: str, hash_ms: float) -> None:
        self.capture = pending.capture
        self.transform = pending.transform
        self.captured_us = pending.captured_us
        self.since = pending.at
        self.digest = digest
        self.key = key
        self.hash_ms = hash_ms
        self.full = (pending.capture.width, pending.capture.height)
        self.passthrough = pending.capture.encoded is not None
        self.refined = self.passthrough
        self.sent_size: Optional[tuple[int, int]] = None
        self._display: Optional[np.ndarray] = None
        self.transform_ms = 0.0

    def display(self) -> np.ndarray:
        """The full-size H x W x 3 (or x 4, RGBX) uint8 display image (computed once)."""
        if self._display is None:
            t0 = time.perf_counter()
            capture = self.capture
            if capture.encoded is not None:
                self._display = decode_jpeg(bytes(capture.encoded))
            else:
                assert self.transform is not None
                self._display = self.transform.render(capture.pixels)
            self.transform_ms = (time.perf_counter() - t0) * 1000.0
        return self._display


class FrameEncoder:
    """Turns captures into fast frames, one refinement per still image, and lossless stills."""

    def __init__(
        self,
        on_frame: OnFrame,
        *,
        fast_quality: int = FAST_QUALITY,
        fast_subsampling: str = FAST_SUBSAMPLING,
        refine_quality: int = REFINE_QUALITY,
        refine_subsampling: str = REFINE_SUBSAMPLING,
        still_after_s: Optional[float] = STILL_AFTER_S,
        cache_bytes: int = CACHE_BYTES,
        clock: Clock = time.monotonic,
        name: str = "overshoulder-encoder",
    ) -> None:
        for what, quality in (("fast_quality", fast_quality), ("refine_quality", refine_quality)):
            if not 1 <= quality <= 100:
                raise ValueError(f"{what} must be 1-100, got {quality}")
        for what, mode in (
            ("fast_subsampling", fast_subsampling),
            ("refine_subsampling", refine_subsampling),
        ):
            if mode not in SUBSAMPLINGS:
                raise ValueError(f"{what} {mode!r} is not one of {', '.join(SUBSAMPLINGS)}")
        if cache_bytes < 0:
            raise ValueError(f"cache_bytes must be >= 0, got {cache_bytes}")
        self.on_frame = on_frame
        self.fast_quality = fast_quality
        self.fast_subsampling = fast_subsampling
        self.refine_quality = refine_quality
        self.refine_subsampling = refine_subsampling
        self.still_after_s = still_after_s
        self.stats = EncoderStats()
        #: The frame being (or last) delivered to ``on_frame``: variant and transform key.
        self.last_frame: Optional[EncodedFrame] = None
        self._clock = clock
        self._cache = FrameCache(cache_bytes)
        self._cond = threading.Condition()
        self._pending: Optional[_Pending] = None
        self._lossless_wanted = False
        self._resize_wanted = False
        self._max_size: tuple[Optional[int], Optional[int]] = (None, None)
        self._closed = False
        self._busy = False
        self._current: Optional[_Image] = None
        self._frame_id = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # --- any thread ---------------------------------------------------------------------

    def submit(self, capture: Capture) -> None:
        """Hand over the newest capture; returns at once. ``ValueError`` if it cannot be taken."""
        check_capture(capture)
        transform: Optional[DisplayTransform] = None
        if capture.encoded is None:
            transform = DisplayTransform.of(capture)
            transform.check()
        pending = _Pending(capture, transform, time.time_ns() // 1000, self._clock())
        with self._cond:
            if self._closed:
                raise RuntimeError("the encoder is closed; make a new FrameEncoder")
            if self._pending is not None:
                self.stats.superseded += 1
            self._pending = pending
            self.stats.submitted += 1
            self._cond.notify_all()

    def set_max_size(self, width: Optional[int], height: Optional[int]) -> None:
        """Fit fast frames inside ``width`` x ``height`` (None: no limit on that side).

        The current image goes out again at the new size unless its refinement
        (always full size) has already been sent.
        """
        with self._cond:
            size = (width or None, height or None)
            if size != self._max_size:
                self._max_size = size
                self._resize_wanted = True
                self._cond.notify_all()

    def request_lossless(self) -> None:
        """Emit a PNG of the current image (``FLAG_LOSSLESS``) soon; nothing if there is none."""
        with self._cond:
            self._lossless_wanted = True
            self._cond.notify_all()

    def wait_idle(self, timeout: Optional[float] = None) -> bool:
        """Wait until nothing is pending or being encoded (a refinement may still be due)."""
        with self._cond:
            return self._cond.wait_for(self._idle, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker (after the frame in hand, if any). Idempotent."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def max_size(self) -> tuple[Optional[int], Optional[int]]:
        return self._max_size

    @property
    def cache_bytes(self) -> int:
        """Bytes of encoded frames held in the cache now."""
        return self._cache.bytes

    def __enter__(self) -> FrameEncoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _idle(self) -> bool:
        return self._closed or (
            not self._busy
            and self._pending is None
            and not self._lossless_wanted
            and not self._resize_wanted
        )

    # --- the worker thread -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                pending, lossless, resize, refine = self._next_work()
                if self._closed:
                    self._busy = False
                    self._cond.notify_all()
                    return
                self._busy = True
            try:
                if pending is not None:
                    self._take(pending)
                elif resize:
                    self._resize()
                if refine or self._refine_due():
                    self._refine()
                if lossless:
                    self._lossless()
            except Exception:
                self.stats.errors += 1
                log.exception("encoding a frame failed; the encoder goes on")
                if self._current is not None:
                    # Not again for this image: no retry loop, no log flood; the
                    # next different image starts afresh.
                    self._current.refined = True
                    self._current.sent_size = self._target(self._current)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _next_work(self) -> tuple[Optional[_Pending], bool, bool, bool]:
        """Wait (holding the condition) for something to do; take it."""
        while not self._closed:
            if self._pending is not None or self._lossless_wanted or self._resize_wanted:
                pending, self._pending = self._pending, None
                lossless, self._lossless_wanted = self._lossless_wanted, False
                resize, self._resize_wanted = self._resize_wanted, False
                return pending, lossless, resize, False
            due = self._refine_at()
            now = self._clock()
            if due is not None and now >= due:
                return None, False, False, True
            self._busy = False
            self._cond.notify_all()
            self._cond.wait(None if due is None else min(due - now, STILL_POLL_S))
        return None, False, False, False

    def _refine_at(self) -> Optional[float]:
        current = self._current
        if current is None or current.refined or self.still_after_s is None:
            return None
        return current.since + self.still_after_s

    def _refine_due(self) -> bool:
        due = self._refine_at()
        return due is not None and self._clock() >= due

    def _take(self, pending: _Pending) -> None:
        capture = pending.capture
        t0 = time.perf_counter()
        if capture.encoded is not None:
            key = f"encoded:{capture.codec}"
            digest = encoded_hash(capture.encoded, capture.codec, capture.width, capture.height)
        else:
            assert pending.transform is not None
            key = pending.transform.key
            digest = pixels_hash(capture.pixels, key, capture.width, capture.height)
        hash_ms = (time.perf_counter() - t0) * 1000.0
        current = self._current
        if current is not None and current.digest == digest:
            if current.refined or current.sent_size == self._target(current):
                self.stats.skipped_unchanged += 1
                return
            self._send_fast(current)
            return
        image = _Image(pending, digest, key, hash_ms)
        self._current = image
        if image.passthrough:
            self._send_passthrough(image)
            return
        refined = self._cache.get(digest, REFINE, *image.full)
        if refined is not None:
            self.stats.cache_hits += 1
            image.refined = True
            self._deliver(refined, image, FLAG_REFINEMENT)
            return
        self._send_fast(image)

    def _target(self, image: _Image) -> tuple[int, int]:
        return fit_size(*image.full, *self._max_size)

    def _send_fast(self, image: _Image) -> None:
        target = self._target(image)
        frame = self._cached_or_encoded(image, FAST, target)
        image.sent_size = target
        self._deliver(frame, image, 0)

    def _send_passthrough(self, image: _Image) -> None:
        capture = image.capture
        assert capture.encoded is not None
        lossless = capture.codec == "png"
        frame = EncodedFrame(
            hash=image.digest,
            variant=LOSSLESS if lossless else FAST,
            codec=capture.codec,
            width=capture.width,
            height=capture.height,
            payload=bytes(capture.encoded),
            transform_key=image.key,
        )
        image.sent_size = image.full
        self._deliver(frame, image, FLAG_LOSSLESS if lossless else 0)

    def _resize(self) -> None:
        image = self._current
        if image is None or image.refined or image.sent_size == self._target(image):
            return
        self._send_fast(image)

    def _refine(self) -> None:
        image = self._current
        if image is None or image.refined:
            return
        frame = self._cached_or_encoded(image, REFINE, image.full)
        image.refined = True
        self._deliver(frame, image, FLAG_REFINEMENT)

    def _lossless(self) -> None:
        image = self._current
        if image is None:
            return
        capture = image.capture
        if capture.encoded is not None and capture.codec == "png":
            self._send_passthrough(image)
            return
        frame = self._cached_or_encoded(image, LOSSLESS, image.full)
        self._deliver(frame, image, FLAG_LOSSLESS)

    def _cached_or_encoded(
        self, image: _Image, variant: str, size: tuple[int, int]
    ) -> EncodedFrame:
        """The image's ``variant`` at ``size`` from the cache (counted as a hit), else encoded."""
        frame = self._cache.get(image.digest, variant, *size)
        if frame is None:
            return self._encode(image, variant, size)
        self.stats.cache_hits += 1
        return frame

    def _encode(self, image: _Image, variant: str, size: tuple[int, int]) -> EncodedFrame:
        had_display = image._display is not None
        rgb = image.display()
        transform_ms = 0.0 if had_display else image.transform_ms
        t0 = time.perf_counter()
        scaled = downscale(rgb, *size)
        t1 = time.perf_counter()
        if variant == LOSSLESS:
            codec, payload = "png", encode_png(np.ascontiguousarray(scaled[:, :, :3]))
        elif variant == REFINE:
            codec = "jpeg"
            payload = encode_jpeg(scaled, self.refine_quality, self.refine_subsampling)
        else:
            codec = "jpeg"
            payload = encode_jpeg(scaled, self.fast_quality, self.fast_subsampling)
        t2 = time.perf_counter()
        stages = {
            "hash": image.hash_ms,
            "transform": transform_ms,
            "scale": (t1 - t0) * 1000.0,
            "encode": (t2 - t1) * 1000.0,
        }
        self.stats.last_stage_ms = stages
        self.stats.last_encode_ms = stages["transform"] + stages["scale"] + stages["encode"]
        self.stats.encoded[variant] += 1
        frame = EncodedFrame(
            hash=image.digest,
            variant=variant,
            codec=codec,
            width=size[0],
            height=size[1],
            payload=payload,
            transform_key=image.key,
        )
        self._cache.put(frame)
        return frame

    def _deliver(self, frame: EncodedFrame, image: _Image, flags: int) -> None:
        self._frame_id = self._frame_id % (_FRAME_ID_MOD - 1) + 1
        header = FrameHeader(
            frame_id=self._frame_id,
            frame=image.capture.frame,
            width=frame.width,
            height=frame.height,
            codec=frame.codec,
            hash=image.digest,
            captured_us=image.captured_us,
            flags=flags,
        )
        self.last_frame = frame
        self.stats.emitted[frame.variant] += 1
        try:
            self.on_frame(header, frame.payload)
        except Exception:
            # The sink's problem, not the image's: count it, keep the image's state.
            self.stats.errors += 1
            log.exception("on_frame raised; the encoder goes on")
