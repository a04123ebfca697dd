"""A FAKE of ``nuke.rotopaint`` (Nuke's Roto/RotoPaint Python API), for tests.

Written from Foundry's public "Roto and RotoPaint" documentation and the names
the Nuke 15.0v1 stubs export (``Layer, Shape, Stroke, Element, CurveKnob,
ShapeControlPoint`` from ``_curveknob``; ``AnimControlPoint``,
``AnimAttributes``, ``CVec2`` from ``_curvelib``), not from Foundry's code.
A stroke holds control points; its attributes (``ltt``, ``ltn``, ``ltm``,
``r``, ``g``, ``b``, ``a``, ``bs``, ...) are plain values per name here, where
Nuke animates them.
"""

from __future__ import annotations

from typing import Any, Optional

from . import CurveKnob

__all__ = [
    "AnimAttributes",
    "AnimControlPoint",
    "CVec2",
    "CurveKnob",
    "Element",
    "Layer",
    "Shape",
    "ShapeControlPoint",
    "Stroke",
]


class CVec2:
    def __init__(self, x: float = 0.0, y: float = 0.0) -> None:
        self.x, self.y = float(x), float(y)

    def __repr__(self) -> str:
        return f"CVec2({self.x}, {self.y})"


class AnimControlPoint:
    """A point of a stroke; ``getPosition(t)`` gives its ``CVec2``."""

    def __init__(self, x: float = 0.0, y: float = 0.0, *args: Any) -> None:
        self._pos = CVec2(x, y)

    def getPosition(self, time: float = 0.0, view: Any = None) -> CVec2:
        return self._pos


class ShapeControlPoint:
    """A point of a Bezier shape: center plus feather (left/right tangents not faked)."""

    def __init__(self, x: float = 0.0, y: float = 0.0, *args: Any) -> None:
        self.center = AnimControlPoint(x, y)
        self.featherCenter = AnimControlPoint(x, y)


class AnimAttributes:
    """Named attributes of an element (``ltt``, ``ltn``, ``ltm``, colour, brush size)."""

    def __init__(self) -> None:
        self._values: dict[str, float] = {}

    def set(self, *args: Any) -> None:
        """``set(name, value)`` or ``set(time, name, value)``."""
        if len(args) == 2:
            name, value = args
        elif len(args) == 3:
            _, name, value = args
        else:
            raise TypeError("set(name, value) or set(time, name, value)")
        self._values[str(name)] = float(value)

    def getValue(self, time: float, name: str, view: Any = None) -> float:
        if name not in self._values:
            raise KeyError(f"no attribute {name!r}")
        return self._values[name]


class Element:
    """What a layer holds: a name, attributes, locked."""

    def __init__(self, curves: Optional[CurveKnob] = None, *args: Any) -> None:
        self.name = ""
        self.locked = False
        self._curves = curves
        self._attrs = AnimAttributes()

    def getAttributes(self) -> AnimAttributes:
        return self._attrs


class Stroke(Element):
    """A paint stroke: a list of ``AnimControlPoint``."""

    def __init__(self, curves: Optional[CurveKnob] = None, *args: Any) -> None:
        super().__init__(curves)
        self._points: list[AnimControlPoint] = []

    def append(self, point: AnimControlPoint) -> None:
        if not isinstance(point, AnimControlPoint):
            raise TypeError("a Stroke holds AnimControlPoint")
        self._points.append(point)

    def __len__(self) -> int:
        return len(self._points)

    def __getitem__(self, i: int) -> AnimControlPoint:
        return self._points[i]

    def __iter__(self) -> Any:
        return iter(self._points)


class Shape(Element):
    """A Bezier shape: a list of ``ShapeControlPoint``."""

    def __init__(self, curves: Optional[CurveKnob] = None, *args: Any) -> None:
        super().__init__(curves)
        self._points: list[ShapeControlPoint] = []

    def append(self, point: ShapeControlPoint) -> None:
        if not isinstance(point, ShapeControlPoint):
            raise TypeError("a Shape holds ShapeControlPoint")
        self._points.append(point)

    def __len__(self) -> int:
        return len(self._points)

    def __getitem__(self, i: int) -> ShapeControlPoint:
        return self._points[i]

    def __iter__(self) -> Any:
        return iter(self._points)


class Layer(Element):
    """A layer: an ordered list of elements (strokes, shapes, layers)."""

    def __init__(self, curves: Optional[CurveKnob] = None, *args: Any) -> None:
        super().__init__(curves)
        self._items: list[Element] = []

    def append(self, element: Element) -> None:
        if not isinstance(element, Element):
            raise TypeError("a Layer holds Stroke, Shape or Layer")
        self._items.append(element)

    def remove(self, index_or_element: Any) -> None:
        if isinstance(index_or_element, int):
            del self._items[index_or_element]
        else:
            self._items.remove(index_or_element)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i: int) -> Element:
        return self._items[i]

    def __iter__(self) -> Any:
        return iter(list(self._items))

    def _dump(self) -> list[dict[str, Any]]:
        out = []
        for e in self._items:
            entry: dict[str, Any] = {"kind": type(e).__name__, "name": e.name}
            entry["attrs"] = dict(e._attrs._values)
            if isinstance(e, Layer):
                entry["items"] = e._dump()
            elif isinstance(e, Stroke):
                entry["points"] = [[p._pos.x, p._pos.y] for p in e]
            elif isinstance(e, Shape):
                entry["points"] = [[p.center._pos.x, p.center._pos.y] for p in e]
            out.append(entry)
        return out

    def _load(self, data: list[dict[str, Any]]) -> None:
        for entry in data:
            element: Element
            if entry["kind"] == "Layer":
                element = Layer(self._curves)
                element._load(entry.get("items", []))
            elif entry["kind"] == "Stroke":
                element = Stroke(self._curves)
                for x, y in entry["points"]:
                    element.append(AnimControlPoint(x, y))
            else:
                element = Shape(self._curves)
                for x, y in entry["points"]:
                    element.append(ShapeControlPoint(x, y))
            element.name = entry["name"]
            element._attrs._values.update(entry["attrs"])
            self._items.append(element)
