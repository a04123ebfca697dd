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
- ``STUBS``: the fusionscript-stubs package, version 21.0.0 as published on PyPI
  (``pip download fusionscript-stubs==21.0.0``; its home page is
  github.com/czukowski/fusionscript-stubs), file fusionscript-stubs/fusionscript.pyi, line
  numbers as given.

How Resolve refuses (what the fake does for a name not listed):

- a method or constant a Resolve object does not have reads as None, so calling it raises
  ``TypeError: 'NoneType' object is not callable`` (a script calling
  ``project.delete_all_render_jobs()`` from Fusion/Scripts/Utility got exactly that:
  https://github.com/creatubers/autosubsdavinci/issues/3; AYON tests ``bmdvr.EXPORT_OTIO is
  None`` for a Resolve without the constant: ynput/ayon-resolve at
  ba25312212a302e0e9bdd75595bad8ee3ceb64f9, client/ayon_resolve/api/lib.py:1097);
- ``OpenPage``, ``AddMarker``, ``SetCurrentTimecode``, ``SetSetting``, ``Export`` and
  ``ExportCurrentFrameAsStill`` answer False (README: each "--> Bool"). That ``AddMarker``
  answers False for a duration past its clip's length: pydavinci's wrapper says so when it
  fails (pedrolabonia/pydavinci at 1a9320fa53bab6c6eb82ec6679234a389862f54a,
  pydavinci/wrappers/marker.py:132, in ``MarkerCollection.add``); the other inputs that give
  False are assumed (docs/resolve.md);
- ``GetSetting`` with a key Resolve does not know answers "" ("getting a property using an
  invalid key will return a trivial result", README:630; "" is assumed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from tests.fakes.vocabulary import ConstantResolver, Source, Use, Vocabulary

#: The AYON integration for Resolve at the commit every AYON source here is read at.
AYON = "ynput/ayon-resolve@ba25312212a302e0e9bdd75595bad8ee3ceb64f9"
README = f"{AYON}:client/ayon_resolve/RESOLVE_API_v20.3.2-build9.txt"
STUBS = "PyPI fusionscript-stubs==21.0.0 fusionscript-stubs/fusionscript.pyi"


#: A public mapping of Resolve 20's project settings to their scripting keys.
SETTINGS = (
    "akarcode/DaVinciResolveProjectSettings@e02fdcf627c26a8e9a7c36c578a5a6b5220b394b"
    ":davinci-master-settings.html"
)


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
        f"{AYON}:client/ayon_resolve/api/pipeline.py:91",
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
        f"{SETTINGS}:149",
        "Resolve 20 project settings mapped to scripting keys: 'timelineDropFrameTimecode bool'",
    ),
    "timelineResolutionWidth": Source(f"{SETTINGS}:127", "'timelineResolutionWidth string'"),
    "timelineResolutionHeight": Source(f"{SETTINGS}:126", "'timelineResolutionHeight string'"),
}
_TERMS["track_type"] = {
    name: _readme(323, "GetTrackCount(trackType)") for name in ("audio", "video", "subtitle")
}
_TERMS["still_format"] = {
    name: _readme(
        518,
        "GalleryStillAlbum.ExportStills' 'supported formats' (its drx is a grade, not an "
        "image); ExportCurrentFrameAsStill says only 'filePath must end in valid export file "
        "format' (README:197): the same list is assumed (docs/resolve.md)",
    )
    for name in ("dpx", "cin", "tif", "jpg", "png", "ppm", "bmp", "xpm")
}

#: Keys of the clipInfo dicts ``MediaPool.ImportMedia`` and ``MediaPool.AppendToTimeline``
#: take (what Resolve does with another key is not documented: the fake imports or appends
#: nothing for that entry, assumed; docs/resolve.md).
_TERMS["clip_info:ImportMedia"] = {
    name: _readme(248, "ImportMedia([{clipInfo}]) example: FilePath, StartIndex, EndIndex")
    for name in ("FilePath", "StartIndex", "EndIndex")
}
_TERMS["clip_info:AppendToTimeline"] = {
    name: _readme(221, "AppendToTimeline([{clipInfo}, ...])")
    for name in (
        "mediaPoolItem",
        "startFrame",
        "endFrame",
        "mediaType",
        "trackIndex",
        "recordFrame",
    )
}

VOCABULARY = Vocabulary("resolve", _TERMS)

#: The class of what a method answers, where the README names it (a list of them for
#: ``[...]`` answers): what makes the receiver of the next call evident to the scan.
RETURNS: dict[str, tuple[str, bool, Source]] = {
    "GetResolve": ("Resolve", False, _TERMS["method:App"]["GetResolve"]),
    "GetProjectManager": ("ProjectManager", False, _readme(88, "--> ProjectManager")),
    "GetCurrentProject": ("Project", False, _readme(118, "--> Project")),
    "GetMediaPool": ("MediaPool", False, _readme(150, "--> MediaPool")),
    "GetTimelineByIndex": ("Timeline", False, _readme(152, "--> Timeline")),
    "GetCurrentTimeline": ("Timeline", False, _readme(153, "--> Timeline")),
    "GetRootFolder": ("Folder", False, _readme(215, "--> Folder")),
    "AddSubFolder": ("Folder", False, _readme(216, "--> Folder")),
    "CreateEmptyTimeline": ("Timeline", False, _readme(218, "--> Timeline")),
    "AppendToTimeline": ("TimelineItem", True, _readme(221, "--> [TimelineItem]")),
    "GetCurrentFolder": ("Folder", False, _readme(232, "--> Folder")),
    "ImportMedia": ("MediaPoolItem", True, _readme(246, "--> [MediaPoolItems]")),
    "GetClipList": ("MediaPoolItem", True, _readme(260, "--> [clips...] of the folder")),
    "GetItemListInTrack": ("TimelineItem", True, _readme(350, "'a list of timeline items'")),
    "GetCurrentVideoItem": (
        "TimelineItem",
        False,
        _readme(363, "'the current video timeline item'"),
    ),
    "GetMediaPoolItem": ("MediaPoolItem", False, _readme(460, "--> MediaPoolItem")),
}
#: Resolve's classes, as the adapter's annotations name them (fusionscript-stubs' names).
CLASSES = frozenset((*METHODS, "App"))

#: Calls whose first argument is a page, a setting key or a track type.
_FIRST_ARGUMENT = {
    "OpenPage": "page",
    "GetSetting": "setting",
    "SetSetting": "setting",
    "GetTrackCount": "track_type",
    "GetItemListInTrack": "track_type",
}
#: Calls whose first argument is a list of clipInfo dicts (or of clips).
_CLIP_INFO = ("ImportMedia", "AppendToTimeline")
#: How a value the scan cannot follow to a constant is named in a ``Use`` (never in the
#: vocabulary, so the literal test fails on it: make the value a constant, or follow it here).
UNRESOLVED = "<not a constant: {}>"


def literal_uses(tree: ast.Module, module: str, resolver: ConstantResolver) -> Iterator[Use]:
    """Every literal one adapter module passes Resolve, as a ``Use`` to look up.

    Values are followed, not guessed from names: a module constant, ``defaults.X``, a
    parameter's default, a local variable, ``cast(...)``, ``a if c else b``, ``x or y``, an
    item of a constant tuple, a key of a dict literal, what a function of the adapter returns
    (a few calls deep). A value that cannot be followed to constants is a ``Use`` named
    ``UNRESOLVED``, which fails the literal test, except where it is an answer of Resolve's
    own (a page read with ``GetCurrentPage`` handed back to ``OpenPage``).

    - a method call on an object whose class is evident (an annotation with a Resolve class,
      the answer of a method ``RETURNS`` names, a variable or ``self.`` attribute holding one,
      an item of a list of them): category ``method:<class>``, any name; on a ``Union``, one
      use per class. Elsewhere (the receiver's class cannot be told), a capitalised method
      called on anything but an imported module: category ``method`` (any class has it);
    - the colour of ``AddMarker`` (second argument or ``color=``); the first argument of
      ``OpenPage``, ``GetSetting``, ``SetSetting``, ``GetTrackCount``, ``GetItemListInTrack``;
    - the keys of clipInfo dicts given to ``ImportMedia`` / ``AppendToTimeline``;
    - the strings a page is compared with (``==``, ``!=``, ``in``): a page is a
      ``GetCurrentPage()`` answer, a variable or attribute assigned one, or a parameter of an
      adapter function that is handed one;
    - ``<x>.EXPORT_*`` (category ``constant:Resolve``).
    """
    flow = _Flow.of(resolver)
    for scope, call in flow.calls(module):
        func = call.func
        if not isinstance(func, ast.Attribute):
            continue
        classes = flow.classes(func.value, scope, module)
        if classes:
            for cls in sorted(classes):
                yield Use(f"method:{cls}", func.attr, module, call.lineno)
        elif func.attr[:1].isupper() and not flow.is_module_chain(func.value, module):
            yield Use("method", func.attr, module, call.lineno)
        else:
            continue
        colour = _argument(call, 1, "color")
        if func.attr == "AddMarker" and colour is not None:
            for name in flow.strings(colour, scope, module):
                yield Use("marker_color", name, module, call.lineno)
        category = _FIRST_ARGUMENT.get(func.attr)
        if category is not None and call.args:
            first = call.args[0]
            if not (category == "page" and flow.is_page(first, scope, module)):
                for name in flow.strings(first, scope, module):
                    yield Use(category, name, module, call.lineno)
        if func.attr in _CLIP_INFO and call.args:
            for key in flow.dict_keys(call.args[0], scope, module):
                yield Use(f"clip_info:{func.attr}", key, module, call.lineno)
    for scope, node in flow.nodes(module):
        if isinstance(node, ast.Attribute) and node.attr.startswith("EXPORT_"):
            yield Use("constant:Resolve", node.attr, module, node.lineno)
        elif isinstance(node, ast.Compare) and not any(
            isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops
        ):
            sides = [node.left, *node.comparators]
            if any(flow.is_page(side, scope, module) for side in sides):
                for side in sides:
                    if not flow.is_page(side, scope, module):
                        for name in flow.strings(side, scope, module):
                            yield Use("page", name, module, node.lineno)


def _argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


Scope = ast.AST  # the outermost function (or the module) a node is in


class _Flow:
    """What the scan knows of the whole adapter package (built once per resolver)."""

    _made: dict[int, _Flow] = {}

    @classmethod
    def of(cls, resolver: ConstantResolver) -> _Flow:
        made = cls._made.get(id(resolver))
        if made is None or made.resolver is not resolver:
            made = cls._made[id(resolver)] = cls(resolver)
        return made

    def __init__(self, resolver: ConstantResolver) -> None:
        self.resolver = resolver
        #: module -> [(scope, node)] for every node, its scope the outermost function.
        self._nodes: dict[str, list[tuple[Scope, ast.AST]]] = {}
        #: module-level function name -> (module, def), across the package.
        self.functions: dict[str, tuple[str, ast.FunctionDef]] = {}
        #: scope id -> local name -> the expressions assigned to it (for loops: ("iter", x)).
        self._locals: dict[int, dict[str, list[tuple[str, ast.expr]]]] = {}
        #: scope id -> parameter name -> annotation.
        self._params: dict[int, dict[str, ast.expr]] = {}
        #: module -> ``self.<attr>`` -> annotations and assigned expressions, with their scope.
        self._attrs: dict[str, dict[str, list[tuple[str, ast.expr, Scope]]]] = {}
        #: module -> type aliases (``Holder = Union[Timeline, TimelineItem]``).
        self._aliases: dict[str, dict[str, ast.expr]] = {}
        self.imported: dict[str, set[str]] = {}
        #: module -> module-level name -> its value, or the sibling module it is imported from.
        self._globals: dict[str, dict[str, ast.expr]] = {}
        #: module -> its classes by name; scope id -> the class a method belongs to.
        self._classdefs: dict[str, dict[str, ast.ClassDef]] = {}
        self._method_of: dict[int, ast.ClassDef] = {}
        self._siblings: dict[str, dict[str, tuple[str, str]]] = {}
        for module, tree in resolver.modules():
            self._read(module, tree)
        self.page_attrs: set[str] = set()
        self.page_params: set[tuple[str, str]] = set()
        for _ in range(3):  # pages handed on through a call or two
            self._find_pages()

    # --- reading the package ---

    def _read(self, module: str, tree: ast.Module) -> None:
        nodes: list[tuple[Scope, ast.AST]] = []
        attrs: dict[str, list[tuple[str, ast.expr, Scope]]] = {}
        aliases: dict[str, ast.expr] = {}
        imported: set[str] = set()
        globals_: dict[str, ast.expr] = {}
        siblings: dict[str, tuple[str, str]] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                if isinstance(stmt.targets[0], ast.Name):
                    globals_[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                if isinstance(stmt.target, ast.Name):
                    globals_[stmt.target.id] = stmt.value
            elif isinstance(stmt, ast.ImportFrom) and stmt.level == 1 and stmt.module:
                for alias in stmt.names:
                    siblings[alias.asname or alias.name] = (stmt.module, alias.name)
        self._globals[module] = globals_
        self._siblings[module] = siblings
        scopes: list[Scope] = [tree]
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(stmt.name, (module, stmt))  # type: ignore[arg-type]
                scopes.append(stmt)
            elif isinstance(stmt, ast.ClassDef):
                methods = [
                    f for f in stmt.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                ]
                scopes += methods
                self._classdefs.setdefault(module, {})[stmt.name] = stmt
                for method in methods:
                    self._method_of[id(method)] = stmt
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and _is_annotation(node.value):
                    aliases[target.id] = node.value
        for scope in scopes:
            local: dict[str, list[tuple[str, ast.expr]]] = {}
            params: dict[str, ast.expr] = {}
            inner = [scope] if scope is tree else list(ast.walk(scope))
            body = _module_level_nodes(tree) if scope is tree else inner
            for node in body:
                nodes.append((scope, node))
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    a = node.args
                    for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
                        if arg.annotation is not None:
                            params[arg.arg] = arg.annotation
                        else:
                            params.setdefault(arg.arg, ast.Constant(None))
                elif isinstance(node, ast.Assign):
                    for target in node.targets:
                        self._bind(target, ("value", node.value), local, attrs, scope)
                elif isinstance(node, ast.AnnAssign):
                    self._bind(node.target, ("annotation", node.annotation), local, attrs, scope)
                    if node.value is not None:
                        self._bind(node.target, ("value", node.value), local, attrs, scope)
                elif isinstance(node, (ast.For, ast.comprehension)):
                    self._bind(node.target, ("iter", node.iter), local, attrs, scope)
                elif isinstance(node, ast.NamedExpr):
                    self._bind(node.target, ("value", node.value), local, attrs, scope)
            self._locals[id(scope)] = local
            self._params[id(scope)] = params
        self._nodes[module] = nodes
        self._attrs[module] = attrs
        self._aliases[module] = aliases
        self.imported[module] = imported

    @staticmethod
    def _bind(
        target: ast.expr,
        how: tuple[str, ast.expr],
        local: dict[str, list[tuple[str, ast.expr]]],
        attrs: dict[str, list[tuple[str, ast.expr, Scope]]],
        scope: Scope,
    ) -> None:
        if isinstance(target, ast.Name):
            local.setdefault(target.id, []).append(how)
        elif isinstance(target, ast.Attribute):
            attrs.setdefault(target.attr, []).append((how[0], how[1], scope))
        elif isinstance(target, (ast.Tuple, ast.List)):
            value = how[1]
            if (
                how[0] == "value"
                and isinstance(value, (ast.Tuple, ast.List))
                and len(value.elts) == len(target.elts)
            ):  # a, b = x, y
                for elt, part in zip(target.elts, value.elts):
                    _Flow._bind(elt, ("value", part), local, attrs, scope)
                return
            for elt in target.elts:  # unpacked otherwise: nothing known of each part
                _Flow._bind(elt, ("value", ast.Constant(...)), local, attrs, scope)

    def _find_pages(self) -> None:
        for module, nodes in self._nodes.items():
            for scope, node in nodes:
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if self.is_page(node.value, scope, module):
                        for target in targets:
                            if isinstance(target, ast.Attribute):
                                self.page_attrs.add(target.attr)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    found = self.functions.get(node.func.id)
                    if found is None:
                        continue
                    params = [a.arg for a in [*found[1].args.posonlyargs, *found[1].args.args]]
                    for name, arg in zip(params, node.args):
                        if self.is_page(arg, scope, module):
                            self.page_params.add((node.func.id, name))

    # --- what the scan asks ---

    def calls(self, module: str) -> Iterator[tuple[Scope, ast.Call]]:
        for scope, node in self._nodes[module]:
            if isinstance(node, ast.Call):
                yield scope, node

    def nodes(self, module: str) -> list[tuple[Scope, ast.AST]]:
        return self._nodes[module]

    def is_module_chain(self, node: ast.AST, module: str) -> bool:
        """``otio.schema`` or ``QtCore``: attributes of an imported name, no call in between."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id in self.imported[module]

    def is_page(self, node: ast.AST, scope: Scope, module: str, depth: int = 0) -> bool:
        """Whether ``node`` is a page Resolve answered (``GetCurrentPage()``, or held from one)."""
        if depth > 4:
            return False
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return node.func.attr == "GetCurrentPage"
        if isinstance(node, ast.Attribute):
            return node.attr in self.page_attrs
        if isinstance(node, ast.Name):
            if isinstance(scope, ast.FunctionDef) and (scope.name, node.id) in self.page_params:
                return True
            bound = self._locals.get(id(scope), {}).get(node.id, [])
            return bool(bound) and all(
                how == "value" and self.is_page(value, scope, module, depth + 1)
                for how, value in bound
            )
        return False

    # values --------------------------------------------------------------------------------

    def strings(self, node: ast.AST, scope: Scope, module: str) -> list[str]:
        """The strings ``node`` can be; one ``UNRESOLVED`` use when it cannot be followed."""
        found = self._strings(node, scope, module, 0)
        if found is None:
            return [UNRESOLVED.format(ast.unparse(node))]
        return found

    def _strings(self, node: ast.AST, scope: Scope, module: str, depth: int) -> list[str] | None:
        if depth > 6:
            return None
        resolved = self.resolver.value(node, module)
        if resolved is not None:
            return [resolved] if isinstance(resolved, str) else list(resolved)
        again = lambda n: self._strings(n, scope, module, depth + 1)  # noqa: E731
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "cast" and len(node.args) == 2:
                return again(node.args[1])
            if node.func.id in ("frozenset", "set", "tuple", "list") and len(node.args) == 1:
                return again(node.args[0])
            return self._returned(node.func.id, depth, self._strings)
        if isinstance(node, (ast.Set, ast.Tuple, ast.List)):
            return _union([again(e) for e in node.elts])
        if isinstance(node, ast.IfExp):
            return _union([again(node.body), again(node.orelse)])
        if isinstance(node, ast.BoolOp):
            return _union([again(v) for v in node.values])
        if isinstance(node, ast.Subscript):
            whole = self.resolver.value(node.value, module)
            if isinstance(whole, tuple):
                return list(whole)  # one of them
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                dicts = self._dicts(node.value, scope, module, depth + 1)
                if dicts is None:
                    return None
                values = [d[key.value] for d in dicts if key.value in d]
                if len(values) != len(dicts):
                    return None
                return _union([self._strings(v, s, m, depth + 1) for v, s, m in values])
            return None
        if isinstance(node, ast.Name):
            bound = self._locals.get(id(scope), {}).get(node.id, [])
            if not bound:
                return self._global(node.id, module, depth)
            if any(how != "value" for how, _ in bound):
                return None
            return _union([again(value) for _, value in bound])
        return None

    def _global(self, name: str, module: str, depth: int) -> list[str] | None:
        """A module-level name of ``module`` (``frozenset({...})``), or one it imports from a
        sibling module."""
        value = self._globals.get(module, {}).get(name)
        if value is not None:
            tree = self.resolver.trees[module]
            return self._strings(value, tree, module, depth + 1)
        sibling = self._siblings.get(module, {}).get(name)
        if sibling is not None and sibling[0] in self.resolver.trees:
            return self._global(sibling[1], sibling[0], depth + 1)
        return None

    def _returned(self, name: str, depth: int, follow: Any) -> Any:
        """What an adapter function ``name`` returns, followed with ``follow``."""
        found = self.functions.get(name)
        if found is None:
            return None
        module, fn = found
        returns = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value]
        if not returns:
            return None
        return _union([follow(r, fn, module, depth + 1) for r in returns])

    def _dicts(
        self, node: ast.AST, scope: Scope, module: str, depth: int
    ) -> list[dict[str, tuple[ast.expr, Scope, str]]] | None:
        """The dict literals ``node`` can be (their values with where to read them)."""
        if depth > 6:
            return None
        if isinstance(node, ast.Dict):
            out = {}
            for k, v in zip(node.keys, node.values):
                if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                    return None
                out[k.value] = (v, scope, module)
            return [out]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self._returned(node.func.id, depth, self._dicts)
        if isinstance(node, ast.Name):
            bound = self._locals.get(id(scope), {}).get(node.id, [])
            if not bound or any(how != "value" for how, _ in bound):
                return None
            return _union([self._dicts(v, scope, module, depth + 1) for _, v in bound])
        return None

    def dict_keys(self, node: ast.AST, scope: Scope, module: str) -> list[str]:
        """Keys of the clipInfo dicts in a list given to ``ImportMedia`` / ``AppendToTimeline``
        (clips given instead of dicts have none)."""
        elements = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
        keys: list[str] = []
        for element in elements:
            if isinstance(element, ast.Dict):
                for k in element.keys:
                    if isinstance(k, ast.Constant) and isinstance(k.value, str):
                        keys.append(k.value)
                    else:
                        keys.append(UNRESOLVED.format(ast.unparse(k) if k else "**"))
        return keys

    # classes -------------------------------------------------------------------------------

    def classes(self, node: ast.AST, scope: Scope, module: str) -> frozenset[str]:
        """The Resolve classes ``node`` is evidently one of (empty: cannot tell)."""
        found = self._classes(node, scope, module, 0)
        return found[0] if found is not None and not found[1] else frozenset()

    def _classes(
        self, node: ast.AST, scope: Scope, module: str, depth: int
    ) -> tuple[frozenset[str], bool] | None:
        """(classes, is a list of them), or None."""
        if depth > 6:
            return None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in RETURNS:
                cls, many, _ = RETURNS[func.attr]
                return frozenset({cls}), many
            if isinstance(func, ast.Name) and func.id == "cast" and node.args:
                named = self._annotation(node.args[0], module)
                return (named, False) if named else None
            returns = None  # what an adapter function or method says it returns
            if isinstance(func, ast.Attribute):
                owner = self._owner(func.value, scope, module, depth + 1)
                method = _method(owner, func.attr) if owner is not None else None
                returns = method.returns if method is not None else None
            elif isinstance(func, ast.Name) and func.id in self.functions:
                returns = self.functions[func.id][1].returns
            named = self._annotation(returns, module) if returns is not None else frozenset()
            return (named, False) if named else None
        if isinstance(node, ast.IfExp):  # ``x.GetCurrentTimeline() if x is not None else None``
            branches = [b for b in (node.body, node.orelse) if not _is_none(b)]
            found = [self._classes(b, scope, module, depth + 1) for b in branches]
            known = [f for f in found if f is not None]
            return _merge(known) if known and len(known) == len(found) else None
        if isinstance(node, ast.BoolOp):  # ``x.GetItemListInTrack(...) or []``
            parts = [self._classes(v, scope, module, depth + 1) for v in node.values]
            known = [p for p in parts if p is not None]
            empty = [v for v, p in zip(node.values, parts) if p is None]
            if not known or any(not _is_empty(v) for v in empty):
                return None
            return _merge(known)
        if isinstance(node, ast.Subscript):
            whole = self._classes(node.value, scope, module, depth + 1)
            return (whole[0], False) if whole is not None and whole[1] else None
        if isinstance(node, ast.Name):
            params = self._params.get(id(scope), {})
            bound = self._locals.get(id(scope), {}).get(node.id, [])
            if node.id in params and not bound:
                named = self._annotation(params[node.id], module)
                return (named, False) if named else None
            return self._bound(bound, scope, module, depth)
        if isinstance(node, ast.Attribute):
            owner = self._owner(node.value, scope, module, depth + 1)
            note = self._field(owner, node.attr) if owner is not None else None
            if note is not None:
                named = self._annotation(note, module)
                return (named, False) if named else None
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                bound = self._attrs[module].get(node.attr, [])
                return self._bound([(h, v) for h, v, _ in bound], None, module, depth, bound)
        return None

    def _owner(self, node: ast.AST, scope: Scope, module: str, depth: int) -> ast.ClassDef | None:
        """The adapter's own class ``node`` is an instance of, where evident (``self``, a
        parameter annotated with it, a field or a variable holding one)."""
        if depth > 6:
            return None
        local = self._classdefs.get(module, {})
        if isinstance(node, ast.Name):
            if node.id == "self":
                return self._method_of.get(id(scope))
            bound = self._locals.get(id(scope), {}).get(node.id, [])
            if bound:
                if any(how != "value" for how, _ in bound):
                    return None
                owners = [self._owner(v, scope, module, depth + 1) for _, v in bound]
                first = owners[0]
                return first if all(o is first for o in owners) else None
            return self._local_class(self._params.get(id(scope), {}).get(node.id), local)
        if isinstance(node, ast.Attribute):
            owner = self._owner(node.value, scope, module, depth + 1)
            note = self._field(owner, node.attr) if owner is not None else None
            return self._local_class(note, local)
        return None

    @staticmethod
    def _local_class(note: ast.AST | None, local: dict[str, ast.ClassDef]) -> ast.ClassDef | None:
        if isinstance(note, ast.Constant) and isinstance(note.value, str):
            return local.get(note.value)
        return local.get(note.id) if isinstance(note, ast.Name) else None

    @staticmethod
    def _field(cls: ast.ClassDef, name: str) -> ast.expr | None:
        """The annotation of field ``name`` of the adapter's class ``cls`` (a dataclass field,
        or what a property returns)."""
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.target.id == name:
                    return stmt.annotation
            elif (
                isinstance(stmt, ast.FunctionDef)
                and stmt.name == name
                and stmt.returns is not None
                and any(isinstance(d, ast.Name) and d.id == "property" for d in stmt.decorator_list)
            ):
                return stmt.returns
        return None

    def _bound(
        self,
        bound: list[tuple[str, ast.expr]],
        scope: Scope | None,
        module: str,
        depth: int,
        scoped: list[tuple[str, ast.expr, Scope]] | None = None,
    ) -> tuple[frozenset[str], bool] | None:
        if not bound:
            return None
        notes = [v for h, v in bound if h == "annotation"]
        if notes:
            named = _union_sets([self._annotation(n, module) for n in notes])
            return (named, False) if named else None
        found = []
        for i, (how, value) in enumerate(bound):
            where = scoped[i][2] if scoped is not None else scope
            if how == "value" and isinstance(value, ast.Constant) and value.value is None:
                continue  # None until set
            got = self._classes(value, where, module, depth + 1) if where is not None else None
            if got is None:
                return None
            if how == "iter":
                if not got[1]:
                    return None
                got = (got[0], False)
            found.append(got)
        return _merge(found) if found else None

    def _annotation(self, node: ast.AST, module: str) -> frozenset[str]:
        """Resolve classes an annotation names (``Optional[Timeline]``, ``"Resolve"``, an
        alias such as ``Holder``); empty when it names anything else."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return frozenset()
        if isinstance(node, ast.Name):
            if node.id in CLASSES:
                return frozenset({node.id})
            alias = self._aliases[module].get(node.id)
            return self._annotation(alias, module) if alias is not None else frozenset()
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            inner = node.slice
            parts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if node.value.id == "Optional":
                return self._annotation(parts[0], module)
            if node.value.id == "Union":
                named = [self._annotation(p, module) for p in parts if not _is_none(p)]
                return frozenset().union(*named) if all(named) else frozenset()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [s for s in (node.left, node.right) if not _is_none(s)]
            named = [self._annotation(s, module) for s in sides]
            return frozenset().union(*named) if named and all(named) else frozenset()
        return frozenset()


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == name), None)


def _module_level_nodes(tree: ast.Module) -> list[ast.AST]:
    """Nodes of the module outside its functions and methods."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _is_annotation(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and (node.value.id in ("Union", "Optional"))
    )


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_empty(node: ast.AST) -> bool:
    return isinstance(node, (ast.List, ast.Tuple, ast.Dict)) and not getattr(
        node, "elts", getattr(node, "keys", [1])
    )


def _union(parts: list[Any]) -> Any:
    if any(p is None for p in parts):
        return None
    out: list[Any] = []
    for p in parts:
        out.extend(x for x in p if x not in out)
    return out


def _union_sets(parts: list[frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*parts) if all(parts) else frozenset()


def _merge(found: list[tuple[frozenset[str], bool]]) -> tuple[frozenset[str], bool] | None:
    if len({many for _, many in found}) != 1:
        return None
    return frozenset().union(*(c for c, _ in found)), found[0][1]
