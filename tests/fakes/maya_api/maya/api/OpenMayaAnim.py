"""A FAKE of ``maya.api.OpenMayaAnim`` (API 2.0): MAnimControl, for tests only."""

from __future__ import annotations

from .._fake import state
from .OpenMaya import MTime


class MAnimControl:
    """The time slider: current time, range, playback."""

    @staticmethod
    def currentTime() -> MTime:
        state.check_thread("MAnimControl.currentTime")
        return MTime(state.time)

    @staticmethod
    def setCurrentTime(time: MTime) -> None:
        state.check_thread("MAnimControl.setCurrentTime")
        state.set_time(time.value)

    @staticmethod
    def minTime() -> MTime:
        state.check_thread("MAnimControl.minTime")
        return MTime(state.min_time)

    @staticmethod
    def maxTime() -> MTime:
        state.check_thread("MAnimControl.maxTime")
        return MTime(state.max_time)

    @staticmethod
    def isPlaying() -> bool:
        state.check_thread("MAnimControl.isPlaying")
        return state.playing

    @staticmethod
    def isScrubbing() -> bool:
        state.check_thread("MAnimControl.isScrubbing")
        return False

    @staticmethod
    def playForward() -> None:
        state.check_thread("MAnimControl.playForward")
        state.set_playing(True)

    @staticmethod
    def stop() -> None:
        state.check_thread("MAnimControl.stop")
        state.set_playing(False)
