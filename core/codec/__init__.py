"""The frame pipeline every app adapter uses: pixels -> display image -> encoded frames.

``FrameEncoder`` is the whole pipeline on one worker thread (change detection,
scaling, fast frames, one refinement per still image, lossless stills, an
encoded-frame cache); the pieces it is made of are public for tests,
benchmarks and tools: ``DisplayTransform`` (OCIO through OpenImageIO, exact
lookup tables for per-channel transforms), ``fit_size`` / ``downscale``
(area filter), ``encode_jpeg`` / ``decode_jpeg`` (libjpeg-turbo),
``encode_png`` / ``decode_png``, the content hashes, and ``primaries`` (a file's
RGB primaries and white to the 3x3 matrix ``DisplayTransform(matrix=...)`` takes).

Needs numpy, simplejpeg and xxhash; OpenImageIO (``overshoulder[color]``) only
for captures that are not display-referred.
"""

from . import primaries
from .cache import FAST, LOSSLESS, REFINE, VARIANTS, EncodedFrame, FrameCache
from .encoder import EncoderStats, FrameEncoder, OnFrame
from .identity import HASH_BYTES, encoded_hash, pixels_hash
from .jpeg import decode_jpeg, encode_jpeg, jpeg_size
from .limits import MAX_SIDE
from .pixels import check_capture, check_pixels
from .png import decode_png, encode_png, png_size
from .scale import downscale, fit_size
from .transform import (
    COLOR_EXTRA_HINT,
    ColorUnavailable,
    DisplayTransform,
    is_display_referred,
    quantise_float,
)

__all__ = [
    "COLOR_EXTRA_HINT",
    "FAST",
    "HASH_BYTES",
    "LOSSLESS",
    "MAX_SIDE",
    "REFINE",
    "VARIANTS",
    "ColorUnavailable",
    "DisplayTransform",
    "EncodedFrame",
    "EncoderStats",
    "FrameCache",
    "FrameEncoder",
    "OnFrame",
    "check_capture",
    "check_pixels",
    "decode_jpeg",
    "decode_png",
    "downscale",
    "encode_jpeg",
    "encode_png",
    "encoded_hash",
    "fit_size",
    "is_display_referred",
    "jpeg_size",
    "pixels_hash",
    "png_size",
    "primaries",
    "quantise_float",
]
