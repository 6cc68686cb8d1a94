"""Checks on the answer's text: `contains`, and `json` (JSON Schema through the `jsonschema`
package, every draft; its `pattern`s time-limited like `regex` checks)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from itertools import islice
from typing import Any

from escalatui.config.jsonschema import validator_class
from escalatui.config.models import ContainsCheck, JsonCheck
from escalatui.config.patterns import compile_pattern, search
from escalatui.engine.checks.regex import off_loop
from escalatui.engine.events import CheckOutcome

__all__ = ["check_contains", "check_json", "extract_json", "schema_errors"]

PATTERN_TIMEOUT_S = 2.0
"""Time for all of a schema's `pattern` searches on one answer."""
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


async def check_json(check: JsonCheck, answer: str) -> CheckOutcome:
    """Passes when the answer is JSON that fits the schema, if one is given. The schema's
    patterns stop after a time limit: a model's string must not hang us."""
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
    limit = PATTERN_TIMEOUT_S + _chars(value) / PATTERN_CHARS_PER_S
    try:
        schema = check.json_schema
        problems = await off_loop(lambda: schema_errors(value, schema, limit))
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


def _chars(value: Any) -> int:
    """Characters of text in a JSON value (what patterns may search), without recursion."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += sum(len(k) for k in item)
            stack += item.values()
        elif isinstance(item, list):
            stack += item
    return total


MAX_ERRORS = 50
"""Schema errors collected from one answer (five are shown); a huge bad answer stops early."""
MAX_DETAIL = 200
"""Characters of one error message: a message may quote the model's value."""


def schema_errors(
    value: Any, schema: dict[str, Any], limit_s: float = PATTERN_TIMEOUT_S
) -> list[str]:
    """Where `value` breaks `schema`, as `$.a.0: problem` strings. Raises TimeoutError when the
    schema's patterns together search for longer than `limit_s`."""
    deadline = time.monotonic() + limit_s
    compiled: dict[str, Any] = {}

    def matches(pattern: str, text: str) -> bool:
        # JSON Schema patterns are unanchored, with default flags (no multi-line ^ and $).
        if pattern not in compiled:
            compiled[pattern] = compile_pattern(pattern)
        return search(compiled[pattern], text, deadline - time.monotonic())

    validator = _timed(validator_class(schema), matches)(schema)
    try:
        found = list(islice(validator.iter_errors(value), MAX_ERRORS))
    except RecursionError:
        return ["$: nested too deeply"]
    found.sort(key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_path(e.absolute_path)}: {_message(e)}" for e in found]


def _path(parts: Any) -> str:
    return "$" + "".join(f".{p}" for p in parts)


_WORDS = {
    "minLength": "shorter than {}",
    "maxLength": "longer than {}",
    "minItems": "fewer than {} items",
    "maxItems": "more than {} items",
    "minimum": "below {}",
    "maximum": "above {}",
    "enum": "must be one of {}",
    "const": "must be {!r}",
}
"""Plain words for the common keywords (jsonschema's own messages quote the value, which may be
the model's whole answer)."""


def _message(error: Any) -> str:
    keyword, wanted = error.validator, error.validator_value
    if keyword in _WORDS:
        return _WORDS[keyword].format(wanted)
    if keyword == "required":
        return f"missing key {error.message.rsplit(' is a required property', 1)[0]}"
    if keyword == "pattern":
        return f"does not match {wanted!r}"
    if keyword == "type":
        return "expected " + (" or ".join(wanted) if isinstance(wanted, list) else str(wanted))
    message = str(error.message)
    return message if len(message) <= MAX_DETAIL else message[:MAX_DETAIL] + "..."


def _timed(cls: Any, matches: Any) -> Any:
    """`cls` with `pattern` and `patternProperties` searched by `matches` (time-limited, with
    `re` semantics) instead of jsonschema's own unlimited `re.search`."""
    from jsonschema import ValidationError, validators  # noqa: PLC0415  (lazy: start-up)

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not matches(patrn, instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    def pattern_properties(
        validator: Any, properties: dict[str, Any], instance: Any, schema: Any
    ) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        for patrn, subschema in properties.items():
            for key, item in instance.items():
                if matches(patrn, key):
                    yield from validator.descend(item, subschema, path=key, schema_path=patrn)

    def additional_properties(
        validator: Any, extra: Any, instance: Any, schema: dict[str, Any]
    ) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        known = schema.get("properties") or {}
        patterns = schema.get("patternProperties") or {}
        keys = [k for k in instance if k not in known and not any(matches(p, k) for p in patterns)]
        for key in keys:
            if validator.is_type(extra, "object"):
                yield from validator.descend(instance[key], extra, path=key)
            elif extra is False:
                yield ValidationError(f"unexpected key {key!r}")

    return validators.extend(
        cls,
        {
            "pattern": pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
        },
    )
