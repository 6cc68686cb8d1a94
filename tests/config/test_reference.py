"""docs/reference.md documents every key: its generated tables match the models, and every
field of every model (task, step, model, each check kind, user config) has a row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from escalatui.config import models, reference

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reference.md"


def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def block(name: str) -> str:
    found = re.search(rf"<!-- generated:{name} -->\n(.*?)<!-- /generated:{name} -->", doc(), re.S)
    assert found, f"docs/reference.md has no generated block '{name}'"
    return found.group(1)


def test_generated_tables_are_current() -> None:
    assert reference.render(doc()) == doc(), (
        "docs/reference.md is out of date: run "
        "`python -m escalatui.config.reference docs/reference.md`"
    )


@pytest.mark.parametrize("name", sorted(reference.TABLES))
def test_every_field_of_every_model_has_a_row(name: str) -> None:
    model = reference.TABLES[name]
    rows = block(name)
    for field_name, field in model.model_fields.items():
        key = field.alias or field_name
        assert f"| `{key}` |" in rows, f"`{key}` of {model.__name__} is not in docs/reference.md"
        assert field.description, f"`{key}` of {model.__name__} has no docstring"


def test_every_model_that_a_file_can_hold_has_a_table() -> None:
    check_models = set(get_args(get_args(models.Check)[0]))
    assert check_models | {models.Task, models.Step, models.ModelSpec, models.UserConfig} <= set(
        reference.TABLES.values()
    )


def test_every_provider_has_a_row_with_its_own_keys() -> None:
    rows = block("providers")
    for provider in get_args(models.Provider):
        assert f"| `{provider}` |" in rows
    sim = next(line for line in rows.splitlines() if line.startswith("| `sim` |"))
    assert "`responses`" in sim and "`respond`" in sim


def test_a_provider_without_facts_cannot_be_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(reference.PROVIDER_FACTS, "sim")
    with pytest.raises(KeyError):
        reference.provider_table()


def test_the_reference_covers_what_a_task_writer_needs() -> None:
    text = doc()
    for topic in (
        "{previous}",
        "{steps.NAME}",
        "feedback_template",
        "`escalation`",
        "budget_usd",
        "accept_truncated",
        "flags",
        "trusted_hosts",
        "[keymap]",
        "ESCALATUI_CONFIG",
        "ESCALATUI_SESSION_DIR",
        "OPENROUTER_API_KEY",
        "| 130 |",
        "`attempt`",
        "#:schema",
    ):
        assert topic in text, topic


def test_readme_links_the_reference_and_cites_no_missing_spec() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/reference.md" in readme
    assert "project spec" not in readme


def test_code_comments_cite_nothing_outside_the_repository() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "escalatui").rglob("*.py")
        if re.search(r"SPEC\b|RELIABILITY|\.\./shared|STYLE\.md", path.read_text("utf-8"))
    ]
    assert offenders == []


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "reference.md"
    stale.write_text("<!-- generated:task -->\nold\n<!-- /generated:task -->\n", encoding="utf-8")
    assert reference.main(["--check", str(stale)]) == 1
    assert reference.main([str(stale)]) == 0
    assert "| `retries` |" in stale.read_text(encoding="utf-8")
    assert reference.main(["--check", str(stale)]) == 0


def toml_examples(text: str) -> list[str]:
    return [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "[[steps]]" in b]


@pytest.mark.parametrize("name", ["README.md", "docs/reference.md"])
def test_task_examples_in_the_docs_validate(name: str, tmp_path: Path, capsys) -> None:
    from escalatui.cli import main

    examples = toml_examples((ROOT / name).read_text(encoding="utf-8"))
    assert examples
    for i, text in enumerate(examples):
        path = tmp_path / f"example{i}.toml"
        path.write_text(text, encoding="utf-8")
        assert main(["validate", str(path)]) == 0, capsys.readouterr().err
