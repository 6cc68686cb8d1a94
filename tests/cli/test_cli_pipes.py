"""A reader that goes away (`| head -1`) and a closed stdout (`>&-`): no traceback, a
sensible exit code, and nothing written where it does not belong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import only_session, write_task

pytestmark = pytest.mark.timeout(60)
SESSION = (
    '{"type": "session", "schema": 1, "run_id": "r%d", "started_at": "2025-01-01T00:00:00Z",'
    ' "task": {"name": "t"}, "approval": "auto"}\n'
    '{"type": "run", "status": "accepted", "output": "", "cost_usd": 0.0}\n'
)


def sim_task(tmp_path: Path, lines: int = 1) -> Path:
    answer = "\\n".join(f"line {i}" for i in range(lines))
    return write_task(
        tmp_path / "t.toml",
        f"""
name = "pipes"
chain = ["s"]
[models.s]
provider = "sim"
responses = ["{answer}"]
[[steps]]
name = "a"
prompt = "p"
""",
    )


def first_line_then_close(*args: str | Path) -> tuple[str, int, str]:
    """Like `escalatui ARGS | head -1`: read one line, close the pipe, wait for the exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalatui", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline().decode()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return line, proc.returncode, err


def test_sessions_into_a_closed_pipe(tmp_path: Path, session_dir: Path) -> None:
    session_dir.mkdir(parents=True)
    for i in range(3000):  # far more than a pipe buffer holds
        (session_dir / f"2025-01-01-{i:05d}.jsonl").write_text(SESSION % i)
    line, code, err = first_line_then_close("sessions")
    assert "accepted" in line
    assert code == 141, err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_headless_run_into_a_closed_pipe(tmp_path: Path, session_dir: Path) -> None:
    line, code, err = first_line_then_close("run", sim_task(tmp_path, 5000), "--headless")
    assert line.startswith("run ")
    assert code == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert only_session(session_dir)[-1]["status"] == "cancelled"


@pytest.mark.parametrize("command", ["run", "sessions", "validate"])
def test_stdout_closed(tmp_path: Path, session_dir: Path, command: str) -> None:
    task = sim_task(tmp_path)
    args = {
        "run": ["run", task, "--headless"],
        "sessions": ["sessions"],
        "validate": ["validate", task],
    }
    done = subprocess.run(
        [sys.executable, "-m", "escalatui", *map(str, args[command])],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        preexec_fn=lambda: os.close(1),  # `>&-`
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    if command == "run":
        # the log took no stray output: every line is a whole JSON record
        log = only_session(session_dir)
        assert log[-1]["status"] == "accepted"
