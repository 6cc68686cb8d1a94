"""Schema errors: dotted paths (the tagged union's tag taken out), unknown keys by name, every
error at once, and the semantic errors of the parts that did validate reported beside them."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import GOOD, problems, write

HEAD = """
name = "t"
chain = ["a"]
[models.a]
provider = "sim"
responses = ["hi"]
[[steps]]
name = "one"
prompt = "p"
[[steps]]
name = "two"
prompt = "p"
"""


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ('kind = "contains"\ntext = 3', "steps.1.checks.0.text: Input should be a valid string"),
        ('kind = "contains"', "steps.1.checks.0.text: required key is missing"),
        ('kind = "regex"\npattern = 3', "steps.1.checks.0.pattern: Input should be a valid string"),
        ('kind = "regex"\npattern = "x"\ntimeout_s = 0', "steps.1.checks.0.timeout_s: Input "),
        ('kind = "json"\nschema = 3', "steps.1.checks.0.schema: expected a table"),
        ('kind = "command"\nrun = "ls -l"', "steps.1.checks.0.run: Input should be a valid list"),
        ('kind = "command"\nrun = []', "steps.1.checks.0.run: List should have at least 1 item"),
        (
            'kind = "command"\nrun = ["ls", 3]',
            "steps.1.checks.0.run.1: Input should be a valid str",
        ),
        ('kind = "judge"\ncriteria = "c"', "steps.1.checks.0.model: required key is missing"),
        ('kind = "judge"\nmodel = "a"', "steps.1.checks.0.criteria: required key is missing"),
        ('kind = "python"\ncall = "nocolon"', "steps.1.checks.0.call: String should match pattern"),
        ('kind = "python"', "steps.1.checks.0.call: required key is missing"),
    ],
    ids=lambda v: v.split("\n")[0] if "kind" in v else "",
)
def test_check_errors_have_dotted_paths_without_the_union_tag(
    tmp_path: Path, check: str, expected: str
) -> None:
    path = write(tmp_path, HEAD + "[[steps.checks]]\n" + check + "\n")
    found = problems(path)
    assert any(p.startswith(expected) for p in found), found
    kinds = ("contains", "regex", "json", "command", "judge", "python")
    assert not any(f".{kind}." in p for p in found for kind in kinds), found


@pytest.mark.parametrize("kind", ["contains", "regex", "json", "command", "judge", "python"])
def test_unknown_key_in_every_check_kind_is_named(tmp_path: Path, kind: str) -> None:
    fields = {
        "contains": 'text = "x"',
        "regex": 'pattern = "x"',
        "json": "",
        "command": 'run = ["true"]',
        "judge": 'model = "a"\ncriteria = "c"',
        "python": 'call = "m:f"',
    }[kind]
    path = write(tmp_path, HEAD + f'[[steps.checks]]\nkind = "{kind}"\n{fields}\npaterns = 1\n')
    assert problems(path) == [
        "steps.1.checks.0: unknown key 'paterns'"
        + ("; did you mean `pattern`?" if kind == "regex" else "")
    ]


def test_unknown_keys_named_at_every_level(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name = "t"
        chian = ["a"]
        [models.a]
        provider = "sim"
        responses = ["hi"]
        temprature = 0.2
        [[steps]]
        name = "one"
        prompt = "p"
        chain = ["a"]
        retires = 2
          [[steps.checks]]
          kind = "contains"
          text = "x"
          feedbak = "y"
        """,
    )
    assert sorted(problems(path)) == [
        "(top level): unknown key 'chian'; did you mean `chain`?",
        "models.a: unknown key 'temprature'; did you mean `temperature`?",
        "steps.0.checks.0: unknown key 'feedbak'; did you mean `feedback`?",
        "steps.0: unknown key 'retires'; did you mean `retries`?",
    ]


def test_check_kind_missing_or_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + '[[steps.checks]]\ntext = "x"\n[[steps.checks]]\nkind = "grep"\n')
    found = problems(path)
    assert found[0].startswith("steps.1.checks.0: required key 'kind' is missing (one of: ")
    assert found[1].startswith("steps.1.checks.1: unknown check kind 'grep' (one of: contains")


def test_a_model_or_check_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'name = "t"\nchain = ["a"]\nmodels = {a = 3}\n'
        '[[steps]]\nname = "one"\nprompt = "p"\nchecks = [5]\n',
    )
    assert problems(path) == ["models.a: expected a table", "steps.0.checks.0: expected a table"]


def test_values_are_never_echoed(tmp_path: Path) -> None:
    """A key pasted in the wrong place must not be printed back (hide_input_in_errors)."""
    canary = "sk-or-v1-CANARY0123456789abcdef"
    path = write(
        tmp_path, GOOD + f'[models.b]\nprovider = "{canary}"\napi_key_env = ["{canary}"]\n'
    )
    found = problems(path)
    assert found and not any(canary in p for p in found)


def test_every_schema_error_at_once_with_the_semantic_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name = "t"
        chain = ["a", "missing"]
        retries = "two"
        [models.a]
        provider = "sim"
        responses = ["hi"]
        colour = "red"
        [models.b]
        provider = "nonsense"
        [[steps]]
        name = "one"
        prompt = "Use {nope}"
          [[steps.checks]]
          kind = "regex"
          pattern = "("
          [[steps.checks]]
          kind = "regex"
          pattern = 5
          [[steps.checks]]
          kind = "judge"
          model = "ghost"
          criteria = "c"
        [[steps]]
        name = "two"
        prompt = "{steps.three}"
        timeout = 3
        """,
    )
    # Schema and semantic problems together, in the order of the file's lines.
    assert problems(path) == [
        "chain: unknown model 'missing' (defined: a, b)",
        "retries: Input should be a valid integer, unable to parse string as an integer",
        "models.a: unknown key 'colour'",
        "models.b.provider: Input should be 'embedded', 'openai', 'openrouter', 'ollama', "
        "'llama-swap', 'lmstudio' or 'sim'",
        "steps.0.prompt: unknown placeholder '{nope}' (known: {input}, {previous}, "
        "{steps.NAME}, {item.KEY}; write {{ }} for literal braces)",
        "steps.0.checks.0.pattern: regex does not compile: missing ) at position 1",
        "steps.0.checks.1.pattern: Input should be a valid string",
        "steps.0.checks.2.model: unknown judge model 'ghost' (defined: a, b)",
        "steps.1.prompt: {steps.three}: no earlier step named 'three'",
        "steps.1: unknown key 'timeout'",
    ]


def test_semantics_beside_schema_errors_do_not_invent_problems(tmp_path: Path) -> None:
    """What stood in for a broken part raises nothing itself: a chain naming a broken model is
    not 'unknown', a broken step's name still counts, a broken step chain is not 'empty'."""
    path = write(
        tmp_path,
        """
        name = "t"
        [models.a]
        provider = 7
        [[steps]]
        name = "1st"
        prompt = "p"
        chain = ["a"]
        [[steps]]
        name = "two"
        prompt = "{steps.1st}"
        chain = "a"
        """,
    )
    found = problems(path)
    assert found == [
        "models.a.provider: Input should be 'embedded', 'openai', 'openrouter', 'ollama', "
        "'llama-swap', 'lmstudio' or 'sim'",
        "steps.0.name: String should match pattern '^[A-Za-z_][\\w-]*$'",
        "steps.1.chain: Input should be a valid list",
    ]


def test_broken_top_level_chain_reports_only_the_schema_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('chain = ["a"]', 'chain = "a"'))
    assert problems(path) == ["chain: Input should be a valid list"]


def test_steps_must_be_present_and_non_empty(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "t"\nsteps = []\n')
    assert problems(path) == ["steps: List should have at least 1 item after validation, not 0"]
