"""Checks inside a real run of a task file: a helper module beside the task is importable, a
check that crashes is an error verdict (never an accept), a config error stops the run."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

from escalatui.clients.registry import ClientPool
from escalatui.config import load_task
from escalatui.engine.drive import drive
from escalatui.engine.events import AttemptDecided, Event, RunFinished
from escalatui.engine.runner import Runner


async def run_task(path: Path) -> tuple[list[Event], RunFinished]:
    loaded = load_task(path)
    runner = Runner(loaded.task, ClientPool(loaded.task.models), task_path=loaded.path)
    events: list[Event] = []
    finished = await drive(runner, [events.append])
    return events, finished


def attempts(events: list[Event]) -> list[AttemptDecided]:
    return [e for e in events if isinstance(e, AttemptDecided)]


def task_file(directory: Path, checks: str, responses: str = '["def f", "fn f"]') -> Path:
    path = directory / "task.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "checked"
            chain = ["cheap", "strong"]
            [models.cheap]
            provider = "sim"
            responses = {responses}
            [models.strong]
            provider = "sim"
            responses = ["fn strong"]
            [[steps]]
            name = "write"
            prompt = "Write a function."
            """
        )
        + textwrap.dedent(checks)
    )
    return path


async def test_python_check_beside_the_task_file_steers_the_run(tmp_path: Path) -> None:
    mod = f"task_checks_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{mod}.py").write_text(
        "def has_fn(answer):\n    return None if 'fn' in answer else 'Use the fn keyword.'\n"
    )
    path = task_file(tmp_path, f'[[steps.checks]]\nkind = "python"\ncall = "{mod}:has_fn"\n')
    events, finished = await run_task(path)
    first, second = attempts(events)
    assert (first.verdict, first.feedback) == ("escalate", "- Use the fn keyword.")
    assert "Use the fn keyword." in second.prompt
    assert finished.status == "accepted" and finished.output == "fn strong"


async def test_a_crashing_check_is_an_error_verdict_never_an_accept(tmp_path: Path) -> None:
    mod = f"task_checks_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{mod}.py").write_text("def crash(answer):\n    raise RuntimeError('oops')\n")
    path = task_file(tmp_path, f'[[steps.checks]]\nkind = "python"\ncall = "{mod}:crash"\n')
    events, finished = await run_task(path)
    verdicts = [a.verdict for a in attempts(events)]
    assert "accept" not in verdicts and verdicts[0] == "error"
    first = attempts(events)[0]
    assert first.checks[0].error == f"{mod}:crash raised RuntimeError: oops"
    assert finished.status == "failed"


async def test_command_exit_127_stops_the_run_as_a_config_error(tmp_path: Path) -> None:
    path = task_file(
        tmp_path, '[[steps.checks]]\nkind = "command"\nrun = ["sh", "-c", "exit 127"]\n'
    )
    events, finished = await run_task(path)
    assert [a.verdict for a in attempts(events)] == ["rejected"]
    assert finished.status == "failed"
    assert finished.error and "exit 127 (command not found)" in finished.error


async def test_regex_and_json_checks_together(tmp_path: Path) -> None:
    checks = """
    [[steps.checks]]
    kind = "regex"
    pattern = '"name"'
    [[steps.checks]]
    kind = "json"
    schema = {type = "object", required = ["name"], properties = {name = {pattern = "^[a-z]+$"}}}
    """
    path = task_file(tmp_path, checks, responses='[\'{"name": "Bob"}\']')
    path.write_text(path.read_text().replace('["fn strong"]', '[\'{"name": "bob"}\']'))
    events, finished = await run_task(path)
    first, second = attempts(events)
    assert first.verdict == "escalate"
    assert first.feedback and "$.name: does not match '^[a-z]+$'" in first.feedback
    assert second.verdict == "accept" and finished.status == "accepted"
