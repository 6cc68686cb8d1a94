"""Checks on the answer's text: `contains` and `json` (with a small JSON Schema subset)."""

from __future__ import annotations

import json
import re
from typing import Any

from escalatui.config.models import ContainsCheck, JsonCheck
from escalatui.engine.events import CheckOutcome

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
    }
)
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "number": (int, float),
    "integer": (int,),
    "null": (type(None),),
}


def check_contains(check: ContainsCheck, answer: str) -> CheckOutcome:
    """Passes when the text is in the answer."""
    hay, needle = (
        (answer.lower(), check.text.lower()) if check.ignore_case else (answer, check.text)
    )
    if needle in hay:
        return CheckOutcome("contains", True)
    return CheckOutcome(
        "contains", False, check.feedback or f"The answer must contain {check.text!r}."
    )


def extract_json(answer: str) -> str:
    """The JSON inside an answer, allowing a ```json fence around it."""
    text = answer.strip()
    fence = re.fullmatch(r"```(?:json)?\s*\n(.*?)\n?```", text, re.DOTALL)
    return fence.group(1) if fence else text


def check_json(check: JsonCheck, answer: str) -> CheckOutcome:
    """Passes when the answer is JSON that fits the schema, if one is given."""
    try:
        value = json.loads(extract_json(answer))
    except ValueError as exc:
        return CheckOutcome(
            "json",
            False,
            check.feedback or f"The answer is not valid JSON ({exc}). Reply with JSON only.",
        )
    except RecursionError:
        return CheckOutcome("json", False, check.feedback or "The JSON is nested too deeply.")
    if check.json_schema:
        problems = schema_errors(value, check.json_schema, "$")
        if problems:
            detail = "; ".join(problems[:5])
            return CheckOutcome(
                "json",
                False,
                (check.feedback + f" ({detail})")
                if check.feedback
                else f"The JSON does not fit the schema: {detail}",
            )
    return CheckOutcome("json", True)


def unsupported_keywords(schema: Any) -> set[str]:
    """Schema keywords this validator does not understand (a validation error at load)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        found |= {k for k in schema if k not in SCHEMA_KEYWORDS}
        for sub in (schema.get("properties") or {}).values():
            found |= unsupported_keywords(sub)
        if isinstance(schema.get("items"), dict):
            found |= unsupported_keywords(schema["items"])
        if isinstance(schema.get("additionalProperties"), dict):
            found |= unsupported_keywords(schema["additionalProperties"])
    return found


def schema_errors(value: Any, schema: dict[str, Any], path: str, depth: int = 0) -> list[str]:
    """Where `value` breaks `schema`, as `$.a.0: problem` strings."""
    if depth > 100:
        return [f"{path}: nested too deeply"]
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        ok = any(
            isinstance(value, _TYPES.get(k, ()))
            and not (k in ("number", "integer") and isinstance(value, bool))
            for k in kinds
        )
        if not ok:
            return [f"{path}: expected {' or '.join(kinds)}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: must be one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: above {schema['maximum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: does not match {schema['pattern']!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                errors += schema_errors(item, schema["items"], f"{path}.{i}", depth + 1)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing key {key!r}")
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if key in value and isinstance(sub, dict):
                errors += schema_errors(value[key], sub, f"{path}.{key}", depth + 1)
        extra = schema.get("additionalProperties", True)
        for key in value:
            if key not in props:
                if extra is False:
                    errors.append(f"{path}: unexpected key {key!r}")
                elif isinstance(extra, dict):
                    errors += schema_errors(value[key], extra, f"{path}.{key}", depth + 1)
    return errors
