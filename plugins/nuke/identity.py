"""Stable node ids: a UUID in a hidden knob, so a note's node survives renames.

A node gets its id the first time a note is about it. Nodes inside Groups are
found too (the lookup lists the whole script, ``graph.all_nodes``), so a note about
``Group1.Grade1`` finds its node after the Group or the node is renamed. Copy and paste copies
hidden knobs too, so two nodes may then carry one id: the lookup finds such
pairs and gives the later node in the script (the copy: Nuke lists nodes in the
order they were made) a new id, and drops the notes it copied, which belong to
the original.
"""

from __future__ import annotations

import logging
import uuid
from typing import Optional

import nuke

from overshoulder.core.model import HostObject

from .defaults import ID_KNOB, NOTES_KNOB
from .graph import all_nodes, hidden_text, set_hidden_text, undo_disabled

log = logging.getLogger("overshoulder.nuke")

#: ``HostObject.kind`` of a Nuke node.
KIND = "nuke.node"


def node_id(node: nuke.Node, create: bool = True) -> Optional[str]:
    """``node``'s stable id; made (and kept in the hidden knob) when ``create`` and missing."""
    known = hidden_text(node, ID_KNOB)
    if known:
        return known
    if not create:
        return None
    made = str(uuid.uuid4())
    with undo_disabled():
        set_hidden_text(node, ID_KNOB, made)
    return made


def host_object(node: nuke.Node) -> HostObject:
    """What a note is about: the node's stable id, labelled with its current full name."""
    node_id_ = node_id(node)
    assert node_id_ is not None
    return HostObject(kind=KIND, path=node_id_, label=node.fullName())


def find(wanted: str) -> Optional[nuke.Node]:
    """The node whose id is ``wanted`` (None when it is gone); duplicates are fixed first."""
    holders = [n for n in all_nodes() if hidden_text(n, ID_KNOB) == wanted]
    if not holders:
        return None
    if len(holders) > 1:
        _split(holders)
    return holders[0]


def fix_duplicates() -> int:
    """Give every copied node its own id; how many were given one."""
    by_id: dict[str, list[nuke.Node]] = {}
    for n in all_nodes():
        known = hidden_text(n, ID_KNOB)
        if known:
            by_id.setdefault(known, []).append(n)
    fixed = 0
    for holders in by_id.values():
        if len(holders) > 1:
            fixed += _split(holders)
    return fixed


def _split(holders: list[nuke.Node]) -> int:
    """The first node keeps the id; each later one (a copy) gets a new id and no notes."""
    with undo_disabled():
        for copy in holders[1:]:
            log.info("%s is a copy of %s: it gets an id of its own", copy.name(), holders[0].name())
            set_hidden_text(copy, ID_KNOB, str(uuid.uuid4()))
            set_hidden_text(copy, NOTES_KNOB, None)
    return len(holders) - 1
