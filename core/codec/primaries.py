"""RGB primaries and white points: the 3x3 matrix from a file's RGB to linear Rec.709.

An OpenEXR file may say which RGB it holds with its ``chromaticities`` attribute:
the CIE (x, y) of its red, green and blue primaries and of its white (the colour
of RGB 1, 1, 1). Without the attribute, OpenEXR's convention is Rec.709
primaries with a D65 white. ``to_rec709(chromaticities)`` is the matrix that
takes such RGB to linear Rec.709 (D65): the file's RGB to CIE XYZ (OpenEXR's
``RGBtoXYZ``), a Bradford adaptation from the file's neutral to D65 when they
differ (as OpenEXR's ``AcesInputFile`` adapts to the ACES white), then XYZ to
Rec.709.

The neutral is the file's ``adoptedNeutral`` when it has one, else its white,
except for a file whose primaries are the CIE X, Y, Z axes: its white (1/3, 1/3)
follows from the axes and says nothing of the scene, since CIE XYZ is absolute.
Such a file is taken as XYZ seen under D65 (what OCIO configs call
``CIE XYZ-D65``), so it looks the same as the Rec.709 file it was made from.
docs/decisions/chromaticities.md says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import numpy as np

#: (red x, y, green x, y, blue x, y, white x, y), the order of the EXR attribute.
Chromaticities = tuple[float, float, float, float, float, float, float, float]

D65 = (0.3127, 0.3290)
REC709: Chromaticities = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, *D65)
CIE_XYZ: Chromaticities = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0 / 3.0, 1.0 / 3.0)

#: Chromaticities with a name people know, for saying what a file was taken as.
KNOWN: dict[str, Chromaticities] = {
    "Rec.709": REC709,
    "ACEScg (AP1)": (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767),
    "ACES2065-1 (AP0)": (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767),
    "P3-D65": (0.680, 0.320, 0.265, 0.690, 0.150, 0.060, *D65),
    "Rec.2020": (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, *D65),
    "CIE XYZ": CIE_XYZ,
}

#: Two chromaticities closer than this (in x and y) are the same: files store float32
#: and writers round (0.3127 vs 0.31270). A matrix this close to identity is identity.
TOLERANCE = 5e-4

#: Bradford's cone response matrix (XYZ -> LMS), as in OpenEXR and Lindbloom.
_BRADFORD = np.array(
    [
        [0.8951, 0.2664, -0.1614],
        [-0.7502, 1.7135, 0.0367],
        [0.0389, -0.0685, 1.0296],
    ]
)


class BadChromaticities(ValueError):
    """The attribute cannot describe an RGB space: wrong count, not finite, degenerate."""


def parse(value: object) -> Chromaticities:
    """The attribute's value as eight floats, or ``BadChromaticities`` saying why not."""
    try:
        numbers = tuple(float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise BadChromaticities(f"chromaticities {value!r} are not numbers") from None
    if len(numbers) != 8:
        raise BadChromaticities(f"chromaticities have {len(numbers)} numbers, not 8")
    if not all(np.isfinite(numbers)):
        raise BadChromaticities(f"chromaticities {_short(numbers)} are not finite")
    chroma: Chromaticities = numbers
    rgb_to_xyz(chroma)  # degenerate primaries or a white with y = 0 raise here
    return chroma


def same(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two chromaticities (or two (x, y) points) agree within ``TOLERANCE``."""
    return len(a) == len(b) and all(abs(x - y) <= TOLERANCE for x, y in zip(a, b))


def name_of(chroma: Sequence[float]) -> Optional[str]:
    """The known name of these primaries and white (``"ACEScg (AP1)"``), else None."""
    return next((name for name, known in KNOWN.items() if same(chroma, known)), None)


def describe(chroma: Sequence[float]) -> str:
    """A name, else the numbers: ``"r 0.68,0.32 g 0.265,0.69 b 0.15,0.06 w 0.3127,0.329"``."""
    known = name_of(chroma)
    if known is not None:
        return known
    pairs = [chroma[i : i + 2] for i in range(0, 8, 2)]
    return " ".join(f"{k} {x:.4g},{y:.4g}" for k, (x, y) in zip("rgbw", pairs))


def is_xyz(chroma: Sequence[float]) -> bool:
    """Whether the primaries are the CIE X, Y, Z axes (red (1, 0), green (0, 1), blue (0, 0))."""
    return same(chroma[:6], CIE_XYZ[:6])


def rgb_to_xyz(chroma: Sequence[float]) -> np.ndarray:
    """The 3x3 matrix from RGB in ``chroma`` to CIE XYZ, RGB 1, 1, 1 going to the white, Y = 1.

    OpenEXR's ``RGBtoXYZ(chroma, 1)`` (Hall 1989; Poynton 1996), as column vectors.
    """
    (rx, ry), (gx, gy), (bx, by), (wx, wy) = (chroma[i : i + 2] for i in range(0, 8, 2))
    if abs(wy) < 1e-9:
        raise BadChromaticities(f"chromaticities {_short(chroma)}: the white has y = 0")
    white = np.array([wx / wy, 1.0, (1.0 - wx - wy) / wy])
    primaries = np.array([[rx, gx, bx], [ry, gy, by], [1 - rx - ry, 1 - gx - gy, 1 - bx - by]])
    if abs(np.linalg.det(primaries)) < 1e-9:
        raise BadChromaticities(
            f"chromaticities {_short(chroma)}: the primaries lie on one line (no RGB space)"
        )
    scale = np.linalg.solve(primaries, white)
    return primaries * scale[np.newaxis, :]


def bradford(source: Sequence[float], target: Sequence[float]) -> np.ndarray:
    """The 3x3 XYZ -> XYZ matrix adapting white ``source`` (x, y) to white ``target``."""
    if same(source, target):
        return np.eye(3)
    src = _bradford_white(source)
    dst = _bradford_white(target)
    ratio = (_BRADFORD @ dst) / (_BRADFORD @ src)
    return np.linalg.inv(_BRADFORD) @ np.diag(ratio) @ _BRADFORD


def to_rec709(chroma: Sequence[float], neutral: Optional[Sequence[float]] = None) -> np.ndarray:
    """The 3x3 matrix from RGB in ``chroma`` to linear Rec.709 (D65) (see the module doc).

    ``neutral`` is the file's ``adoptedNeutral`` (x, y), if it has one.
    """
    if neutral is None:
        neutral = D65 if is_xyz(chroma) else chroma[6:8]
    matrix = np.linalg.inv(rgb_to_xyz(REC709)) @ bradford(neutral, D65) @ rgb_to_xyz(chroma)
    return matrix


def is_identity(matrix: np.ndarray) -> bool:
    """Whether ``matrix`` changes no value by more than ~1e-4 of itself."""
    return bool(np.abs(np.asarray(matrix, dtype=np.float64) - np.eye(3)).max() <= 1e-4)


def _bradford_white(xy: Sequence[float]) -> np.ndarray:
    x, y = float(xy[0]), float(xy[1])
    if abs(y) < 1e-9:
        raise BadChromaticities(f"a white point with y = 0 ({x:g}, {y:g})")
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def _short(numbers: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in numbers) + ")"
