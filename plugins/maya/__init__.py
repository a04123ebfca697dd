"""The Maya adapter: the Host contract on maya.cmds and the Maya API, and its startup.

``MayaHost`` (``host``) is the adapter; ``notes`` keeps notes in the scene, ``sketches``
turns their marks into Blue/Grease Pencil frames, ``callouts`` their words into
annotationShapes; ``startup`` is what the module's userSetup.py imports; ``panel`` is the
dockable panel (Qt); ``selftest`` checks every call in a real Maya. Importing this package
imports nothing of Maya or Qt; submodules load on first use, so a batch render pays for
nothing it does not run.
"""

from __future__ import annotations

from typing import Any

from overshoulder.core.lazy import lazy_attributes

__all__ = ["MayaHost"]

_SUBMODULES = frozenset(
    (
        "callouts",
        "capture",
        "defaults",
        "host",
        "identity",
        "notes",
        "panel",
        "scene",
        "selftest",
        "sketches",
        "startup",
        "timeunits",
        "viewer",
    )
)


_attribute = lazy_attributes(__name__, {"MayaHost": "host"}, _SUBMODULES)


def __getattr__(name: str) -> Any:
    return _attribute(name)
