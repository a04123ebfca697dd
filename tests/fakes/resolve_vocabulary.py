"""What DaVinci Resolve's scripting API accepts, each name with where it was found.

One list serves twice: the fake Resolve (``tests/fakes/resolve_api/fusionscript.py``)
refuses every method, page, marker colour, setting and constant that is not here, the way
Resolve refuses it, and ``tests/plugins/test_vocabulary_literals.py`` reads the adapter's
source (``literal_uses``) and fails on any literal it passes Resolve that is not here.

Sources:

- ``README``: Blackmagic's scripting README as shipped with Resolve 20.3.2 ("Last Updated:
  7 Oct 2025"), vendored by AYON: ynput/ayon-resolve at
  ba25312212a302e0e9bdd75595bad8ee3ceb64f9, client/ayon_resolve/RESOLVE_API_v20.3.2-build9.txt,
  line numbers as given.
- ``STUBS``: fusionscript-stubs 21.0.0 (czukowski/fusionscript-stubs on PyPI and GitHub),
  fusionscript-stubs/fusionscript.pyi, line numbers as given.

How Resolve refuses (what the fake does for a name not listed):

- a method or constant a Resolve object does not have reads as None, so calling it raises
  ``TypeError: 'NoneType' object is not callable`` (a script calling
  ``project.delete_all_render_jobs()`` from Fusion/Scripts/Utility got exactly that:
  creatubers/autosubsdavinci issue 3; AYON tests ``bmdvr.EXPORT_OTIO is None`` for a Resolve
  without the constant: ynput/ayon-resolve client/ayon_resolve/api/lib.py:1097);
- ``OpenPage``, ``AddMarker``, ``SetCurrentTimecode``, ``SetSetting``, ``Export`` and
  ``ExportCurrentFrameAsStill`` answer False (README: each "--> Bool"). That ``AddMarker``
  answers False for a duration past its clip's length: pydavinci's wrapper says so when it
  fails (pedrolabonia/pydavinci at 1a9320fa53bab6c6eb82ec6679234a389862f54a,
  pydavinci/wrappers/marker.py, ``MarkerCollection.add``); the other inputs that give False
  are assumed (docs/resolve.md);
- ``GetSetting`` with a key Resolve does not know answers "" ("getting a property using an
  invalid key will return a trivial result", README:630; "" is assumed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tests.fakes.vocabulary import ConstantResolver, Source, Use, Vocabulary, calls

README = "ynput/ayon-resolve@ba25312 client/ayon_resolve/RESOLVE_API_v20.3.2-build9.txt"
STUBS = "fusionscript-stubs 21.0.0 fusionscript-stubs/fusionscript.pyi"


def _readme(line: int, note: str = "") -> Source:
    return Source(f"{README}:{line}", note)


def _stubs(line: int, note: str = "") -> Source:
    return Source(f"{STUBS}:{line}", note)


#: Methods per class, as the README lists them in that class's section (line of each).
METHODS: dict[str, dict[str, int]] = {
    "Resolve": {
        "GetProjectManager": 88,
        "OpenPage": 89,
        "GetCurrentPage": 90,
        "GetProductName": 91,
        "GetVersion": 92,
        "GetVersionString": 93,
    },
    "ProjectManager": {"GetCurrentProject": 118},
    "Project": {
        "GetMediaPool": 150,
        "GetTimelineCount": 151,
        "GetTimelineByIndex": 152,
        "GetCurrentTimeline": 153,
        "SetCurrentTimeline": 154,
        "GetName": 156,
        "GetSetting": 183,
        "GetUniqueId": 193,
        "ExportCurrentFrameAsStill": 197,
    },
    "MediaPool": {
        "GetRootFolder": 215,
        "AddSubFolder": 216,
        "CreateEmptyTimeline": 218,
        "AppendToTimeline": 221,
        "DeleteTimelines": 231,
        "GetCurrentFolder": 232,
        "SetCurrentFolder": 233,
        "DeleteClips": 234,
        "DeleteFolders": 237,
        "ImportMedia": 246,
    },
    "Folder": {"GetClipList": 260, "GetName": 261, "GetUniqueId": 264},
    "MediaPoolItem": {
        "GetName": 270,
        "AddMarker": 281,
        "GetMarkers": 283,
        "GetMarkerByCustomData": 286,
        "UpdateMarkerCustomData": 287,
        "GetMarkerCustomData": 288,
        "DeleteMarkersByColor": 289,
        "DeleteMarkerAtFrame": 290,
        "DeleteMarkerByCustomData": 291,
        "GetClipProperty": 298,
        "GetUniqueId": 306,
    },
    "Timeline": {
        "GetName": 317,
        "GetStartFrame": 319,
        "GetEndFrame": 320,
        "GetStartTimecode": 322,
        "GetTrackCount": 323,
        "DeleteClips": 348,
        "GetItemListInTrack": 350,
        "AddMarker": 351,
        "GetMarkers": 353,
        "GetMarkerByCustomData": 355,
        "UpdateMarkerCustomData": 356,
        "GetMarkerCustomData": 357,
        "DeleteMarkersByColor": 358,
        "DeleteMarkerAtFrame": 359,
        "DeleteMarkerByCustomData": 360,
        "GetCurrentTimecode": 361,
        "SetCurrentTimecode": 362,
        "GetCurrentVideoItem": 363,
        "Export": 382,
        "GetSetting": 384,
        "SetSetting": 385,
        "GetUniqueId": 394,
    },
    "TimelineItem": {
        "GetName": 413,
        "GetDuration": 415,
        "GetEnd": 416,
        "GetLeftOffset": 423,
        "GetStart": 425,
        "GetSourceStartFrame": 426,
        "AddMarker": 432,
        "GetMarkers": 434,
        "GetMarkerByCustomData": 436,
        "UpdateMarkerCustomData": 437,
        "GetMarkerCustomData": 438,
        "DeleteMarkersByColor": 439,
        "DeleteMarkerAtFrame": 440,
        "DeleteMarkerByCustomData": 441,
        "GetMediaPoolItem": 460,
        "GetUniqueId": 477,
    },
}

_TERMS: dict[str, dict[str, Source]] = {
    f"method:{cls}": {name: _readme(line, f"{cls} section") for name, line in names.items()}
    for cls, names in METHODS.items()
}
# Fusion's ``app``, which Resolve hands a script it runs from Workspace > Scripts.
_TERMS["method:App"] = {
    "GetResolve": Source(
        "ynput/ayon-resolve client/ayon_resolve/api/pipeline.py:91",
        "self._app.GetResolve() inside Resolve's own Python",
    )
}
# Any method of any class: what ``literal_uses`` checks an attribute call against (it cannot
# tell which Resolve object a call is made on).
_TERMS["method"] = {
    name: source
    for category, names in list(_TERMS.items())
    for name, source in names.items()
    if category.startswith("method:")
}
_TERMS["constant:Resolve"] = {
    "EXPORT_OTIO": _readme(819, "Timeline.Export exportType"),
    "EXPORT_NONE": _readme(823, "Timeline.Export exportSubtype"),
}
_TERMS["page"] = {
    name: _readme(89, "OpenPage input; GetCurrentPage answers these or None (line 90)")
    for name in ("media", "cut", "edit", "fusion", "color", "fairlight", "deliver")
}
_TERMS["marker_color"] = {
    name: _stubs(20, "ColorSet2, the MarkerColor of AddMarker (line 24)")
    for name in (
        "Blue",
        "Cyan",
        "Green",
        "Yellow",
        "Red",
        "Pink",
        "Purple",
        "Fuchsia",
        "Rose",
        "Lavender",
        "Sky",
        "Mint",
        "Lemon",
        "Sand",
        "Cocoa",
        "Cream",
    )
}
_TERMS["setting"] = {
    "timelineFrameRate": _readme(643, "'29.97 DF' enables drop frame"),
    "timelineDropFrameTimecode": Source(
        "akarcode/DaVinciResolveProjectSettings@e02fdcf davinci-master-settings.html",
        "Resolve 20 project settings mapped to scripting keys: 'timelineDropFrameTimecode bool'",
    ),
    "timelineResolutionWidth": Source(
        "akarcode/DaVinciResolveProjectSettings@e02fdcf davinci-master-settings.html",
        "'timelineResolutionWidth string'",
    ),
    "timelineResolutionHeight": Source(
        "akarcode/DaVinciResolveProjectSettings@e02fdcf davinci-master-settings.html",
        "'timelineResolutionHeight string'",
    ),
}
_TERMS["track_type"] = {
    name: _readme(323, "GetTrackCount(trackType)") for name in ("audio", "video", "subtitle")
}
_TERMS["still_format"] = {
    name: _stubs(
        26,
        "GalleryStillExportFormat; ExportCurrentFrameAsStill says only 'filePath must end in "
        "valid export file format' (README:197): the same list is assumed",
    )
    for name in ("dpx", "cin", "tif", "jpg", "png", "ppm", "bmp", "xpm")
}

VOCABULARY = Vocabulary("resolve", _TERMS)

#: Calls whose first argument is a page, a setting key or a track type.
_FIRST_ARGUMENT = {
    "OpenPage": "page",
    "GetSetting": "setting",
    "SetSetting": "setting",
    "GetTrackCount": "track_type",
    "GetItemListInTrack": "track_type",
}
#: Module-level constants of the adapter, by how their name ends, and what they hold.
_CONSTANT_SUFFIXES = (
    ("_COLOUR", "marker_color"),
    ("_COLOURS", "marker_color"),
    ("_PAGE", "page"),
    ("_PAGES", "page"),
    ("_STILL_FORMAT", "still_format"),
)


def literal_uses(tree: ast.Module, module: str, resolver: ConstantResolver) -> Iterator[Use]:
    """Every literal one adapter module passes Resolve, as a ``Use`` to look up.

    - a method called on any object that is not a module the file imports (``x.GetName()``;
      ``otio.schema.Clip(...)`` and ``QtCore.QTimer(...)`` are not Resolve's): category
      ``method`` when its name starts with a capital, as every Resolve method does;
    - the colour of ``AddMarker``; the first argument of ``OpenPage``, ``GetSetting``,
      ``SetSetting``, ``GetTrackCount``, ``GetItemListInTrack``;
    - a page a ``GetCurrentPage()`` answer is compared with (``==``, ``!=``, ``in``);
    - ``resolve.EXPORT_*`` (category ``constant:Resolve``);
    - module-level constants named ``*_COLOUR(S)`` (marker colours), ``*_PAGE(S)`` (pages)
      and ``*_STILL_FORMAT``, whose strings reach Resolve through the code that uses them.
    """
    imported = _imported_names(tree)
    for call in calls(tree):
        func = call.func
        if not isinstance(func, ast.Attribute) or not func.attr[:1].isupper():
            continue
        if _root(func.value) in imported:
            continue
        yield Use("method", func.attr, module, call.lineno)
        if func.attr == "AddMarker" and len(call.args) > 1:
            for name in resolver.strings(_uncast(call.args[1]), module):
                yield Use("marker_color", name, module, call.lineno)
        category = _FIRST_ARGUMENT.get(func.attr)
        if category is not None and call.args:
            for name in resolver.strings(call.args[0], module):
                yield Use(category, name, module, call.lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("EXPORT_"):
            yield Use("constant:Resolve", node.attr, module, node.lineno)
        elif isinstance(node, ast.Compare) and _asks_page(node):
            for other in node.comparators:
                for name in _strings(other, module, resolver):
                    yield Use("page", name, module, node.lineno)
    for stmt in tree.body:
        target, value = _assignment(stmt)
        if target is None or value is None:
            continue
        for suffix, category in _CONSTANT_SUFFIXES:
            if target.endswith(suffix):
                for name in _strings(value, module, resolver):
                    yield Use(category, name, module, stmt.lineno)


def _imported_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def _root(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _uncast(node: ast.AST) -> ast.AST:
    """``cast("MarkerColor", x)`` -> ``x``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "cast"
        and len(node.args) == 2
    ):
        return node.args[1]
    return node


def _asks_page(node: ast.Compare) -> bool:
    left = node.left
    return (
        isinstance(left, ast.Call)
        and isinstance(left.func, ast.Attribute)
        and left.func.attr == "GetCurrentPage"
    )


def _strings(node: ast.AST, module: str, resolver: ConstantResolver) -> list[str]:
    """Strings of a constant, a tuple / list / set, or ``frozenset({...})``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("frozenset", "set", "tuple")
        and len(node.args) == 1
    ):
        return _strings(node.args[0], module, resolver)
    if isinstance(node, ast.Set):
        return [s for e in node.elts for s in resolver.strings(e, module)]
    return resolver.strings(node, module)


def _assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            return target.id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None
