"""The schema's dataclasses as msgspec types: JSON parsed and checked in one pass.

``compile_decoder(cls, limits)`` gives a ``FastDecoder`` whose results are instances
of ``cls`` equal to what ``schema.decode`` builds, for everything it accepts; it
returns ``None`` when msgspec is not installed or ``cls`` uses a type mirrored here.

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
        self._many = msgspec.json.Decoder(list[struct])  # type: ignore[valid-type]
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


Convert = Optional[Callable[[Any], Any]]


class _Mirror:
    """Builds the Structs of one ``Limits``: each field's type and the step back to it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.done: dict[type, tuple[Any, Callable[[Any], Any]]] = {}

    def dataclass(self, cls: type) -> tuple[Any, Callable[[Any], Any]]:
        if cls in self.done:
            return self.done[cls]
        params = getattr(cls, "__dataclass_params__", None)
        if params is None or not params.init or "__slots__" in cls.__dict__:
            raise Unsupported(f"{cls.__name__} is not a plain dataclass")
        defaults = {f.name: f for f in dataclasses.fields(cls)}
        if len(defaults) != len(getattr(cls, "__dataclass_fields__", {})) or any(
            not f.init for f in defaults.values()
        ):
            raise Unsupported(f"{cls.__name__} has fields outside __init__")
        specs: list[tuple[Any, ...]] = []
        fixups: list[tuple[str, Callable[[Any], Any]]] = []
        for name, hint, meta, required in field_plan(cls):
            kind, convert = self.value(hint, meta, name)
            if required:
                specs.append((name, kind))
            else:
                kind, convert = self._with_default(defaults[name], hint, kind, convert)
                specs.append((name, kind, None))
            if convert is not None:
                fixups.append((name, convert))
        struct = msgspec.defstruct(f"{cls.__name__}Wire", specs, kw_only=True, gc=False)
        names = tuple(s[0] for s in specs)
        post = getattr(cls, "__post_init__", None)
        astuple = msgspec.structs.astuple

        def convert_one(s: Any) -> Any:
            obj = _new(cls)
            values = obj.__dict__
            values.update(zip(names, astuple(s)))
            for name, fix in fixups:
                values[name] = fix(values[name])
            if post is not None:
                post(obj)
            return obj

        self.done[cls] = (struct, convert_one)
        return struct, convert_one

    @staticmethod
    def _with_default(
        f: dataclasses.Field[Any], hint: Any, kind: Any, convert: Convert
    ) -> tuple[Any, Convert]:
        """A field with a default: absent and ``null`` both read as None in the Struct."""
        if f.default_factory is not dataclasses.MISSING:
            factory = f.default_factory
            default, has_value = None, True
        else:
            factory, default = None, f.default
            has_value = default is not None
        if not has_value:  # None by default: null and absent are the same to decode
            return Optional[kind], convert
        if _allows_none(hint):  # null -> None, absent -> the default: not mirrored
            raise Unsupported(f"{f.name} is optional with a default other than None")

        def fill(value: Any) -> Any:
            if value is None:  # decode skips a null field that has a default
                return factory() if factory is not None else default
            return value if convert is None else convert(value)

        return Optional[kind], fill

    def value(self, hint: Any, meta: dict[str, Any], path: str) -> tuple[Any, Convert]:
        """The msgspec type of one value and how its Struct form turns into the model's."""
        origin = get_origin(hint)
        if origin in UNIONS:
            options = [a for a in get_args(hint) if a is not type(None)]
            if len(options) != 1:
                raise Unsupported(f"{path}: a union of several types")
            kind, convert = self.value(options[0], meta, path)
            if convert is None:
                return Optional[kind], None
            inner = convert
            return Optional[kind], lambda v: None if v is None else inner(v)
        if origin is Literal:
            allowed = get_args(hint)
            if not all(type(a) is str for a in allowed):
                raise Unsupported(f"{path}: a literal of other than strings")
            return hint, None
        if origin is list:
            (item,) = get_args(hint)
            kind, convert = self.value(item, {}, f"{path}[]")
            most = max_length(meta, self.limits)
            listed = list[kind]  # type: ignore[valid-type]
            if most is not None:
                listed = _annotated(listed, max_length=most)
            if convert is None:
                return listed, None
            each = convert
            return listed, lambda v: [each(x) for x in v]
        if origin is tuple:
            args = get_args(hint)
            if Ellipsis in args:
                raise Unsupported(f"{path}: a tuple of any length")
            kinds = []
            for i, a in enumerate(args):
                kind, convert = self.value(a, meta, f"{path}[{i}]")
                if convert is not None:
                    raise Unsupported(f"{path}: a tuple of objects")
                kinds.append(kind)
            return tuple.__class_getitem__(tuple(kinds)), None
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self.dataclass(hint)
        if hint is str:
            most = max_length(meta, self.limits)
            return (str if most is None else _annotated(str, max_length=most)), None
        if hint is bool:
            return bool, None
        if hint is int:
            if "min" in meta or "max" in meta:
                low = meta.get("min")
                high = meta.get("max")
                return _annotated(
                    int,
                    ge=None if low is None else math.ceil(low),
                    le=None if high is None else math.floor(high),
                ), None
            return _annotated(int, ge=-MAX_SAFE_INT, le=MAX_SAFE_INT), None
        if hint is float:
            if "min" in meta or "max" in meta:
                # One bound given: the other side is the largest finite float, as decode
                # refuses infinities (msgspec refuses a literal past them as well).
                return _annotated(
                    float, ge=meta.get("min", -_FLOAT_MAX), le=meta.get("max", _FLOAT_MAX)
                ), None
            return _annotated(float, ge=-MAX_SAFE_INT, le=MAX_SAFE_INT), None
        raise Unsupported(f"{path}: {hint!r}")


def _annotated(kind: Any, **bounds: Any) -> Any:
    from typing import Annotated

    given = {k: v for k, v in bounds.items() if v is not None}
    return Annotated[kind, msgspec.Meta(**given)] if given else kind


def _allows_none(hint: Any) -> bool:
    return get_origin(hint) in UNIONS and type(None) in get_args(hint)
