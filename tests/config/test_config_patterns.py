"""Every way a pattern can fail to compile, in a `regex` check and in a JSON-schema `pattern`,
is a validation error naming the file and line (from `validate` and from `run`), never a
traceback; an unknown regex flag names its dotted path."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import GOOD, validate, write

from escalatui.cli import main

DEEP = "(" * 5000 + "a" + ")" * 5000
BAD_PATTERNS = [
    ("a(", "missing ) at position 2"),
    ("a{4294967296}", "repeat count too big at position 2"),
    (DEEP, "groups nested too deeply"),
]


def toml_literal(pattern: str) -> str:
    return "'" + pattern + "'"


def regex_task(pattern: str, extra: str = "") -> str:
    return (
        GOOD
        + f'  [[steps.checks]]\n  kind = "regex"\n  pattern = {toml_literal(pattern)}\n'
        + extra
    )


def schema_task(pattern: str) -> str:
    return (
        GOOD
        + '  [[steps.checks]]\n  kind = "json"\n'
        + '  [steps.checks.schema]\n  type = "array"\n'
        + '  [steps.checks.schema.items]\n  type = "string"\n'
        + f"  pattern = {toml_literal(pattern)}\n"
    )


@pytest.mark.parametrize(("pattern", "message"), BAD_PATTERNS)
def test_a_regex_check_that_does_not_compile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str, message: str
) -> None:
    path = write(tmp_path, regex_task(pattern))
    code, _, err = validate(capsys, path)
    assert code == 2
    assert err.splitlines() == [
        f"{path}:14: steps.0.checks.0.pattern: regex does not compile: {message}"
    ]
    assert "Traceback" not in err


@pytest.mark.parametrize(("pattern", "message"), BAD_PATTERNS)
def test_a_schema_pattern_that_does_not_compile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str, message: str
) -> None:
    path = write(tmp_path, schema_task(pattern))
    code, _, err = validate(capsys, path)
    assert code == 2
    assert err.splitlines() == [
        f"{path}:18: steps.0.checks.0.schema.items.pattern: pattern does not compile: {message}"
    ]


def test_a_schema_pattern_must_be_a_string(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, schema_task("x").replace("pattern = 'x'", "pattern = 5"))
    code, _, err = validate(capsys, path)
    assert code == 2
    assert "steps.0.checks.0.schema.items.pattern: 5 is not of type 'string'" in err


def test_run_reports_it_before_any_model_is_called(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, regex_task(DEEP))
    code = main(["run", str(path), "--headless"])
    _, err = capsys.readouterr()
    assert code == 2
    assert f"{path}:14: steps.0.checks.0.pattern: regex does not compile: " in err
    assert "Traceback" not in err


def test_flags_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, regex_task("^x$", '  flags = ["multiline", "ignorecase", "dotall"]\n'))
    assert validate(capsys, good)[0] == 0
    bad = write(tmp_path, regex_task("^x$", '  flags = ["multiline", "verbose"]\n'), "bad.toml")
    code, _, err = validate(capsys, bad)
    assert code == 2
    assert err.startswith(f"{bad}:15: steps.0.checks.0.flags.1: Input should be ")
