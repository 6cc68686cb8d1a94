"""`escalatui schema`: a JSON Schema of task files that an independent validator (jsonschema)
accepts every bundled example with, and that rejects what `validate` rejects."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from escalatui import paths
from escalatui.cli import main
from escalatui.config.task_schema import task_json_schema
from escalatui.starter import LOCAL_TIERS, starter_text

EXAMPLES = sorted(paths.examples_dir().glob("*.toml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = task_json_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def errors(validator: jsonschema.protocols.Validator, data: dict[str, Any]) -> list[str]:
    return [e.message for e in validator.iter_errors(data)]


def test_the_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == task_json_schema()
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_there_are_examples_to_check() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_bundled_example_validates(validator, path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert errors(validator, data) == []


@pytest.mark.parametrize("provider", sorted(LOCAL_TIERS))
def test_every_starter_validates(validator, provider: str) -> None:
    for cloud in ("openrouter", "sim"):
        data = tomllib.loads(starter_text("t.toml", provider, cloud))
        assert errors(validator, data) == []


@pytest.mark.parametrize(
    ("where", "key"),
    [((), "retry"), (("steps", 0), "promt"), (("models", "smollm2"), "temprature")],
)
def test_a_misspelt_key_is_rejected(validator, where: tuple[str | int, ...], key: str) -> None:
    data = tomllib.loads((paths.examples_dir() / "demo.toml").read_text(encoding="utf-8"))
    table: Any = data
    for part in where:
        table = table[part]
    table[key] = 1
    found = errors(validator, data)
    assert found and key in " ".join(found)


def test_a_misspelt_check_key_and_a_wrong_enum_are_rejected(validator) -> None:
    data = tomllib.loads((paths.examples_dir() / "demo.toml").read_text(encoding="utf-8"))
    data["steps"][0]["checks"][0]["shema"] = {}
    assert errors(validator, data)
    data = tomllib.loads((paths.examples_dir() / "demo.toml").read_text(encoding="utf-8"))
    data["approval"] = "sometimes"
    assert errors(validator, data)
    data["approval"] = "auto"
    data["models"]["smollm2"]["provider"] = "gpt"
    assert errors(validator, data)


def test_enums_and_descriptions_are_in_the_schema() -> None:
    schema = task_json_schema()
    assert schema["properties"]["approval"]["enum"] == ["auto", "manual", "escalation"]
    provider = schema["$defs"]["ModelSpec"]["properties"]["provider"]
    assert "openrouter" in provider["enum"]
    assert "cheapest first" in schema["properties"]["chain"]["description"]
    regex = schema["$defs"]["RegexCheck"]
    assert regex["additionalProperties"] is False
    assert regex["properties"]["pattern"]["description"]
    # TOML has no null: optional keys are simply left out, never offered as `null`.
    assert "null" not in json.dumps(schema)


def test_the_schema_directive_is_only_a_comment_to_escalatui(tmp_path: Path, capsys) -> None:
    text = (paths.examples_dir() / "demo.toml").read_text(encoding="utf-8")
    path = tmp_path / "demo.toml"
    path.write_text("#:schema ./task.schema.json\n" + text, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
