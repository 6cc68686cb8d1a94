"""`--help` answers: every argument and option of every command says what it is for, the top
level ends with exit codes, environment variables and examples, `run` names the reference."""

from __future__ import annotations

import argparse

import pytest

from escalatui.cli import build_parser


def parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    top = build_parser()
    found = [("escalatui", top)]
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            found += [(f"escalatui {name}", p) for name, p in action.choices.items()]
    return found


def test_every_command_is_walked() -> None:
    names = {name for name, _ in parsers()}
    assert {"escalatui run", "escalatui new", "escalatui schema", "escalatui validate"} <= names


@pytest.mark.parametrize(("name", "parser"), parsers(), ids=lambda x: str(x))
def test_no_argument_or_option_lacks_help(name: str, parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        label = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"{name}: {label} has no help"
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help, f"{name}: command {choice.dest} has no help"


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_ends_with_exits_environment_and_examples(capsys) -> None:
    text = help_of(capsys)
    tail = text[text.index("exit codes:") :]
    for line in ("0 ", "1 ", "2 ", "130"):
        assert f"\n  {line}" in tail
    assert "aborted (x)" in tail
    for var in ("ESCALATUI_CONFIG", "ESCALATUI_SESSION_DIR", "OPENROUTER_API_KEY"):
        assert var in tail
    examples = tail[tail.index("examples:") :].splitlines()[1:3]
    assert all(line.strip().startswith("escalatui ") for line in examples)
    # The epilog keeps its own line breaks (RawDescriptionHelpFormatter).
    assert "\n  130  interrupted" in text


def test_run_help_names_the_reference(capsys) -> None:
    assert "docs/reference.md" in help_of(capsys, "run")


def test_new_help_lists_the_providers(capsys) -> None:
    text = help_of(capsys, "new")
    assert "ollama" in text and "--cloud" in text
