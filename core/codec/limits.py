"""Every size, quality and time of the frame pipeline, named once.

``FrameEncoder`` takes its defaults from here; tests and benchmarks read the
same names, so a number changed here changes everywhere.
"""

from __future__ import annotations

#: Largest image side accepted (8K). The media packet header allows up to 65535,
#: the relay's ``Limits.max_frame_side`` is 8192 too.
MAX_SIDE = 8192

#: Pixel dtypes a capture may hand over, by numpy's name.
PIXEL_DTYPES = ("uint8", "uint16", "float16", "float32")

#: Channel counts a capture may hand over: grey, grey+alpha, RGB, RGBA.
CHANNELS = (1, 2, 3, 4)

#: Fast frames (while the image changes): JPEG quality and chroma subsampling.
FAST_QUALITY = 80
FAST_SUBSAMPLING = "420"

#: The one refinement of a still image: JPEG quality and chroma subsampling.
REFINE_QUALITY = 92
REFINE_SUBSAMPLING = "444"

#: Seconds an image must stay unchanged before its refinement is encoded.
STILL_AFTER_S = 0.25

#: Bytes of encoded frames kept for re-emission (looping playback).
CACHE_BYTES = 256 * 1024 * 1024

#: zlib level of lossless PNG stills. Measured (bench/codec.py, 1080p graded frame
#: with grain): level 1 ~105 ms / 3.2 MB, level 3 ~210 ms / 3.1 MB, level 6 ~600 ms /
#: 3.0 MB; the 100 KB level 3 saves take longer to compress than to send at >= 8 Mbit/s.
PNG_LEVEL = 1

#: How long the worker sleeps at most while it waits for an image to become
#: still; bounds how late a refinement is when the clock is not the wall clock.
STILL_POLL_S = 0.05

#: JPEG chroma subsampling modes accepted by the encoder.
SUBSAMPLINGS = ("444", "422", "420", "440", "411")
