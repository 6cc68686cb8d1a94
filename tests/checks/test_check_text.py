"""`contains` and `json` checks, including deep nesting and schema failures with paths."""

from __future__ import annotations

import json

import pytest

from escalatui.config.models import ContainsCheck, JsonCheck
from escalatui.engine.checks import text
from escalatui.engine.checks.text import check_contains, check_json, schema_errors


def contains(text: str, **kw: object) -> ContainsCheck:
    return ContainsCheck.model_validate({"kind": "contains", "text": text, **kw})


def test_contains_passes_and_fails_with_feedback() -> None:
    assert check_contains(contains("fn "), "pub fn add()").passed
    failed = check_contains(contains("fn "), "def add()")
    assert not failed.passed and failed.error is None
    assert failed.feedback == "The answer must contain 'fn '."
    custom = check_contains(contains("x", feedback="Say x."), "y")
    assert custom.feedback == "Say x."


def test_contains_is_case_sensitive_unless_told() -> None:
    assert not check_contains(contains("Hello"), "hello world").passed
    assert check_contains(contains("Hello", ignore_case=True), "HELLO world").passed
    assert check_contains(contains("straße", ignore_case=True), "STRASSE straße").passed


def schema_check(schema: dict | None = None, **kw: object) -> JsonCheck:
    return JsonCheck.model_validate({"kind": "json", "schema": schema, **kw})


async def test_valid_json_passes() -> None:
    assert (await check_json(schema_check(), '{"a": [1, 2]}')).passed
    assert (await check_json(schema_check(), "  42\n")).passed


async def test_invalid_json_fails_with_the_parser_message() -> None:
    outcome = await check_json(schema_check(), '{"a": 1,}')
    assert not outcome.passed and outcome.error is None
    assert (
        outcome.feedback and "not valid JSON" in outcome.feedback and "line 1" in outcome.feedback
    )


async def test_fenced_json_is_accepted() -> None:
    assert (await check_json(schema_check(), '```json\n{"a": 1}\n```')).passed
    assert (await check_json(schema_check(), "```\n[1]\n```\n")).passed


async def test_json_nested_100k_levels_fails_cleanly() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    outcome = await check_json(schema_check(), deep)
    assert not outcome.passed and outcome.feedback == "The JSON is nested too deeply."
    with_schema = await check_json(schema_check({"type": "array"}), deep)
    assert not with_schema.passed


def test_schema_validation_depth_is_bounded() -> None:
    deep = json.loads("[" * 500 + "]" * 500)
    nested: dict = {"type": "array"}
    nested["items"] = nested  # descends as deep as the value goes
    errors = schema_errors(deep, nested)
    assert errors and errors[0].endswith(": nested too deeply")


SCHEMA = {
    "type": "object",
    "required": ["name", "tags"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 2},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "maxItems": 2},
    },
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"name": "Al", "tags": ["a"]}, None),
        ({"name": "Al"}, "$: missing key 'tags'"),
        ({"name": "A", "tags": []}, "$.name: shorter than 2"),
        ({"name": "Al", "tags": [], "x": 1}, "$: unexpected key 'x'"),
        ({"name": "Al", "tags": ["a", "c"]}, "$.tags.1: must be one of ['a', 'b']"),
        ({"name": "Al", "tags": ["a", "a", "b"]}, "$.tags: more than 2 items"),
        ({"name": "Al", "tags": [], "age": -1}, "$.age: below 0"),
        ({"name": "Al", "tags": [], "age": True}, "$.age: expected integer"),
        ({"name": "Al", "tags": [], "age": 1.5}, "$.age: expected integer"),
        ([1], "$: expected object"),
    ],
)
async def test_schema_failures_name_the_path(value: object, expected: str | None) -> None:
    outcome = await check_json(schema_check(SCHEMA), json.dumps(value))
    if expected is None:
        assert outcome.passed, outcome
    else:
        assert not outcome.passed and outcome.error is None
        assert outcome.feedback and expected in outcome.feedback, outcome.feedback


async def test_custom_feedback_keeps_the_detail() -> None:
    check = schema_check({"type": "object", "required": ["a"]}, feedback="Give an object.")
    outcome = await check_json(check, "{}")
    assert outcome.feedback == "Give an object. ($: missing key 'a')"


async def test_schema_pattern_is_unanchored_and_not_multiline() -> None:
    check = schema_check({"type": "array", "items": {"type": "string", "pattern": "^b"}})
    assert (await check_json(check, '["bc", "b"]')).passed
    outcome = await check_json(check, '["bc", "a\\nb", "xb"]')
    assert not outcome.passed
    assert outcome.feedback and "$.1: does not match '^b'" in outcome.feedback
    assert "$.2: does not match" in outcome.feedback


@pytest.mark.timeout(30)
async def test_catastrophic_schema_pattern_is_a_check_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(text, "PATTERN_TIMEOUT_S", 0.3)
    check = schema_check({"type": "string", "pattern": "^(a|aa)+$"})
    outcome = await check_json(check, json.dumps("a" * 40 + "b"))
    assert not outcome.passed
    assert outcome.error and "schema pattern timed out after 0.3s" in outcome.error
    # The next answer is checked normally.
    assert (await check_json(check, json.dumps("aaa"))).passed


async def test_many_strings_against_one_pattern() -> None:
    check = schema_check({"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}})
    values = ["abc"] * 20_000 + ["ABC"]
    outcome = await check_json(check, json.dumps(values))
    assert not outcome.passed and outcome.feedback and "$.20000: does not match" in outcome.feedback


async def test_a_large_valid_answer_passes() -> None:
    """200k items, each searched with the schema's pattern: a pass (not a check error)."""
    check = schema_check({"type": "array", "items": {"type": "string", "pattern": "^id-[0-9]+$"}})
    answer = json.dumps([f"id-{i}" for i in range(200_000)])
    outcome = await check_json(check, answer)
    assert outcome.passed, outcome
    failing = json.dumps([f"id-{i}" for i in range(199_999)] + ["nope"])
    outcome = await check_json(check, failing)
    assert not outcome.passed and outcome.error is None
    assert outcome.feedback and "$.199999: does not match" in outcome.feedback


async def test_the_pattern_time_limit_grows_with_the_text_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Searching a large answer takes linear time, which is not what the limit stops: each
    character searched adds to it (here the base limit is zero, so only that allowance)."""
    monkeypatch.setattr(text, "PATTERN_TIMEOUT_S", 0.0)
    monkeypatch.setattr(text, "PATTERN_CHARS_PER_S", 10)
    check = schema_check({"type": "array", "items": {"type": "string", "pattern": "^id-[0-9]+$"}})
    outcome = await check_json(check, json.dumps([f"id-{i}" for i in range(1000)]))
    assert outcome.passed, outcome


async def test_full_drafts_combinators_and_references_are_checked() -> None:
    check = schema_check(
        {
            "$defs": {"id": {"type": "string", "pattern": r"^\p{L}+-\d+$"}},
            "type": "object",
            "properties": {"a": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/id"}]}},
        }
    )
    assert (await check_json(check, '{"a": "ab-1"}')).passed
    assert (await check_json(check, '{"a": null}')).passed
    outcome = await check_json(check, '{"a": "1-ab"}')
    assert not outcome.passed and outcome.error is None and "$.a:" in (outcome.feedback or "")


@pytest.mark.timeout(30)
async def test_a_runaway_key_pattern_is_a_check_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """`patternProperties` (and `additionalProperties` beside it) search the model's keys with
    the same time limit as `pattern`."""
    monkeypatch.setattr(text, "PATTERN_TIMEOUT_S", 0.3)
    schema = {"patternProperties": {"^(a|aa)+$": {}}, "additionalProperties": False}
    outcome = await check_json(schema_check(schema), json.dumps({"a" * 40 + "b": 1}))
    assert not outcome.passed and outcome.error and "timed out" in outcome.error
    assert (await check_json(schema_check(schema), '{"aa": 1}')).passed
    outcome = await check_json(schema_check(schema), '{"b": 1}')
    assert outcome.feedback and "$: unexpected key 'b'" in outcome.feedback
