"""The JSON Schema of a `json` check: every draft the `jsonschema` package knows (2020-12 when
the schema names none), and what is wrong with a schema at load.

`jsonschema` is imported on first use: `escalatui --version` and `validate` of a task without a
schema stay fast.
"""

from __future__ import annotations

import warnings
from typing import Any

from escalatui.config.patterns import pattern_error

# Keys whose values are data, not schemas: a "pattern" inside them is not a pattern.
_DATA_KEYS = frozenset({"const", "enum", "default", "examples"})


def validator_class(schema: dict[str, Any]) -> Any:
    """The validator for the draft the schema's `$schema` names, else draft 2020-12."""
    from jsonschema import Draft202012Validator, validators  # noqa: PLC0415  (lazy: start-up)

    with warnings.catch_warnings():  # an unknown `$schema` means the default, not a warning
        warnings.simplefilter("ignore", DeprecationWarning)
        return validators.validator_for(schema, default=Draft202012Validator)


def schema_problems(schema: Any, path: str = "schema") -> list[tuple[str, str]]:
    """(dotted path, message) for everything that would make a `json` check meaningless: a
    schema its draft's meta-schema rejects (an unknown type name, a keyword of the wrong
    shape), and patterns that do not compile under the rules of `regex` checks."""
    if not isinstance(schema, dict):
        return [(path, "a schema must be a table")]
    from jsonschema import SchemaError  # noqa: PLC0415  (lazy: start-up)

    try:
        # No format checking: jsonschema would compile patterns with `re`, and patterns follow
        # the rules of `regex` checks (below).
        validator_class(schema).check_schema(schema, format_checker=None)
    except SchemaError as exc:
        where = path + "".join(f".{p}" for p in exc.absolute_path)
        if where.endswith(".type") and (unknown := _unknown_type(exc.instance)):
            return [(where, f"unknown type {unknown!r} (known: {', '.join(TYPES)})")]
        return [(where, _short(exc.message))]
    return _pattern_problems(schema, path)


TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")
"""JSON Schema's type names."""


def _unknown_type(value: Any) -> str | None:
    names = value if isinstance(value, list) else [value]
    return next((str(n) for n in names if n not in TYPES), None)


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[:limit] + "..."


def _pattern_problems(schema: Any, path: str) -> list[tuple[str, str]]:
    """Every `pattern` and `patternProperties` key that does not compile, walking the schema
    (without recursion: a deep schema from a file must not overflow the stack)."""
    problems: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(schema, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack += [(item, f"{where}.{i}") for i, item in enumerate(node)]
            continue
        if not isinstance(node, dict):
            continue
        patterns = [(f"{where}.pattern", node["pattern"])] if "pattern" in node else []
        keyed = node.get("patternProperties")
        if isinstance(keyed, dict):
            patterns += [(f"{where}.patternProperties.{k}", k) for k in keyed]
        for at, pattern in patterns:
            if isinstance(pattern, str) and (error := pattern_error(pattern)):
                problems.append((at, f"pattern does not compile: {error}"))
        stack += [(v, f"{where}.{k}") for k, v in node.items() if k not in _DATA_KEYS]
    return sorted(problems)
