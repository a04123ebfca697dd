"""Pixels in any colour space -> the 8-bit RGB image a reviewer's display shows.

``DisplayTransform(colorspace, display, view, config)`` names the transform;
``apply(pixels)`` runs it, by the cheapest of five paths that is exact or within
one code value of OpenImageIO's own result (``path(dtype)`` says which):

1. ``quantise`` -- **display-referred input** (``colorspace`` None, ``"sRGB"``,
   ``"srgb_display"``, ``"Output - sRGB"``, ... see ``DISPLAY_REFERRED``): no
   colour maths, only quantisation to 8 bits (round to nearest, clamp, NaN -> 0).
   Needs no OpenImageIO.
2. ``lut`` -- **per-channel transforms on 8/16-bit input** (``uint8``, ``uint16``,
   ``float16``): an exact table. All 256 or 65536 possible input values are pushed
   once through the same OCIO transform, by OpenImageIO from an image of that very
   dtype, and the table is indexed by the input's bits (for half floats: their bit
   pattern), so the result equals OpenImageIO's full-image path value for value,
   NaN and infinities included (14 ms at 1080p half RGBA against ~240 ms for
   OpenImageIO's path on this machine; ``bench/codec.py``).
3. ``uniform`` -- **per-channel transforms on float32**: ``v`` -> a 16-bit index
   ``(v - lo) * 65535 / (hi - lo)``, rounded and clamped, -> a table of the
   transform at those 65536 values, where ``[lo, hi]`` is the input range outside
   which the 8-bit output no longer changes (measured: for the sRGB curve ~[1.5e-4,
   1.007]). Precision: the index step is ~1.5e-5 in linear; the sRGB curve's
   steepest slope (12.92 in the toe) turns that into at most 0.025 of a code
   value, so the result can differ from OpenImageIO's only where the exact value
   lies that close to a rounding boundary, and then by one code (~0.1 % of
   pixels of a random image). ~25-30 ms at 1080p float32 RGBA.
4. ``matrix`` -- **a 3x3 matrix then a per-channel curve**, such as a gamut
   conversion (ACEScg -> sRGB, which is OpenImageIO's default ``scene_linear``):
   the matrix is applied in float32 (one BLAS product), then path 3's index and
   table. The matrix is recovered from the transform (the grey response is the
   curve; each primary's response, through the curve's inverse, is a column).
   Same one-code bound (~0.05 % of pixels); ~35 ms at 1080p half RGBA against
   ~160 ms for OpenImageIO (UHD: ~150 against ~660 ms).
5. ``oiio`` -- **everything else** (a log encoding, a tone-mapping view such as
   ACES 2.0 SDR): OpenImageIO's ``colorconvert`` / ``ociodisplay`` on the whole
   image, quantised by OpenImageIO (0.7-1.1 s at 1080p for the ACES 2.0 view).

Nothing is assumed, everything is measured once per transform. Per-channel: the
transform is run on 160 RGB triples with independent, widely spread channels
(negative, zero, shadows, mid grey, highlights up to 50, saturated primaries)
and on the greys made of the same values; every channel of every triple must
equal that channel's grey response (a matrix fails on the first saturated
triple). Paths 3 and 4 are then built and kept only if, on 8192 float32
samples (1e-6..100 of either sign in each channel independently, the display
range, extremes up to +-1e12 as greys), their 8-bit result is within one code
value of OpenImageIO's everywhere. If path 3 fails for a per-channel transform,
float32 may still go through the half table of path 2 (rounding to half moves
a value by at most 2^-11 of itself, ~0.125 of a code at 255 through the sRGB
curve), under the same check; else path 5.

Grey input (1 or 2 channels) is repeated into R, G and B; alpha is dropped,
never composited.

Other primaries: ``matrix`` (9 numbers, row-major) takes linear RGB in other
primaries to ``colorspace``'s, e.g. an EXR's ``chromaticities`` to linear
Rec.709 (``primaries.to_rec709``). It joins the transform's own matrix in path
4, so it costs nothing per frame; the exact reference it is checked against is
the matrix in float32, then OpenImageIO. A matrix within 1e-4 of identity is
dropped (the transform stays per-channel, its exact tables apply). A matrix
needs a scene-linear ``colorspace``: display-referred pixels are not linear.

The config: ``config`` is a path (or ``ocio://`` URI) to an OCIO config; None
means ``$OCIO`` or, without it, the ACES studio config OpenImageIO bundles, in
which the ``scene_linear`` role is ACEScg (so the default transform is path 4;
``"linear"`` / ``"lin_rec709"`` input is per-channel, paths 2 and 3).

The default transform (``display`` and ``view`` None) converts to the sRGB-encoded
colour space with ``colorconvert``, no tone mapping: key
``"scene_linear|sRGB|default"``. With a ``display`` (and a ``view``; None: that
display's default view in the config) it runs ``ociodisplay``: key
``"<colorspace>|<display>|<view>"``. Keys gain ``"|<config>"`` when a config is
named, so equal keys mean equal transforms within a process.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .pixels import check_pixels

#: Colour-space names (compared case-insensitively) whose pixels are already what
#: an sRGB display shows: quantised, never transformed.
DISPLAY_REFERRED = frozenset(
    name.lower()
    for name in (
        "sRGB",
        "srgb_display",
        "srgb_rec709_display",
        "sRGB - Display",
        "Output - sRGB",
        "srgb_tx",
        "srgb_texture",
        "sRGB - Texture",
        "Utility - sRGB - Texture",
        "Input - Generic - sRGB - Texture",
        "sRGB Encoded Rec.709 (sRGB)",
        "srgb_encoded_rec709_srgb",
        "srgb_rec709_scene",
        "display",
    )
)

#: Names tried, in order, for the default target: an sRGB-encoded colour space.
SRGB_TARGETS = ("sRGB", "srgb_tx", "sRGB - Texture", "Utility - sRGB - Texture", "Output - sRGB")

#: What to install when a transform needs OCIO and OpenImageIO is missing.
COLOR_EXTRA_HINT = "install overshoulder[color] for scene-linear input"

#: Values of the per-channel probe (see the module docstring).
_PROBE_VALUES = np.array(
    [-0.25, 0.0, 0.001, 0.01, 0.05, 0.18, 0.5, 0.9, 1.0, 2.0, 8.0, 50.0], dtype=np.float32
)
_PROBE_TRIPLES = 160
_F32_SAMPLES = 8192


class ColorUnavailable(ImportError):
    """A transform needs OCIO (through OpenImageIO) and OpenImageIO cannot be imported."""


def oiio_module() -> Any:
    """The ``OpenImageIO`` module, or ``ColorUnavailable`` saying what to install."""
    try:
        import OpenImageIO
    except ImportError as exc:
        raise ColorUnavailable(f"{COLOR_EXTRA_HINT} (OpenImageIO: {exc})") from exc
    return OpenImageIO


def is_display_referred(colorspace: Optional[str]) -> bool:
    """True when pixels in ``colorspace`` need no transform (None counts as display-referred)."""
    return colorspace is None or colorspace.strip().lower() in DISPLAY_REFERRED


@dataclass(frozen=True)
class DisplayTransform:
    """How pixels in ``colorspace`` become what an sRGB display shows (see the module doc).

    ``display`` and ``view`` name the OCIO display transform the artist sees; for
    display-referred input they are ignored (the pixels already went through it).
    """

    colorspace: Optional[str] = "scene_linear"
    display: Optional[str] = None
    view: Optional[str] = None
    config: Optional[str] = None
    #: Linear RGB in other primaries -> ``colorspace``'s: 9 numbers, row-major (module doc).
    matrix: Optional[tuple[float, ...]] = None

    def __post_init__(self) -> None:
        if self.matrix is None:
            return
        values = tuple(float(v) for v in self.matrix)
        if len(values) != 9 or not all(np.isfinite(values)):
            raise ValueError(f"a primaries matrix is 9 finite numbers, got {self.matrix!r}")
        if np.abs(np.reshape(values, (3, 3)) - np.eye(3)).max() <= 1e-4:
            object.__setattr__(self, "matrix", None)  # identity: the exact tables still apply
        else:
            object.__setattr__(self, "matrix", values)

    @classmethod
    def of(cls, capture: Any) -> DisplayTransform:
        """The transform a ``Capture`` asks for."""
        matrix = getattr(capture, "matrix", None)
        return cls(capture.colorspace, capture.display, capture.view, capture.ocio_config, matrix)

    @property
    def needs_ocio(self) -> bool:
        """False for display-referred input (no OpenImageIO needed)."""
        return not is_display_referred(self.colorspace)

    @property
    def key(self) -> str:
        """Identity of the transform, e.g. ``"scene_linear|sRGB|default"`` (hashed with frames)."""
        return _compiled(self).key

    @property
    def per_channel(self) -> bool:
        """Whether each output channel depends on its input channel only (lookup tables apply)."""
        return _compiled(self).per_channel

    def check(self) -> None:
        """Resolve every name now: ``ValueError`` for unknown names, ``ColorUnavailable``.

        Cheap after the first call for a config (which loads it: ~40 ms here).
        """
        _compiled(self)

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """``pixels`` (H x W x 1-4, any supported dtype) -> C-contiguous H x W x 3 ``uint8``.

        Alpha (channel 2 of grey+alpha, channel 4 of RGBA) is dropped, not composited.
        """
        out = self.render(pixels)
        return np.ascontiguousarray(out[:, :, :3]) if out.shape[2] == 4 else out

    def render(self, pixels: np.ndarray) -> np.ndarray:
        """Like ``apply``, but RGBA input may come back as H x W x 4 "RGBX".

        The fourth channel is then padding: whatever the transform made of the
        alpha values, to be ignored (JPEG encodes RGBX directly). It saves a
        strided copy of the colour channels (~14 ms for 1080p uint8 here).
        """
        _, _, channels = check_pixels(pixels)
        image = pixels if pixels.ndim == 3 else pixels[:, :, None]
        compiled = _compiled(self)
        if channels == 4 and compiled.takes_rgbx(image.dtype):
            return compiled.run(image)
        colour = image[:, :, :1] if channels <= 2 else image[:, :, :3]
        return compiled.run(colour)

    def path(self, dtype: Any) -> str:
        """How ``apply`` goes for ``dtype``: quantise, lut, uniform, matrix or oiio (module doc)."""
        return _compiled(self).path(np.dtype(dtype))


@dataclass(frozen=True)
class _Uniform:
    """Float input through an affine map to a 16-bit index, then a table (paths 3 and 4).

    ``index = clamp((matrix @ rgb - lo) * scale + 0.5, 0, 65535)``; the table holds
    the transform's 8-bit output at each index's value (OpenImageIO's own).
    """

    matrix: np.ndarray  # 3 x 3, float32; identity for per-channel transforms
    identity: bool
    lo: float
    scale: float
    table: np.ndarray  # (65536,) uint8, or (3, 65536) when the channels differ


class _Compiled:
    """A resolved transform: names checked, structure measured, tables built on demand."""

    def __init__(self, spec: DisplayTransform) -> None:
        self.spec = spec
        self.passthrough = not spec.needs_ocio
        self._per_channel: Optional[bool] = True if self.passthrough else None
        self._luts: dict[str, np.ndarray] = {}
        self._f32_via_half: Optional[bool] = None
        self._uniform: Optional[_Uniform] = None
        self._uniform_done = False
        self._lock = threading.RLock()
        self.op: tuple[str, ...] = ()
        self.input_matrix: Optional[np.ndarray] = None
        if self.passthrough:
            if spec.matrix is not None:
                raise ValueError(
                    f"a primaries matrix needs linear pixels; {spec.colorspace!r} is "
                    "display-referred"
                )
            self.key = f"{spec.colorspace or 'display'}|display-referred"
            return
        if spec.matrix is not None:
            self.input_matrix = np.array(spec.matrix, dtype=np.float64).reshape(3, 3)
            self._per_channel = False
        self._raw_per_channel: Optional[bool] = None
        oiio = oiio_module()
        self.oiio = oiio
        self.config = spec.config or ""
        cfg = oiio.ColorConfig(self.config)
        error = cfg.geterror() if hasattr(cfg, "geterror") else ""
        if error:
            raise ValueError(f"OCIO config {spec.config!r} could not be read: {error}")
        colorspace = spec.colorspace or ""
        if cfg.getColorSpaceIndex(colorspace) < 0 and not _is_role(cfg, colorspace):
            raise ValueError(
                f"colour space {colorspace!r} is not in the OCIO config "
                f"({cfg.configname()}); known: {', '.join(cfg.getColorSpaceNames()[:12])}, ..."
            )
        suffix = f"|{spec.config}" if spec.config else ""
        if spec.display is None and spec.view is None:
            target = next((n for n in SRGB_TARGETS if cfg.getColorSpaceIndex(n) >= 0), None)
            if target is None:
                raise ValueError(
                    f"the OCIO config ({cfg.configname()}) has no sRGB colour space "
                    f"({', '.join(SRGB_TARGETS)}); name a display and view instead"
                )
            self.op = ("colorconvert", colorspace, target)
            self.key = f"{colorspace}|sRGB|default{suffix}"
        else:
            display = spec.display or cfg.getDefaultDisplayName()
            if display not in cfg.getDisplayNames():
                raise ValueError(
                    f"display {display!r} is not in the OCIO config ({cfg.configname()}); "
                    f"known: {', '.join(cfg.getDisplayNames())}"
                )
            view = spec.view or cfg.getDefaultViewName(display)
            if view not in cfg.getViewNames(display):
                raise ValueError(
                    f"view {view!r} is not a view of display {display!r}; "
                    f"known: {', '.join(cfg.getViewNames(display))}"
                )
            self.op = ("ociodisplay", colorspace, display, view)
            self.key = f"{colorspace}|{display}|{view}{suffix}"
        if spec.matrix is not None:
            self.key += "|m=" + ",".join(f"{v:.6g}" for v in spec.matrix)

    @property
    def per_channel(self) -> bool:
        """Measured on first use (on the encoder's worker, not in ``submit``)."""
        with self._lock:
            if self._per_channel is None:
                self._per_channel = self.raw_per_channel
            return self._per_channel

    @property
    def raw_per_channel(self) -> bool:
        """Whether OpenImageIO's transform, without ``input_matrix``, is per channel."""
        with self._lock:
            if self._raw_per_channel is None:
                self._raw_per_channel = self._measure_per_channel()
            return self._raw_per_channel

    # --- which path -----------------------------------------------------------------

    def path(self, dtype: np.dtype) -> str:
        if self.passthrough:
            return "quantise"
        if self.per_channel:
            if dtype != np.float32:
                return "lut"
            if self.uniform() is not None:
                return "uniform"
            return "lut" if self.f32_via_half() else "oiio"
        return "matrix" if self.uniform() is not None else "oiio"

    def takes_rgbx(self, dtype: np.dtype) -> bool:
        """Whether 4-channel input may go through whole (one table for every channel)."""
        path = self.path(np.dtype(dtype))
        if path == "quantise":
            return True
        if path == "lut":
            table_dtype = np.dtype(np.float16) if dtype == np.float32 else np.dtype(dtype)
            return self.lut(table_dtype).ndim == 1
        uniform = self.uniform()
        return path in ("uniform", "matrix") and uniform is not None and uniform.table.ndim == 1

    def run(self, colour: np.ndarray) -> np.ndarray:
        """H x W x (1, 3 or 4) in -> H x W x (3 or 4) uint8, C-contiguous."""
        path = self.path(colour.dtype)
        if path == "quantise":
            out = _quantise(colour)
        elif path == "lut":
            if colour.dtype == np.float32:
                with np.errstate(over="ignore"):
                    colour = colour.astype(np.float16)
            out = _lookup(self.lut(colour.dtype), colour)
        elif path in ("uniform", "matrix"):
            uniform = self.uniform()
            assert uniform is not None
            out = _lookup_uniform(uniform, colour)
        else:
            if colour.shape[2] == 1:
                colour = np.broadcast_to(colour, (*colour.shape[:2], 3))
            out = self.oiio_apply(colour[:, :, :3])
        if out.shape[2] == 1:
            out = np.ascontiguousarray(np.broadcast_to(out, (*out.shape[:2], 3)))
        return out

    # --- OpenImageIO --------------------------------------------------------------------

    def oiio_float(self, rgb: np.ndarray, raw: bool = False) -> np.ndarray:
        """The transform's float output for an H x W x 3 array (probing only).

        ``raw``: OpenImageIO's transform alone, without ``input_matrix``.
        """
        oiio = self.oiio
        src = oiio.ImageBuf(np.ascontiguousarray(rgb if raw else self._premultiply(rgb)))
        height, width = rgb.shape[:2]
        dst = oiio.ImageBuf(oiio.ImageSpec(width, height, 3, oiio.FLOAT))
        self._run_op(dst, src)
        return np.asarray(dst.get_pixels(oiio.FLOAT), dtype=np.float32).reshape(height, width, 3)

    def oiio_apply(self, rgb: np.ndarray) -> np.ndarray:
        """The whole image through OpenImageIO, quantised to uint8 by OpenImageIO.

        With an ``input_matrix``, it is applied first, in float32 (the reference the
        fast paths are checked against).
        """
        oiio = self.oiio
        src = oiio.ImageBuf(np.ascontiguousarray(self._premultiply(rgb)))
        height, width = rgb.shape[:2]
        dst = oiio.ImageBuf(oiio.ImageSpec(width, height, 3, oiio.UINT8))
        self._run_op(dst, src)
        out = dst.get_pixels(oiio.UINT8)
        return np.ascontiguousarray(out, dtype=np.uint8).reshape(height, width, 3)

    def _premultiply(self, rgb: np.ndarray) -> np.ndarray:
        """``input_matrix`` @ each pixel, in float32 (integers as 0..1 first); else as is."""
        if self.input_matrix is None:
            return rgb
        floats = np.asarray(rgb, dtype=np.float32)
        if np.issubdtype(rgb.dtype, np.integer):
            floats = floats / np.float32(np.iinfo(rgb.dtype).max)
        if floats.shape[2] == 1:
            floats = np.broadcast_to(floats, (*floats.shape[:2], 3))
        with np.errstate(invalid="ignore", over="ignore"):
            return floats[:, :, :3] @ self.input_matrix.T.astype(np.float32)

    def _run_op(self, dst: Any, src: Any) -> None:
        alg = self.oiio.ImageBufAlgo
        if self.op[0] == "colorconvert":
            _, source, target = self.op
            ok = alg.colorconvert(dst, src, source, target, False, "", "", self.config)
        else:
            _, source, display, view = self.op
            ok = alg.ociodisplay(
                dst, src, display, view, source, "", False, False, "", "", self.config
            )
        if not ok:
            raise RuntimeError(f"OCIO transform {self.key} failed: {dst.geterror()}")

    # --- per-channel ------------------------------------------------------------------------

    def _measure_per_channel(self) -> bool:
        values = _PROBE_VALUES
        rng = np.random.default_rng(20240611)
        picks = rng.integers(0, len(values), size=(_PROBE_TRIPLES, 3))
        triples = values[picks]
        greys = np.repeat(values[:, None], 3, axis=1)
        probe = np.concatenate([triples, greys])[None, :, :]
        out = self.oiio_float(probe, raw=True)[0]
        got, grey_out = out[:_PROBE_TRIPLES], out[_PROBE_TRIPLES:]
        want = np.stack([grey_out[picks[:, c], c] for c in range(3)], axis=1)
        return bool(np.allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True))

    # --- exact tables ------------------------------------------------------------------------

    def lut(self, dtype: np.dtype) -> np.ndarray:
        """The exact table for ``dtype`` input: (N,) when all channels agree, else (3, N)."""
        name = np.dtype(dtype).name
        with self._lock:
            table = self._luts.get(name)
            if table is None:
                table = self._build_lut(name)
                self._luts[name] = table
        return table

    def _build_lut(self, name: str) -> np.ndarray:
        values: np.ndarray
        if name == "uint8":
            values = np.arange(256, dtype=np.uint8).reshape(1, 256)
        else:
            bits = np.arange(65536, dtype=np.uint32).astype(np.uint16).reshape(256, 256)
            values = bits.view(np.float16) if name == "float16" else bits
        rgb = np.repeat(values[:, :, None], 3, axis=2)
        return _table(self.oiio_apply(rgb).reshape(-1, 3))

    def f32_via_half(self) -> bool:
        """Whether float32 may take the half table (checked once; see the module doc)."""
        with self._lock:
            if self._f32_via_half is None:
                half = self.lut(np.dtype(np.float16))

                def via_half(rgb: np.ndarray) -> np.ndarray:
                    with np.errstate(over="ignore"):
                        return _lookup(half, rgb.astype(np.float16))

                self._f32_via_half = self._agrees(via_half, _verification_samples(self.per_channel))
            return self._f32_via_half

    # --- affine map + uniform table ------------------------------------------------------------

    def uniform(self) -> Optional[_Uniform]:
        """The float path of paths 3/4, or None when the transform does not fit it."""
        with self._lock:
            if not self._uniform_done:
                self._uniform = self._build_uniform()
                self._uniform_done = True
            return self._uniform

    def _build_uniform(self) -> Optional[_Uniform]:
        matrix = self._total_matrix()
        if matrix is None or abs(np.linalg.det(matrix)) < 1e-6:
            return None
        inverse = np.linalg.inv(matrix)
        # Where does each channel's 8-bit output stop changing? Probe the curve
        # (the transform of M^-1 (u, u, u)) over +-1e4.
        grid = np.concatenate([-np.geomspace(1e4, 1e-6, 400), [0.0], np.geomspace(1e-6, 1e4, 2000)])
        codes = self.oiio_apply(_through(inverse, grid))[0].astype(np.int16)
        lo, hi = grid[-1], grid[0]
        for c in range(3):
            moving = np.flatnonzero(codes[:, c] != codes[0, c])
            if moving.size == 0:
                continue
            settled = np.flatnonzero(codes[:, c] != codes[-1, c])
            if grid[moving[0]] < -100.0 or grid[settled[-1]] > 100.0:
                return None  # still changing beyond +-100: no small domain to tabulate
            lo = min(lo, grid[moving[0] - 1])
            hi = max(hi, grid[settled[-1] + 1])
        if not hi > lo:
            return None
        steps = np.arange(65536, dtype=np.float64) * ((hi - lo) / 65535.0) + lo
        codes = self.oiio_apply(_through(inverse, steps))[0]
        if np.abs(codes.astype(np.int16) - codes[:, 1:2]).max() <= 1:
            # One curve for all channels, apart from float noise in M^-1 at rounding
            # edges: one table (the per-entry majority) lets RGBA go through whole.
            codes = np.repeat(np.median(codes, axis=1).astype(np.uint8)[:, None], 3, axis=1)
        table = _table(codes)
        uniform = _Uniform(
            matrix=matrix.astype(np.float32),
            identity=self.per_channel,
            lo=float(lo),
            scale=65535.0 / float(hi - lo),
            table=table,
        )

        def ours(rgb: np.ndarray) -> np.ndarray:
            return _lookup(uniform.table, _uniform_index(uniform, rgb))

        if not self._agrees(ours, _verification_samples(self.per_channel)):
            return None
        return uniform

    def _total_matrix(self) -> Optional[np.ndarray]:
        """The matrix of path 4: the transform's own (estimated), times ``input_matrix``."""
        if self.per_channel:
            return np.eye(3)
        own = np.eye(3) if self.raw_per_channel else self._estimate_matrix()
        if own is None or self.input_matrix is None:
            return own
        return own @ self.input_matrix

    def _estimate_matrix(self) -> Optional[np.ndarray]:
        """M such that the transform is ``curve(M @ rgb)`` with a per-channel curve, if any.

        The curve is the transform's response to greys (M keeps grey grey, as
        gamut conversions between RGB spaces with a shared white do); column j
        of M is the curve's inverse of the response to primary j, divided by its
        amount. A tone-mapping view gives a wrong M, which ``_agrees`` rejects.
        """
        grid = np.concatenate([-np.geomspace(8.0, 1e-5, 1500), [0.0], np.geomspace(1e-5, 8, 1500)])
        grey_input = np.repeat(grid[None, :, None], 3, axis=2).astype(np.float32)
        greys = self.oiio_float(grey_input, raw=True)[0]
        amount = 0.5
        primaries = self.oiio_float((np.eye(3) * amount)[None].astype(np.float32), raw=True)[0]
        matrix = np.empty((3, 3))
        for c in range(3):
            curve = greys[:, c].astype(np.float64)
            if not np.all(np.diff(curve) > 0):
                return None  # not invertible (clamped, or not monotonic)
            for j in range(3):
                out = float(primaries[j, c])
                if not curve[0] < out < curve[-1]:
                    return None
                matrix[c, j] = np.interp(out, curve, grid) / amount
        return matrix

    def _agrees(self, ours: Any, samples: np.ndarray) -> bool:
        """At most one code value from OpenImageIO's own result on every sample."""
        exact = self.oiio_apply(samples).astype(np.int16)
        return int(np.abs(ours(samples).astype(np.int16) - exact).max()) <= 1


def _through(inverse: np.ndarray, values: np.ndarray) -> np.ndarray:
    """1 x N x 3 float32 input whose image under M is (v, v, v) for each value."""
    return (values[:, None] * inverse.sum(axis=1)[None, :])[None].astype(np.float32)


def _table(codes: np.ndarray) -> np.ndarray:
    """N x 3 codes -> (N,) when every channel has the same, else (3, N)."""
    if (codes == codes[:, :1]).all():
        return np.ascontiguousarray(codes[:, 0])
    return np.ascontiguousarray(codes.T)


def _verification_samples(per_channel: bool) -> np.ndarray:
    """1 x N x 3 float32 samples: 1e-6..100 either sign, the display range, extremes as greys."""
    rng = np.random.default_rng(7)
    count = _F32_SAMPLES
    magnitudes = 10.0 ** rng.uniform(-6.0, 2.0, (count // 2, 3))
    signs = np.where(rng.random((count // 2, 3)) < 0.15, -1.0, 1.0)
    display = rng.uniform(-0.05, 1.5, (count // 2 - 6, 3))
    edges = np.array(
        [[1e-30] * 3, [1e-8] * 3, [65504.0] * 3, [65520.0] * 3, [1e12] * 3, [-1e12] * 3]
    )
    samples = np.concatenate([magnitudes * signs, display, edges])
    if per_channel:
        samples[: count // 4] = samples[: count // 4, :1]  # greys too
    return samples[None].astype(np.float32)


#: Pixels per block of rows on the float paths: the float32 temporaries of a
#: block stay in cache and are reused (one whole-image temporary per step costs
#: page faults and, at UHD, doubles and destabilises the time; bench/codec.py).
_BLOCK_PIXELS = 1 << 18


def _lookup_uniform(uniform: _Uniform, colour: np.ndarray) -> np.ndarray:
    """Paths 3 and 4 over blocks of rows: H x W x C in -> H x W x (C or 3) uint8."""
    height, width, channels = colour.shape
    if uniform.table.ndim == 2 or (channels == 1 and not uniform.identity):
        channels = 3  # per-channel tables, or grey through a matrix, give RGB
    out = np.empty((height, width, channels), dtype=np.uint8)
    rows = max(1, _BLOCK_PIXELS // width)
    for top in range(0, height, rows):
        block = _lookup(uniform.table, _uniform_index(uniform, colour[top : top + rows]))
        out[top : top + rows] = block
    return out


def _uniform_index(uniform: _Uniform, colour: np.ndarray) -> np.ndarray:
    """H x W x C (any dtype) -> H x W x C uint16 index into ``uniform.table``.

    numpy's loops are fastest over long contiguous runs: the matrix is applied as
    one (H*W x C) @ (C x C) product and the offset added as one row of W*C values.
    """
    kind = colour.dtype
    norm = 255.0 if kind == np.uint8 else 65535.0 if kind == np.uint16 else 1.0
    bias = np.float32(0.5 - uniform.lo * uniform.scale)
    height, width = colour.shape[:2]
    with np.errstate(invalid="ignore", over="ignore"):
        if uniform.identity:
            values = np.multiply(colour, np.float32(uniform.scale / norm), dtype=np.float32)
            values += bias
        else:
            if colour.shape[2] == 1:
                colour = np.broadcast_to(colour, (height, width, 3))
            channels = colour.shape[2]
            weights = np.zeros((channels, channels), dtype=np.float32)
            weights[:3, :3] = uniform.matrix.T * np.float32(uniform.scale / norm)
            offsets = np.zeros(channels, dtype=np.float32)
            offsets[:3] = bias
            if kind == np.float16:  # a table lookup is ~2x numpy's half -> float cast
                floats = take_rows(_half_to_float(), colour.view(np.uint16))
            else:
                floats = np.asarray(colour, dtype=np.float32)
            flat = floats.reshape(-1, channels)
            values = (flat @ weights).reshape(height, width * channels)
            values += np.tile(offsets, width)
            values = values.reshape(height, width, channels)
        np.fmax(values, 0.0, out=values)
        np.fmin(values, 65535.0, out=values)
    return values.astype(np.uint16)


_COMPILED: dict[DisplayTransform, _Compiled] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(spec: DisplayTransform) -> _Compiled:
    with _COMPILED_LOCK:
        found = _COMPILED.get(spec)
    if found is None:
        found = _Compiled(spec)
        with _COMPILED_LOCK:
            found = _COMPILED.setdefault(spec, found)
    return found


def _is_role(cfg: Any, name: str) -> bool:
    try:
        return name in cfg.getRoles()
    except AttributeError:
        return False


def _lookup(table: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Index ``table`` by each value's bits: H x W x C (uint8/uint16/float16) -> uint8."""
    if colour.dtype == np.float16:
        colour = colour.view(np.uint16)
    if table.ndim == 1:
        return take_rows(table, colour)
    height, width, channels = colour.shape
    out = np.empty((height, width, 3), dtype=np.uint8)
    for c in range(3):
        take_rows(table[c], colour[:, :, min(c, channels - 1)], out[:, :, c])
    return out


#: Rows per band of a table lookup: numpy turns each band's indices into 8-byte integers
#: first, and a band small enough to stay in cache makes the lookup ~1.7x faster than
#: one whole-image ``np.take`` (1080p half float: 11 -> 6 ms on one core).
LOOKUP_BAND_ROWS = 32
#: Threads (the caller's included) a large lookup is split over; ``np.take`` releases the
#: GIL, so the bands run in parallel. Kept small: the app has work of its own.
LOOKUP_THREADS = max(1, min(2, os.cpu_count() or 1))
#: Images with fewer values than this are looked up on the caller's thread alone.
LOOKUP_SPLIT_VALUES = 1 << 20

_lookup_pool: Optional[ThreadPoolExecutor] = None
_lookup_pool_lock = threading.Lock()


def take_rows(table: np.ndarray, index: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """``np.take(table, index)`` for an image of indices, by bands of rows, over threads."""
    if out is None:
        out = np.empty(index.shape, dtype=table.dtype)
    height = index.shape[0]
    parts = LOOKUP_THREADS if index.size >= LOOKUP_SPLIT_VALUES else 1
    step = -(-height // parts)

    def band(first: int, last: int) -> None:
        for row in range(first, last, LOOKUP_BAND_ROWS):
            end = min(row + LOOKUP_BAND_ROWS, last)
            np.take(table, index[row:end], out=out[row:end], mode="clip")

    if parts == 1:
        band(0, height)
        return out
    pool = _pool()
    others = [pool.submit(band, i * step, min(height, (i + 1) * step)) for i in range(1, parts)]
    band(0, min(height, step))
    for done in others:
        done.result()
    return out


def _pool() -> ThreadPoolExecutor:
    global _lookup_pool
    with _lookup_pool_lock:
        if _lookup_pool is None:
            _lookup_pool = ThreadPoolExecutor(
                max_workers=max(1, LOOKUP_THREADS - 1), thread_name_prefix="overshoulder-lut"
            )
        return _lookup_pool


_HALF_TO_FLOAT: Optional[np.ndarray] = None
_HALF_QUANTISE: Optional[np.ndarray] = None


def _half_to_float() -> np.ndarray:
    """float32 value of every half-float bit pattern (exact)."""
    global _HALF_TO_FLOAT
    if _HALF_TO_FLOAT is None:
        bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
        _HALF_TO_FLOAT = bits.view(np.float16).astype(np.float32)
    return _HALF_TO_FLOAT


_U16_QUANTISE: Optional[np.ndarray] = None


def quantise_float(values: np.ndarray) -> np.ndarray:
    """Display-referred floats -> uint8: round to nearest (ties to even), clamp, NaN -> 0."""
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.multiply(values, np.float32(255.0), dtype=np.float32)
        np.fmax(scaled, 0.0, out=scaled)
        np.fmin(scaled, 255.0, out=scaled)
        np.rint(scaled, out=scaled)
    return scaled.astype(np.uint8)


def _quantise(colour: np.ndarray) -> np.ndarray:
    global _HALF_QUANTISE, _U16_QUANTISE
    if colour.dtype == np.uint8:
        return np.ascontiguousarray(colour)
    if colour.dtype == np.float32:
        return quantise_float(colour)
    if colour.dtype == np.float16:
        if _HALF_QUANTISE is None:
            bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
            _HALF_QUANTISE = quantise_float(bits.view(np.float16).astype(np.float32))
        return take_rows(_HALF_QUANTISE, colour.view(np.uint16))
    if _U16_QUANTISE is None:
        # round(v * 255 / 65535) = round(v / 257); v / 257 is never exactly x.5.
        _U16_QUANTISE = ((np.arange(65536, dtype=np.uint32) + 128) // 257).astype(np.uint8)
    return take_rows(_U16_QUANTISE, colour)
