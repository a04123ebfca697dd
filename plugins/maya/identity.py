"""What a note is about, in Maya: a DAG object named by its UUID, labelled with its path.

Maya gives every node a UUID (``cmds.ls(path, uuid=True)``), kept when the node is renamed
or reparented and saved with the scene; ``cmds.ls(uuid)`` finds the node again. So a note's
``HostObject.path`` is the UUID (the stable id) and ``label`` the full DAG path when the note
was made (for people). Duplicating a node gives the copy a new UUID; a referenced node keeps
the UUID of its file, so two references of one rig share UUIDs: the first match wins.
"""

from __future__ import annotations

from typing import Optional

from overshoulder.core.model import HostObject

from . import scene
from .defaults import KIND


def host_object(path: str) -> Optional[HostObject]:
    """The HostObject of the DAG object at ``path``; None when it has no UUID (gone)."""
    uid = scene.uuid_of(path)
    if uid is None:
        return None
    return HostObject(kind=KIND, path=uid, label=path)


def find(obj: HostObject) -> Optional[str]:
    """The full DAG path of the object ``obj`` names now; None when it is gone."""
    if obj.kind != KIND:
        return None
    return scene.path_of(obj.path)  # cmds.ls takes a UUID or a path
