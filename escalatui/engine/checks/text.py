"""Checks on the answer's text: `contains` and `json` (with a small JSON Schema subset)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from escalatui.config.jsonschema import TYPES
from escalatui.config.models import ContainsCheck, JsonCheck
from escalatui.engine.checks.regex import RegexWorker
from escalatui.engine.events import CheckOutcome

__all__ = ["check_contains", "check_json", "extract_json", "schema_errors"]

PATTERN_TIMEOUT_S = 2.0
"""Time for all of a schema's `pattern` searches on one answer (they run in the regex worker)."""
PATTERN_CHARS_PER_S = 1_000_000
"""Plus one second per this many characters searched: a large answer takes linear time, which
is not the runaway (exponential) backtracking the limit is there to stop."""


def check_contains(check: ContainsCheck, answer: str) -> CheckOutcome:
    """Passes when the text is in the answer."""
    hay, needle = (
        (answer.lower(), check.text.lower()) if check.ignore_case else (answer, check.text)
    )
    if needle in hay:
        return CheckOutcome(kind="contains", passed=True)
    return CheckOutcome(
        kind="contains",
        passed=False,
        feedback=check.feedback or f"The answer must contain {check.text!r}.",
    )


def extract_json(answer: str) -> str:
    """The JSON inside an answer, allowing a ```json fence around it."""
    text = answer.strip()
    fence = re.fullmatch(r"```(?:json)?\s*\n(.*?)\n?```", text, re.DOTALL)
    return fence.group(1) if fence else text


async def check_json(check: JsonCheck, answer: str, worker: RegexWorker) -> CheckOutcome:
    """Passes when the answer is JSON that fits the schema, if one is given. The schema's
    `pattern`s run in the regex worker with a time limit: a model's string must not hang us."""
    try:
        value = json.loads(extract_json(answer))
    except ValueError as exc:
        return CheckOutcome(
            kind="json",
            passed=False,
            feedback=check.feedback
            or f"The answer is not valid JSON ({exc}). Reply with JSON only.",
        )
    except RecursionError:
        return CheckOutcome(
            kind="json", passed=False, feedback=check.feedback or "The JSON is nested too deeply."
        )
    if not check.json_schema:
        return CheckOutcome(kind="json", passed=True)
    searches: list[tuple[str, str, str]] = []
    problems = schema_errors(value, check.json_schema, "$", searches=searches)
    limit = PATTERN_TIMEOUT_S + sum(len(text) for _, _, text in searches) / PATTERN_CHARS_PER_S
    try:
        problems += await _pattern_errors(searches, worker, limit)
    except TimeoutError:
        return CheckOutcome(
            kind="json", passed=False, error=f"schema pattern timed out after {limit:.1f}s"
        )
    if not problems:
        return CheckOutcome(kind="json", passed=True)
    detail = "; ".join(problems[:5])
    return CheckOutcome(
        kind="json",
        passed=False,
        feedback=(check.feedback + f" ({detail})")
        if check.feedback
        else f"The JSON does not fit the schema: {detail}",
    )


async def _pattern_errors(
    searches: list[tuple[str, str, str]], worker: RegexWorker, limit_s: float
) -> list[str]:
    """Run the deferred `pattern` searches, one round trip per pattern; TimeoutError past
    `limit_s` in all."""
    by_pattern: dict[str, list[tuple[str, str]]] = {}
    for path, pattern, text in searches:
        by_pattern.setdefault(pattern, []).append((path, text))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    errors: list[str] = []
    for pattern, found in by_pattern.items():
        left = deadline - loop.time()
        if left <= 0:
            raise TimeoutError
        # JSON Schema patterns are unanchored, with default flags (no multi-line ^ and $).
        matches = await worker.search_many(pattern, [t for _, t in found], left)
        errors += [
            f"{p}: does not match {pattern!r}"
            for (p, _), ok in zip(found, matches, strict=True)
            if not ok
        ]
    return errors


def schema_errors(
    value: Any,
    schema: dict[str, Any],
    path: str,
    depth: int = 0,
    searches: list[tuple[str, str, str]] | None = None,
) -> list[str]:
    """Where `value` breaks `schema`, as `$.a.0: problem` strings. With `searches`, `pattern`
    keywords are not run here but collected as (path, pattern, text) for the caller to run."""
    if depth > 100:
        return [f"{path}: nested too deeply"]
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        ok = any(
            isinstance(value, TYPES.get(k, ()))
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
        if "pattern" in schema:
            if searches is not None:
                searches.append((path, str(schema["pattern"]), value))
            elif not re.search(schema["pattern"], value):
                errors.append(f"{path}: does not match {schema['pattern']!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                errors += schema_errors(item, schema["items"], f"{path}.{i}", depth + 1, searches)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing key {key!r}")
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if key in value and isinstance(sub, dict):
                errors += schema_errors(value[key], sub, f"{path}.{key}", depth + 1, searches)
        extra = schema.get("additionalProperties", True)
        for key in value:
            if key not in props:
                if extra is False:
                    errors.append(f"{path}: unexpected key {key!r}")
                elif isinstance(extra, dict):
                    errors += schema_errors(value[key], extra, f"{path}.{key}", depth + 1, searches)
    return errors
