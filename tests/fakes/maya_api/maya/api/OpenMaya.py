"""A FAKE of ``maya.api.OpenMaya`` (API 2.0): messages, MTime and MImage, for tests only."""

from __future__ import annotations

import ctypes
from typing import Any, Callable, Optional

from .._fake import TIME_UNITS, state
from ..cmds import VOCABULARY

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
            # The exception class and wording are assumed (docs/maya.md).
            raise RuntimeError(f"(kInvalidParameter): Object does not exist: {eventName}")
        return state.add_event(eventName, function, clientData)

    @staticmethod
    def getEventNames() -> list[str]:
        """The events of the vocabulary (tests/fakes/maya_vocabulary.py), each sourced."""
        return sorted(VOCABULARY.names("event"))


class MConditionMessage(MMessage):
    """Named conditions; ``function(state, clientData)`` runs when one turns on or off
    (types-maya maya-stubs/api/OpenMaya.pyi: addConditionCallback)."""

    @staticmethod
    def addConditionCallback(
        conditionName: str, function: Callable[[bool, Any], None], clientData: Any = None
    ) -> int:
        state.check_thread("MConditionMessage.addConditionCallback")
        if conditionName not in MConditionMessage.getConditionNames():
            raise RuntimeError(f"(kInvalidParameter): Object does not exist: {conditionName}")
        return state.add_condition(conditionName, function, clientData)

    @staticmethod
    def getConditionNames() -> list[str]:
        return sorted(VOCABULARY.names("condition"))


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
    """An image in memory: ``pixels()`` is the address of tightly packed RGBA bytes.

    ``create(w, h, 4, kFloat)`` makes a float image (the Viewport 2.0 recipe of
    stackoverflow question 44953145); ``pixelType()`` says which, ``convertPixelFormat(kByte)``
    turns floats (0..1) into bytes. The constants' values are the fake's (the adapter only
    compares with them).
    """

    kUnknown = 0
    kByte = 1
    kFloat = 2

    def __init__(self) -> None:
        self._size = (0, 0)
        self._buffer: Optional[ctypes.Array[ctypes.c_ubyte]] = None
        self._floats: Optional[Any] = None
        self._type = MImage.kByte

    def create(self, width: int, height: int, channels: int = 4, type: int = 1) -> MImage:
        if channels != 4 or type not in (MImage.kByte, MImage.kFloat):
            raise RuntimeError("(kInvalidParameter): the fake makes 4-channel kByte/kFloat images")
        self._type = type
        if type == MImage.kFloat:
            import numpy as np

            self._set_floats(np.zeros((height, width, 4), np.float32))
        else:
            self._set(bytes(width * height * 4), width, height)
        return self

    def _set(self, data: bytes, width: int, height: int) -> None:
        self._buffer = (ctypes.c_ubyte * len(data)).from_buffer_copy(data)
        self._floats = None
        self._size = (width, height)

    def _set_floats(self, rgba: Any) -> None:
        self._floats = rgba
        self._buffer = None
        self._size = (int(rgba.shape[1]), int(rgba.shape[0]))

    def _fill(self, rgba: Any) -> None:
        """What readColorBuffer writes: bytes, or floats when the image was made as floats."""
        if self._type == MImage.kFloat:
            self._set_floats(rgba.astype("float32") / 255.0)
        else:
            self._set(rgba.tobytes(), int(rgba.shape[1]), int(rgba.shape[0]))

    def pixelType(self) -> int:
        return state.image_pixel_type if state.image_pixel_type is not None else self._type

    def convertPixelFormat(self, type: int, scale: float = 1.0) -> MImage:
        import numpy as np

        if type != MImage.kByte:
            raise RuntimeError("(kInvalidParameter): the fake converts to kByte only")
        if self._floats is not None:
            data = np.round(np.clip(self._floats * scale, 0.0, 1.0) * 255).astype(np.uint8)
            self._set(data.tobytes(), *self._size)
        self._type = MImage.kByte
        return self

    def getSize(self) -> list[int]:
        return list(self._size)

    def isRGBA(self) -> bool:
        return True

    def depth(self) -> int:
        return 4 if self._type == MImage.kByte else 16

    def pixels(self) -> int:
        if self._buffer is None:
            raise RuntimeError("(kFailure): the image holds no byte pixels")
        return ctypes.addressof(self._buffer)

    def release(self) -> MImage:
        self._buffer = None
        self._floats = None
        self._size = (0, 0)
        return self
