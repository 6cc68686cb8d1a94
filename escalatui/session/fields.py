"""Type checks for records read back from a session file.

A session file may be damaged or edited by hand; a record whose fields do not have the types the
engine writes (`"feedback": ["a"]`, `"cost_usd": "x"`, `"attempt": null`) is reported and
skipped instead of reaching a printer or a screen that trusts its types.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from functools import cache
from typing import Any, Literal, Union

from escalatui.engine import events


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(events))


def wrong_field(cls: type, data: Any) -> str | None:
    """What is wrong with `data` as the fields of dataclass `cls` (None when nothing is).
    Missing fields are left to the constructor; unknown ones are ignored like everywhere."""
    if not isinstance(data, dict):
        return f"expected an object, not {_kind(data)}"
    for name, hint in _hints(cls).items():
        if name in data and not _fits(data[name], hint):
            return f"field {name!r} has the wrong type ({_kind(data[name])})"
    return None


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return True
    if hint is type(None) or hint is None:
        return value is None
    if origin in (Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is Literal:
        return any(type(value) is type(a) and value == a for a in args)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:  # json.loads accepts NaN and Infinity; the engine never writes them
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if hint is str:
        return isinstance(value, str)
    if origin is tuple:
        return isinstance(value, list | tuple) and all(_fits(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            isinstance(k, str) and _fits(v, args[1]) for k, v in value.items()
        )
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return wrong_field(hint, value) is None
    return False


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "a boolean", type(None): "null"}
    if isinstance(value, float) and not math.isfinite(value):
        return "not a finite number"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "other")
