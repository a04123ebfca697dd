"""A FAKE of ``maya.api.OpenMaya`` (API 2.0): messages, MTime and MImage, for tests only."""

from __future__ import annotations

import ctypes
from typing import Any, Callable, Optional

from .._fake import TIME_UNITS, state

#: MTime units the fake knows (``MTime.k24FPS`` ...), and their frames per second.
_UNITS = {6: 24.0, 7: 25.0, 8: 30.0, 9: 48.0, 10: 50.0, 11: 60.0, 5: 15.0}


class MMessage:
    """Callback ids are plain ints here; ``removeCallback`` raises for an unknown id."""

    @staticmethod
    def removeCallback(cid: int) -> None:
        state.check_thread("MMessage.removeCallback")
        state.remove_callback(cid)

    @staticmethod
    def removeCallbacks(ids: list[int]) -> None:
        for cid in ids:
            MMessage.removeCallback(cid)


class MEventMessage(MMessage):
    """Named events; ``function(clientData)`` runs on the main thread when the event fires."""

    @staticmethod
    def addEventCallback(
        eventName: str, function: Callable[[Any], None], clientData: Any = None
    ) -> int:
        state.check_thread("MEventMessage.addEventCallback")
        if eventName not in MEventMessage.getEventNames():
            raise RuntimeError(f"(kInvalidParameter): Object does not exist: {eventName}")
        return state.add_event(eventName, function, clientData)

    @staticmethod
    def getEventNames() -> list[str]:
        return [
            "timeChanged",
            "SelectionChanged",
            "playbackRangeChanged",
            "timeUnitChanged",
            "playingBack",
            "cameraChange",
            "ModelPanelSetFocus",
            "ActiveViewChanged",
            "NameChanged",
            "DagObjectParented",
            "SceneOpened",
            "NewSceneOpened",
            "Undo",
            "Redo",
        ]


class MTime:
    """A time: ``value`` in ``unit`` (defaulting to the UI unit, as in Maya)."""

    kInvalid = 0
    k15FPS = 5
    k24FPS = 6
    k25FPS = 7
    k30FPS = 8
    k48FPS = 9
    k50FPS = 10
    k60FPS = 11

    def __init__(self, value: float = 0.0, unit: Optional[int] = None) -> None:
        self.value = float(value)
        self.unit = MTime.uiUnit() if unit is None else unit

    @staticmethod
    def uiUnit() -> int:
        fps = TIME_UNITS.get(state.unit)
        for unit, rate in _UNITS.items():
            if fps == rate:
                return unit
        return 0  # a rate MTime has no constant for in the fake: frames as they are

    def asUnits(self, unit: int) -> float:
        if unit == self.unit or 0 in (unit, self.unit):
            return self.value
        return self.value * _UNITS[unit] / _UNITS[self.unit]


class MImage:
    """An image in memory: ``pixels()`` is the address of tightly packed RGBA bytes."""

    kByte = 1

    def __init__(self) -> None:
        self._size = (0, 0)
        self._buffer: Optional[ctypes.Array[ctypes.c_ubyte]] = None

    def create(self, width: int, height: int, channels: int = 4, type: int = 1) -> MImage:
        self._set(bytes(width * height * 4), width, height)
        return self

    def _set(self, data: bytes, width: int, height: int) -> None:
        self._buffer = (ctypes.c_ubyte * len(data)).from_buffer_copy(data)
        self._size = (width, height)

    def getSize(self) -> list[int]:
        return list(self._size)

    def isRGBA(self) -> bool:
        return True

    def depth(self) -> int:
        return 4

    def pixels(self) -> int:
        if self._buffer is None:
            raise RuntimeError("(kFailure): the image holds no pixels")
        return ctypes.addressof(self._buffer)

    def release(self) -> MImage:
        self._buffer = None
        self._size = (0, 0)
        return self
