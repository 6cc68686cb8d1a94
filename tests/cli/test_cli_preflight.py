"""`run` refuses, before the first tier spends anything, when a later tier can never get its
key; the bundled demo still falls back to its simulated tier."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import escalatui, session_files, write_task

TASK = """
name = "t"
chain = ["cheap", "strong"]

[models.cheap]
provider = "sim"
responses = ["wrong"]

[models.strong]
provider = "openrouter"
model = "openai/gpt-4o-mini"

[[steps]]
name = "one"
prompt = "p"
"""


def test_run_refuses_before_the_first_tier(tmp_path: Path, session_dir: Path) -> None:
    path = write_task(tmp_path / "t.toml", TASK)
    for mode in ("--headless", "--json"):
        done = escalatui("run", path, mode)
        assert done.returncode == 2
        assert done.stdout == ""
        assert "OPENROUTER_API_KEY is not set: tier `strong` will fail" in done.stderr
        assert "not started" in done.stderr
        assert "Traceback" not in done.stderr
    assert session_files(session_dir) == []  # no attempt ran, nothing was logged


def test_run_refuses_for_a_judge_that_cannot_run(tmp_path: Path, session_dir: Path) -> None:
    text = TASK.replace('chain = ["cheap", "strong"]', 'chain = ["cheap"]')
    text += '\n  [[steps.checks]]\n  kind = "judge"\n  model = "strong"\n  criteria = "c"\n'
    done = escalatui("run", write_task(tmp_path / "t.toml", text), "--headless")
    assert done.returncode == 2
    assert "judge `strong` will fail" in done.stderr
    assert session_files(session_dir) == []


def test_run_goes_ahead_when_every_tier_can_run(tmp_path: Path, session_dir: Path) -> None:
    text = TASK.replace('chain = ["cheap", "strong"]', 'chain = ["cheap"]')
    done = escalatui("run", write_task(tmp_path / "t.toml", text), "--headless")
    assert done.returncode == 0, done.stderr
    assert len(session_files(session_dir)) == 1
