"""The bundled examples: valid, on the home screen, and runnable headless; with the local tier
swapped for a sim that answers badly, each one's checks reject that answer and accept the
second tier's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from escalatui import paths
from escalatui.cli import main
from escalatui.tui.catalog import find_tasks

NEW_EXAMPLES = {
    "extract-json.toml": "extract-invoice",
    "write-function.toml": "write-function",
    "summarise-judge.toml": "summarise-judge",
}
LOCAL = '[models.smollm2]\nprovider = "embedded"'


def test_examples_are_listed_on_the_home_screen() -> None:
    listed = {(e.source, e.path.name, e.name) for e in find_tasks()}
    for file, name in NEW_EXAMPLES.items():
        assert ("example", file, name) in listed


@pytest.mark.parametrize("file", sorted(NEW_EXAMPLES))
def test_examples_validate(file: str, capsys) -> None:
    assert main(["validate", str(paths.examples_dir() / file)]) == 0
    assert capsys.readouterr().err == ""


def with_bad_local_tier(tmp_path: Path, file: str, answer: str) -> Path:
    """A copy of the examples dir (helpers included) whose local tier is a sim saying `answer`."""
    copy = tmp_path / "examples"
    shutil.copytree(paths.examples_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert LOCAL in text
    bad = f'[models.smollm2]\nprovider = "sim"\nresponses = [{answer!r}]\n[models.unused]\n'
    path.write_text(text.replace(LOCAL, bad + 'provider = "embedded"'), encoding="utf-8")
    return path


def run(path: Path, capsys) -> tuple[int, str]:
    code = main(["run", str(path), "--headless"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    ("file", "bad", "accepted"),
    [
        ("extract-json.toml", '{"vendor": "ACME", "date": "2026-01-31"}', '"vendor": "Northwind'),
        ("write-function.toml", "def is_palindrome(text):\n    return True", "letters[::-1]"),
        ("summarise-judge.toml", "word " * 60, "Old Railway Becomes Riverside Path"),
    ],
)
def test_example_escalates_past_a_bad_answer(
    tmp_path: Path, capsys, file: str, bad: str, accepted: str
) -> None:
    code, out = run(with_bad_local_tier(tmp_path, file, bad), capsys)
    assert code == 0, out
    assert "-> escalate" in out
    assert out.rstrip().endswith(accepted.strip()) or accepted in out.split("--- output ---")[1]


def test_extraction_rejects_a_vendor_not_in_the_input(tmp_path: Path, capsys) -> None:
    invented = '{"vendor": "ACME", "date": "2026-03-14", "total": 1239, "currency": "EUR"}'
    code, out = run(with_bad_local_tier(tmp_path, "extract-json.toml", invented), capsys)
    assert code == 0
    assert "does not appear in the invoice" in out
