"""Semantic errors: what the schema cannot see, caught before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import GOOD, problems, write

from escalatui.config import load_task

TWO_STEPS = """
name = "t"
chain = ["a"]
[models.a]
provider = "sim"
responses = ["hi"]
[[steps]]
name = "one"
prompt = "{input}"
[[steps]]
name = "two"
prompt = "PROMPT"
"""


def with_prompt(prompt: str) -> str:
    return TWO_STEPS.replace("PROMPT", prompt)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace('chain = ["a"]', 'chain = ["a", "big"]'),
            "chain: unknown model 'big' (defined: a)",
        ),
        (
            GOOD.replace('chain = ["a"]', "chain = []"),
            "steps.0.chain: empty chain: give the step or the task at least one model",
        ),
        (
            GOOD.replace('chain = ["a"]', ""),
            "steps.0.chain: empty chain: give the step or the task at least one model",
        ),
        (
            GOOD + 'chain = ["zz"]\n',  # the step's own chain
            "steps.0.chain: unknown model 'zz' (defined: a)",
        ),
        (
            GOOD + '[[steps.checks]]\nkind = "regex"\npattern = "a[b"\n',
            "steps.0.checks.0.pattern: regex does not compile: unterminated character set",
        ),
        (
            GOOD.replace("Say {input}", "Say {inptu}"),
            "steps.0.prompt: unknown placeholder '{inptu}'",
        ),
        (
            GOOD.replace("Say {input}", "Improve {previous}"),
            "steps.0.prompt: {previous} in the first step: there is no previous step",
        ),
        (
            with_prompt("{steps.two}"),
            "steps.1.prompt: {steps.two}: no earlier step named 'two'",
        ),
        (
            TWO_STEPS.replace("{input}", "{steps.two}").replace("PROMPT", "x"),
            "steps.0.prompt: {steps.two}: no earlier step named 'two'",
        ),
        (
            with_prompt("{steps.nine}"),
            "steps.1.prompt: {steps.nine}: no earlier step named 'nine'",
        ),
        (
            TWO_STEPS.replace('name = "two"', 'name = "one"'),
            "steps.1.name: duplicate step name 'one'",
        ),
        (
            GOOD + '[[steps.checks]]\nkind = "judge"\nmodel = "critic"\ncriteria = "c"\n',
            "steps.0.checks.0.model: unknown judge model 'critic' (defined: a)",
        ),
        (
            GOOD.replace('responses = ["hi"]', ""),
            "models.a: a sim model needs `responses` or `respond`",
        ),
        (
            GOOD.replace('responses = ["hi"]', 'respond = "not a ref"'),
            "models.a.respond: expected 'module:function'",
        ),
        (
            GOOD + '[models.b]\nprovider = "openai"\nmodel = "m"\n',
            "models.b.base_url: provider 'openai' needs a base_url",
        ),
        (
            GOOD + '[models.b]\nprovider = "llama-swap"\nmodel = "m"\n',
            "models.b.base_url: provider 'llama-swap' needs a base_url",
        ),
        (
            GOOD + '[models.b]\nprovider = "openrouter"\n',
            "models.b.model: required: the provider's model id",
        ),
        (
            GOOD + '[models.b]\nprovider = "ollama"\nmodel = "m"\nbase_url = "localhost:1"\n',
            "models.b.base_url: must start with http:// or https://",
        ),
        (
            GOOD.replace("Say {input}", "a } b"),
            "steps.0.prompt: stray '}' at offset 2: write }} for a literal brace",
        ),
        (
            GOOD.replace("Say {input}", "a { b"),
            "steps.0.prompt: stray '{' at offset 2",
        ),
        (
            GOOD.replace("Say {input}", "{input"),
            "steps.0.prompt: stray '{' at offset 0",
        ),
        (
            'feedback_template = "Fix: {feedback} {reason}"\n' + GOOD,
            "feedback_template: unknown placeholder '{reason}' (known: {feedback}, {answer})",
        ),
        (
            GOOD + '[[steps.checks]]\nkind = "command"\nrun = ["no-such-tool-xyz", "-v"]\n',
            "steps.0.checks.0.run: command 'no-such-tool-xyz' not found on PATH",
        ),
    ],
)
def test_semantic_error(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(write(tmp_path, text))
    assert any(p.startswith(expected) for p in found), found


def test_embedded_gguf_missing_names_the_absolute_path(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '[models.b]\nprovider = "embedded"\nmodel = "w/tiny.gguf"\n')
    assert problems(path) == [f"models.b.model: GGUF file not found: {tmp_path}/w/tiny.gguf"]


def test_embedded_gguf_is_found_next_to_the_task_and_made_absolute(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "tiny.gguf").write_bytes(b"GGUF")
    text = GOOD + '[models.b]\nprovider = "embedded"\nmodel = "w/tiny.gguf"\n'
    loaded = load_task(write(tmp_path, text))
    assert loaded.task.models["b"].model == str(tmp_path / "w" / "tiny.gguf")


def test_placeholders_that_are_fine(tmp_path: Path) -> None:
    text = with_prompt("{{literal}} {previous} {steps.one} {input} }}{{")
    loaded = load_task(write(tmp_path, text))
    assert [s.name for s in loaded.task.steps] == ["one", "two"]


def test_task_chain_error_reported_once_not_per_step(tmp_path: Path) -> None:
    text = TWO_STEPS.replace('chain = ["a"]', 'chain = ["a", "big"]').replace("PROMPT", "x")
    assert problems(write(tmp_path, text)) == ["chain: unknown model 'big' (defined: a)"]


def test_providers_with_a_default_address_need_no_base_url(tmp_path: Path) -> None:
    models = "".join(
        f'[models.{p}]\nprovider = "{p}"\nmodel = "m"\n'
        for p in ("openrouter", "ollama", "lmstudio")
    )
    load_task(write(tmp_path, GOOD + models))


def test_command_given_by_path_is_not_looked_up(tmp_path: Path) -> None:
    text = GOOD + '[[steps.checks]]\nkind = "command"\nrun = ["./check.sh"]\n'
    load_task(write(tmp_path, text))


JSON_CHECK = GOOD + '[[steps.checks]]\nkind = "json"\nschema = SCHEMA\n'


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ("{oneOf = []}", ["steps.0.checks.0.schema.oneOf: [] should be non-empty"]),
        ("{minLength = -1}", ["steps.0.checks.0.schema.minLength: -1 is less than the minimum"]),
        ('{type = "str"}', ["steps.0.checks.0.schema.type: unknown type 'str'"]),
        ('{type = ["string", "int"]}', ["steps.0.checks.0.schema.type: unknown type 'int'"]),
        (
            '{properties = {a = {pattern = "(x"}}}',
            ["steps.0.checks.0.schema.properties.a.pattern: pattern does not compile"],
        ),
        ("{properties = {a = 5}}", ["steps.0.checks.0.schema.properties.a: 5 is not of type"]),
        (
            '{patternProperties = {"(x" = {}}, items = {pattern = "a{4294967296}"}}',
            [
                "steps.0.checks.0.schema.items.pattern: pattern does not compile",
                "steps.0.checks.0.schema.patternProperties.(x: pattern does not compile",
            ],
        ),
    ],
)
def test_json_schema_problems_are_validation_errors(
    tmp_path: Path, schema: str, expected: list[str]
) -> None:
    found = problems(write(tmp_path, JSON_CHECK.replace("SCHEMA", schema)))
    assert len(found) == len(expected), found
    for problem, start in zip(found, expected, strict=True):
        assert problem.startswith(start), found


def test_supported_json_schema_is_fine(tmp_path: Path) -> None:
    schema = (
        '{"$schema" = "x", title = "t", description = "d", type = "object", '
        'required = ["a"], additionalProperties = false, properties = {a = {type = "array", '
        'minItems = 1, maxItems = 3, items = {type = ["string", "null"], pattern = "^x", '
        'minLength = 1, maxLength = 9, enum = ["x"]}}, b = {type = "number", minimum = 0, '
        "maximum = 1, const = 1, default = 1, examples = [1]}}}"
    )
    load_task(write(tmp_path, JSON_CHECK.replace("SCHEMA", schema)))


def test_every_keyword_of_the_draft_is_understood(tmp_path: Path) -> None:
    """Full JSON Schema (the `jsonschema` package): combinators, references, formats."""
    schema = (
        '{"$defs" = {id = {type = "string", pattern = "^\\\\p{L}+$"}}, type = "object", '
        'properties = {a = {anyOf = [{type = "null"}, {"$ref" = "#/$defs/id"}]}, '
        'b = {format = "date"}, c = {oneOf = [{const = 1}, {const = 2}]}}, '
        "additionalProperties = {allOf = [{}]}}"
    )
    load_task(write(tmp_path, JSON_CHECK.replace("SCHEMA", schema)))
