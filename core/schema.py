"""Typed decoding of JSON into dataclasses, with limits and readable errors.

Every message body and model type is a frozen dataclass. ``decode`` walks the
dataclass's type hints and checks each value, so one definition serves as
the type, the validator and (through ``describe``) the documentation the
browser's code is checked against. No I/O happens here.

Field constraints travel in the type: ``Annotated[str, Bounds(max_len=64)]``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    Literal,
    Optional,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from .errors import ErrorCode, ProtocolError
from .limits import DEFAULT_LIMITS, Limits

T = TypeVar("T")

_MISSING = dataclasses.MISSING

#: The range of a number field that names no bounds of its own: the largest integer every
#: side represents exactly (JavaScript's ``Number.MAX_SAFE_INTEGER``), so the relay, the
#: Python client and the page read the same value. Floats beyond it are refused too.
MAX_SAFE_INT = 2**53 - 1
#: How deeply free-form JSON (an object field such as ``customData``) may nest.
MAX_JSON_DEPTH = 32
# ``X | Y`` unions exist as types.UnionType from Python 3.10; apps still run 3.9.
UNIONS: tuple[Any, ...] = (Union, getattr(types, "UnionType", Union))


@dataclass(frozen=True)
class Bounds:
    """Constraints of a field, given as ``Annotated[type, Bounds(...)]``.

    - ``max_len``: longest string, or most items of a list;
    - ``limit``: the name of a ``Limits`` attribute giving ``max_len`` at run time;
    - ``min`` / ``max``: bounds of a number (of each number of a tuple).
    """

    max_len: Optional[int] = None
    limit: Optional[str] = None
    min: Optional[float] = None
    max: Optional[float] = None

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def _bad(path: str, message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_MESSAGE, message, path or None)


class _Plan:
    """Per-class cache: the resolved hint and constraints of each field."""

    __slots__ = ("fields", "names")

    def __init__(self, cls: type) -> None:
        hints = get_type_hints(cls, include_extras=True)
        self.fields: list[tuple[str, Any, dict[str, Any], bool]] = []
        for f in dataclasses.fields(cls):
            required = f.default is _MISSING and f.default_factory is _MISSING
            hint, meta = hints[f.name], {}
            if get_origin(hint) is Annotated:
                hint, *extras = get_args(hint)
                for extra in extras:
                    if isinstance(extra, Bounds):
                        meta = extra.meta()
            self.fields.append((f.name, hint, meta, required))
        self.names = frozenset(f[0] for f in self.fields)


_plans: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _Plan(cls)
    return plan


def field_plan(cls: type) -> list[tuple[str, Any, dict[str, Any], bool]]:
    """How ``decode`` reads each field of ``cls``: (name, type, ``Bounds`` as a dict, required)."""
    return list(_plan(cls).fields)


def decode(cls: type[T], obj: Any, path: str = "", limits: Limits = DEFAULT_LIMITS) -> T:
    """Build ``cls`` from parsed JSON, or raise ``ProtocolError`` naming the field.

    Unknown keys are ignored (a newer minor version may add fields); missing
    required keys, wrong types and values out of bounds are errors.
    """
    return typing.cast(T, _decode_value(cls, obj, path, {}, limits))


def _decode_dataclass(cls: type, obj: Any, path: str, limits: Limits) -> Any:
    if not isinstance(obj, dict):
        return _fail_type(path, "an object", obj)
    plan = _plan(cls)
    kwargs: dict[str, Any] = {}
    for name, hint, meta, required in plan.fields:
        sub = f"{path}.{name}" if path else name
        if name not in obj or (obj[name] is None and not _allows_none(hint)):
            if required:
                raise _bad(sub, f"{sub} is required")
            continue
        kwargs[name] = _decode_value(hint, obj[name], sub, meta, limits)
    try:
        return cls(**kwargs)
    except ProtocolError as exc:
        # __post_init__ checks name fields relative to their own object.
        if path and exc.field:
            exc.field = f"{path}.{exc.field}"
        raise


def _allows_none(hint: Any) -> bool:
    origin = get_origin(hint)
    return origin in UNIONS and type(None) in get_args(hint)


def max_length(meta: dict[str, Any], limits: Limits) -> int | None:
    """The longest string or list a field's ``Bounds`` (as a dict) allow under ``limits``."""
    if "limit" in meta:
        return int(getattr(limits, meta["limit"]))
    value = meta.get("max_len")
    return int(value) if value is not None else None


def _fail_type(path: str, expected: str, value: Any) -> Any:
    got = "null" if value is None else type(value).__name__
    got = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean"}.get(
        got, {"dict": "an object", "list": "a list"}.get(got, got)
    )
    raise _bad(path, f"{path or 'message'} must be {expected}, got {got}")


def _decode_value(hint: Any, value: Any, path: str, meta: dict[str, Any], limits: Limits) -> Any:
    origin = get_origin(hint)
    if origin in UNIONS:
        options = [a for a in get_args(hint) if a is not type(None)]
        if value is None:
            return None
        if len(options) == 1:
            return _decode_value(options[0], value, path, meta, limits)
        errors: list[ProtocolError] = []
        for arg in options:
            try:
                return _decode_value(arg, value, path, meta, limits)
            except ProtocolError as exc:
                errors.append(exc)
        raise errors[-1]
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            names = ", ".join(repr(a) for a in allowed)
            raise _bad(path, f"{path} must be one of {names}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            return _fail_type(path, "a list", value)
        _check_length(value, path, meta, limits, "items", " allowed")
        (item,) = get_args(hint)
        if item == _ROW:
            return _decode_rows(value, path)
        return [_decode_value(item, v, f"{path}[{i}]", {}, limits) for i, v in enumerate(value)]
    if origin is tuple:
        args = get_args(hint)
        if not isinstance(value, (list, tuple)):
            return _fail_type(path, f"a list of {len(args)} numbers", value)
        if len(value) != len(args):
            raise _bad(path, f"{path} must have {len(args)} items, got {len(value)}")
        return tuple(
            _decode_value(a, v, f"{path}[{i}]", meta, limits)
            for i, (a, v) in enumerate(zip(args, value))
        )
    if origin is dict:
        if not isinstance(value, dict):
            return _fail_type(path, "an object", value)
        _check_depth(value, path)
        return value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _decode_dataclass(hint, value, path, limits)
    if hint is str:
        if not isinstance(value, str):
            return _fail_type(path, "a string", value)
        _check_length(value, path, meta, limits, "characters")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            return _fail_type(path, "a boolean", value)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                return _fail_type(path, "an integer", value)
        _check_safe(value, path, meta)
        return _check_bounds(value, path, meta)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _fail_type(path, "a number", value)
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(path, f"{path} must be a finite number")
        _check_safe(value, path, meta)
        return float(_check_bounds(value, path, meta))
    if hint is Any:
        _check_depth(value, path)
        return value
    raise TypeError(f"schema cannot decode {hint!r} at {path}")


_ROW = list[float]
_INF = float("inf")


def _decode_rows(value: list[Any], path: str) -> list[list[float]]:
    """A list of number lists (stroke points): the hot path, checked in one tight loop."""
    rows: list[list[float]] = []
    for i, row in enumerate(value):
        if type(row) is not list:
            return _fail_type(f"{path}[{i}]", "a list of numbers", row)
        out = []
        for j, v in enumerate(row):
            kind = type(v)
            if kind is int:
                if not -MAX_SAFE_INT <= v <= MAX_SAFE_INT:
                    raise _bad(f"{path}[{i}][{j}]", f"{path}[{i}][{j}] is out of range")
                v = float(v)
            elif kind is not float:
                return _fail_type(f"{path}[{i}][{j}]", "a number", v)
            if v != v or v == _INF or v == -_INF:
                raise _bad(f"{path}[{i}][{j}]", f"{path}[{i}][{j}] must be a finite number")
            out.append(v)
        rows.append(out)
    return rows


def _check_safe(value: float, path: str, meta: dict[str, Any]) -> None:
    """A number without bounds of its own stays within +-MAX_SAFE_INT (a 400-digit integer
    would overflow a float, or reach every browser as -1e300)."""
    if "min" in meta or "max" in meta:
        return
    if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
        raise _bad(path, f"{path} must be within +-{MAX_SAFE_INT}, got {shown(value)}")


def shown(value: float) -> str:
    """A number as an error message shows it: short, however many digits it came with."""
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"{str(value)[:8]}... ({len(str(abs(value)))} digits)"
    if isinstance(value, float) and abs(value) >= 1e15:
        return f"{value:.3g}"
    return str(value)


def _check_length(
    value: Union[str, list[Any]],
    path: str,
    meta: dict[str, Any],
    limits: Limits,
    unit: str,
    tail: str = "",
) -> None:
    """``TOO_LARGE`` when ``value`` is longer than its field allows (``unit``: what it counts)."""
    most = max_length(meta, limits)
    if most is not None and len(value) > most:
        raise ProtocolError(
            ErrorCode.TOO_LARGE, f"{path} has {len(value)} {unit}, at most {most}{tail}", path
        )


def _check_depth(value: Any, path: str, most: int = MAX_JSON_DEPTH) -> None:
    """Free-form JSON nests at most ``most`` levels (each relay, client and page re-encodes it)."""
    level = [value]
    for _ in range(most + 1):
        level = [
            item
            for node in level
            if isinstance(node, (dict, list))
            for item in (node.values() if isinstance(node, dict) else node)
            if isinstance(item, (dict, list))
        ]
        if not level:
            return
    raise _bad(path, f"{path} nests deeper than {most} levels")


def _check_bounds(value: float, path: str, meta: dict[str, Any]) -> Any:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and value < low:
        raise _bad(path, f"{path} must be >= {low}, got {shown(value)}")
    if high is not None and value > high:
        raise _bad(path, f"{path} must be <= {high}, got {shown(value)}")
    return value


_SCALARS = (str, int, float, bool, type(None))
_field_names: dict[type, tuple[str, ...]] = {}


def encode(obj: Any) -> Any:
    """Dataclasses to JSON-ready values; ``None`` fields are left out."""
    kind = type(obj)
    if kind in _SCALARS:
        return obj
    if kind is list or kind is tuple:
        if all(type(v) in _SCALARS for v in obj):
            return list(obj)
        return [encode(v) for v in obj]
    if kind is dict:
        return {k: encode(v) for k, v in obj.items()}
    names = _field_names.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(obj):
            return obj
        names = _field_names[kind] = tuple(f.name for f in dataclasses.fields(obj))
    out = {}
    for name in names:
        v = getattr(obj, name)
        if v is not None:
            out[name] = encode(v)
    return out


def describe(cls: type) -> dict[str, Any]:
    """A JSON-Schema-like description of a dataclass (for docs and the browser)."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for name, hint, meta, req in _plan(cls).fields:
        props[name] = _describe_hint(hint, meta)
        if req:
            required.append(name)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def _describe_hint(hint: Any, meta: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(hint)
    if origin in UNIONS:
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return _describe_hint(options[0], meta)
        return {"oneOf": [_describe_hint(a, meta) for a in options]}
    if origin is Literal:
        return {"enum": list(get_args(hint))}
    if origin is list:
        out: dict[str, Any] = {"type": "array", "items": _describe_hint(get_args(hint)[0], {})}
        if "max_len" in meta:
            out["maxItems"] = meta["max_len"]
        if "limit" in meta:
            out["maxItems"] = getattr(DEFAULT_LIMITS, meta["limit"])
        return out
    if origin is tuple:
        args = get_args(hint)
        return {
            "type": "array",
            "prefixItems": [_describe_hint(a, meta) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin is dict:
        return {"type": "object"}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return {"$ref": f"#/$defs/{hint.__name__}"}
    base = {str: "string", bool: "boolean", int: "integer", float: "number"}.get(hint)
    out = {"type": base} if base else {}
    if hint is str:
        n = max_length(meta, DEFAULT_LIMITS)
        if n is not None:
            out["maxLength"] = n
    if "min" in meta:
        out["minimum"] = meta["min"]
    if "max" in meta:
        out["maximum"] = meta["max"]
    return out
