"""The JSON Schema subset a `json` check understands, and what is wrong with a schema at load."""

from __future__ import annotations

from typing import Any

from escalatui.config.patterns import pattern_error

SCHEMA_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "pattern",
        "title",
        "description",
        "$schema",
        # Annotations: nothing to check, so ignoring them is correct.
        "$id",
        "$comment",
        "default",
        "examples",
    }
)
TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "number": (int, float),
    "integer": (int,),
    "null": (type(None),),
}


def _subschemas(schema: dict[str, Any], path: str) -> list[tuple[Any, str]]:
    """The nested schemas the validator descends into, with their dotted paths."""
    subs: list[tuple[Any, str]] = []
    properties = schema.get("properties")
    if isinstance(properties, dict):
        subs += [(sub, f"{path}.properties.{key}") for key, sub in properties.items()]
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            subs.append((schema[key], f"{path}.{key}"))
    return subs


def unsupported_keywords(schema: Any) -> set[str]:
    """Schema keywords this validator does not understand (a validation error at load)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        found |= {k for k in schema if k not in SCHEMA_KEYWORDS}
        for sub, _ in _subschemas(schema, ""):
            found |= unsupported_keywords(sub)
    return found


def schema_problems(schema: Any, path: str = "schema") -> list[tuple[str, str]]:
    """(dotted path, message) for everything that would make a `json` check meaningless:
    unsupported keywords (it would silently ignore them), unknown type names (nothing could
    ever pass) and patterns that do not compile."""
    if not isinstance(schema, dict):
        return [(path, "a schema must be a table")]
    problems: list[tuple[str, str]] = []
    for key in sorted(k for k in schema if k not in SCHEMA_KEYWORDS):
        problems.append(
            (path, f"unsupported JSON Schema keyword '{key}' (supported: {_supported()})")
        )
    kind = schema.get("type")
    for name in kind if isinstance(kind, list) else [] if kind is None else [kind]:
        if name not in TYPES:
            problems.append((f"{path}.type", f"unknown type {name!r} (known: {', '.join(TYPES)})"))
    if "pattern" in schema:
        pattern = schema["pattern"]
        if not isinstance(pattern, str):
            problems.append((f"{path}.pattern", "a pattern must be a string"))
        elif error := pattern_error(pattern):
            problems.append((f"{path}.pattern", f"pattern does not compile: {error}"))
    for sub, sub_path in _subschemas(schema, path):
        problems += schema_problems(sub, sub_path)
    return problems


def _supported() -> str:
    return ", ".join(sorted(k for k in SCHEMA_KEYWORDS if not k.startswith("$")))
