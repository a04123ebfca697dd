"""The schema's dataclasses as msgspec types: JSON parsed and checked in one pass.

``compile_decoder(cls, limits)`` gives a ``FastDecoder`` whose results are instances
of ``cls`` equal to what ``schema.decode`` builds, for everything it accepts; it
returns ``None`` when msgspec is not installed or ``cls`` uses a type not mirrored here.

Each dataclass gets a msgspec ``Struct`` with the same fields, each carrying the
schema's constraints (lengths, bounds, the safe-integer range, enumerations) as
msgspec ``Meta``, so msgspec refuses while it parses. A Struct then becomes the
dataclass without its generated ``__init__`` (slow for a frozen class) but with
its ``__post_init__``, so the model's own checks (UUID ids, what each kind of
shape needs, coordinates) run as they always do.

The mirror may refuse more than ``decode`` does (an integral float such as ``9.0``
where an integer is declared, ``null`` for a field that has a default, a huge
float in a stroke's points): a caller hands what it refuses to ``decode``, whose
verdict and error message are the authority. It never accepts what ``decode``
refuses; tests/core/test_decode.py runs the same notes through both.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
from collections.abc import Callable
from typing import Any, Generic, Literal, Optional, TypeVar, get_args, get_origin

from .limits import Limits
from .schema import MAX_SAFE_INT, UNIONS, field_plan, max_length

try:
    import msgspec
except ImportError:  # pragma: no cover - the fallback is tested by hiding the module
    msgspec = None  # type: ignore[assignment]

log = logging.getLogger("overshoulder.schema")

T = TypeVar("T")

_FLOAT_MAX = sys.float_info.max
_new = object.__new__


class Unsupported(TypeError):
    """A type the mirror does not cover (free-form JSON, unions of several types...)."""


def available() -> bool:
    """Whether msgspec can be imported here."""
    return msgspec is not None


#: What the mirror raises for a value it refuses (a ``ProtocolError`` comes from a
#: ``__post_init__``); empty without msgspec.
REFUSED: tuple[type[BaseException], ...] = (
    (msgspec.ValidationError, msgspec.DecodeError) if msgspec is not None else ()
)


class FastDecoder(Generic[T]):
    """Decodes JSON text into ``cls`` (one value, or a list of them) through msgspec."""

    def __init__(self, struct: Any, convert: Callable[[Any], T]) -> None:
        self._one = msgspec.json.Decoder(struct)
        self._many = msgspec.json.Decoder(list[struct])
        self._convert = convert

    def one(self, text: Any) -> T:
        """One value from JSON text (str, bytes or a ``msgspec.Raw``)."""
        return self._convert(self._one.decode(text))

    def many(self, text: Any) -> list[T]:
        """A JSON array of values, all or nothing."""
        convert = self._convert
        return [convert(s) for s in self._many.decode(text)]


_decoders: dict[tuple[type, Limits], Optional[FastDecoder[Any]]] = {}


def compile_decoder(cls: type[T], limits: Limits) -> Optional[FastDecoder[T]]:
    """A fast decoder of ``cls`` under ``limits`` (cached), or None where there is none."""
    key = (cls, limits)
    if key not in _decoders:
        found: Optional[FastDecoder[Any]] = None
        if msgspec is not None:
            try:
                struct, convert = _Mirror(limits).dataclass(cls)
                found = FastDecoder(struct, convert)
            except Unsupported as exc:
                log.info("no fast decoder for %s: %s", cls.__name__, exc)
        _decoders[key] = found
    return _decoders[key]


@dataclasses.dataclass(frozen=True)
class _Value:
    """How one value is mirrored: its msgspec type, and ``fix`` turning a non-null value of
    it into the model's (None: the same value); ``nullable``: null passes as None."""

    kind: Any
    fix: Optional[Callable[[Any], Any]] = None
    nullable: bool = False


class _Mirror:
    """Builds the Structs of one ``Limits``, and for each the function back to the model."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.done: dict[type, tuple[Any, Callable[[Any], Any]]] = {}

    def dataclass(self, cls: type) -> tuple[Any, Callable[[Any], Any]]:
        """The Struct mirroring ``cls`` and the function making ``cls`` from one."""
        if cls in self.done:
            return self.done[cls]
        params = getattr(cls, "__dataclass_params__", None)
        if params is None or not params.init or "__slots__" in cls.__dict__:
            raise Unsupported(f"{cls.__name__} is not a plain dataclass")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        # Pseudo-fields other than class variables are InitVars: outside the Struct's reach.
        pseudo = [
            f
            for name, f in getattr(cls, "__dataclass_fields__", {}).items()
            if name not in fields and "ClassVar" not in str(f.type)
        ]
        if pseudo or any(not f.init for f in fields.values()):
            raise Unsupported(f"{cls.__name__} has fields outside __init__")
        specs: list[tuple[Any, ...]] = []
        # The conversion is written out as Python and compiled, as dataclasses writes its
        # __init__: a loop over the fields would double its cost (10,000 notes a snapshot).
        # Point lists the model lets a parser check as it reads them (``PARSED_POINTS``):
        # their values' count and range go into the Struct, and the model's ``_post_parse``
        # checks what is left instead of ``__post_init__`` looping over every point.
        parsed: dict[str, tuple[int, int, float]] = getattr(cls, "PARSED_POINTS", {})
        post = getattr(cls, "_post_parse" if parsed else "__post_init__", None)
        names: dict[str, Any] = {"new": _new, "cls": cls, "post": post}
        lines = ["def convert(s):", "    o = new(cls)", "    d = o.__dict__"]
        for i, (name, hint, meta, required) in enumerate(field_plan(cls)):
            if name in parsed:
                value = self.points(hint, meta, name, *parsed[name])
            else:
                value = self.value(hint, meta, name)
            names[f"fix{i}"] = value.fix
            fixed = "v" if value.fix is None else f"fix{i}(v)"
            if required and not value.nullable:
                specs.append((name, value.kind))
                lines.append(f"    v = s.{name}; d[{name!r}] = {fixed}")
                continue
            if required:
                specs.append((name, value.kind))
            else:
                specs.append((name, Optional[value.kind], None))
            empty = "None" if required else self._default(fields[name], hint, names, i)
            lines.append(f"    v = s.{name}; d[{name!r}] = {empty} if v is None else {fixed}")
        lines += ["    if post is not None:", "        post(o)", "    return o"]
        exec(compile("\n".join(lines), f"<mirror of {cls.__qualname__}>", "exec"), names)
        struct = msgspec.defstruct(f"{cls.__name__}Wire", specs, kw_only=True, gc=False)
        self.done[cls] = (struct, names["convert"])
        return self.done[cls]

    @staticmethod
    def _default(f: dataclasses.Field[Any], hint: Any, names: dict[str, Any], i: int) -> str:
        """What a field with a default holds when absent or null (both None in the Struct,
        as ``decode`` skips a null field that has a default)."""
        if f.default_factory is not dataclasses.MISSING:
            names[f"factory{i}"] = f.default_factory
            return f"factory{i}()"
        if f.default is None:
            return "None"
        if _allows_none(hint):  # null -> None but absent -> the default: not mirrored
            raise Unsupported(f"{f.name} is optional with a default other than None")
        names[f"default{i}"] = f.default
        return f"default{i}"

    def points(
        self, hint: Any, meta: dict[str, Any], path: str, fewest: int, most: int, largest: float
    ) -> _Value:
        """A list of points (``Optional[list[list[float]]]``), each ``fewest..most``
        numbers within ``largest``, the list itself not empty."""
        if get_origin(hint) not in UNIONS or list[list[float]] not in get_args(hint):
            raise Unsupported(f"{path}: points must be Optional[list[list[float]]]")
        number = _annotated(float, ge=-largest, le=largest)
        point = _annotated(list[number], min_length=fewest, max_length=most)  # type: ignore[valid-type]
        return _Value(
            Optional[
                _annotated(list[point], min_length=1, max_length=max_length(meta, self.limits))  # type: ignore[valid-type]
            ],
            nullable=True,
        )

    def value(self, hint: Any, meta: dict[str, Any], path: str) -> _Value:
        """How one value of type ``hint`` with ``Bounds`` ``meta`` is mirrored."""
        origin = get_origin(hint)
        if origin in UNIONS:
            options = [a for a in get_args(hint) if a is not type(None)]
            if len(options) != 1:
                raise Unsupported(f"{path}: a union of several types")
            inner = self.value(options[0], meta, path)
            return _Value(Optional[inner.kind], inner.fix, nullable=True)
        if origin is Literal:
            allowed = get_args(hint)
            if not all(type(a) is str for a in allowed):
                raise Unsupported(f"{path}: a literal of other than strings")
            return _Value(hint)
        if origin is list:
            (item,) = get_args(hint)
            each = self.value(item, {}, f"{path}[]")
            most = max_length(meta, self.limits)
            listed: Any = list[each.kind]  # type: ignore[name-defined]
            if most is not None:
                listed = _annotated(listed, max_length=most)
            if each.fix is None:
                return _Value(listed)
            fix = each.fix
            if each.nullable:
                return _Value(listed, lambda v: [None if x is None else fix(x) for x in v])
            return _Value(listed, lambda v: [fix(x) for x in v])
        if origin is tuple:
            args = get_args(hint)
            if Ellipsis in args:
                raise Unsupported(f"{path}: a tuple of any length")
            kinds = []
            for i, a in enumerate(args):
                item = self.value(a, meta, f"{path}[{i}]")
                if item.fix is not None:
                    raise Unsupported(f"{path}: a tuple of objects")
                kinds.append(item.kind)
            return _Value(tuple.__class_getitem__(tuple(kinds)))
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            struct, convert = self.dataclass(hint)
            return _Value(struct, convert)
        if hint is str:
            most = max_length(meta, self.limits)
            return _Value(str if most is None else _annotated(str, max_length=most))
        if hint is bool:
            return _Value(bool)
        if hint is int:
            if "min" in meta or "max" in meta:
                low = meta.get("min")
                high = meta.get("max")
                return _Value(
                    _annotated(
                        int,
                        ge=None if low is None else math.ceil(low),
                        le=None if high is None else math.floor(high),
                    )
                )
            return _Value(_annotated(int, ge=-MAX_SAFE_INT, le=MAX_SAFE_INT))
        if hint is float:
            if "min" in meta or "max" in meta:
                # One bound given: the other side is the largest finite float, as decode
                # refuses infinities (msgspec refuses a literal past them as well).
                low, high = meta.get("min", -_FLOAT_MAX), meta.get("max", _FLOAT_MAX)
                return _Value(_annotated(float, ge=low, le=high))
            return _Value(_annotated(float, ge=-MAX_SAFE_INT, le=MAX_SAFE_INT))
        raise Unsupported(f"{path}: {hint!r}")


def _annotated(kind: Any, **bounds: Any) -> Any:
    from typing import Annotated

    given = {k: v for k, v in bounds.items() if v is not None}
    return Annotated[kind, msgspec.Meta(**given)] if given else kind


def _allows_none(hint: Any) -> bool:
    return get_origin(hint) in UNIONS and type(None) in get_args(hint)
