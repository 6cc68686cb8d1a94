"""No raw control byte from a task file, a session file, a server or a file name ever reaches the
terminal: every command's stdout and stderr, byte for byte, as a user's terminal would get it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w
from cli_helpers import RUN_TIMEOUT_S
from fakeserver import FakeServer, Reply

pytestmark = pytest.mark.timeout(90)

# An OSC 52 clipboard write, clear screen, an 8-bit CSI asking for the cursor, a bell, DEL, a
# carriage return that would overwrite the line, and NUL.
EVIL = "\x1b]52;c;aGFjaw==\x07\x1b[2J\x9b6n\x07\x7f\r\x00\x85end"
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The CLI as bytes, as a terminal receives them."""
    return subprocess.run(
        [sys.executable, "-m", "escalatui", *map(str, args)],
        capture_output=True,
        timeout=RUN_TIMEOUT_S,
        cwd=cwd,
        env=os.environ.copy(),
    )


def assert_inert(done: subprocess.CompletedProcess[bytes]) -> str:
    """stdout and stderr are UTF-8 text with no control character but tab and newline; both,
    joined, are returned for further checks."""
    text = done.stdout.decode("utf-8") + done.stderr.decode("utf-8")
    found = FORBIDDEN.search(text)
    assert found is None, f"raw {found.group()!r} at {found.start()} in {text!r}"
    assert "Traceback" not in text
    return text


def evil_task(path: Path, base_url: str | None = None) -> Path:
    """Every name a task file can carry is full of escapes; the check fails with feedback that
    is too, so the feedback is printed."""
    model = (
        {"provider": "openai", "base_url": base_url, "model": EVIL}
        if base_url
        else {"provider": "sim", "responses": [f"answer {EVIL}"], "cost_usd": 0.001}
    )
    data = {
        "name": f"task {EVIL}",
        "description": EVIL,
        "input": EVIL,
        "chain": [EVIL],
        "models": {EVIL: {**model, "label": f"label {EVIL}"}},
        "steps": [
            {
                "name": "write",
                "prompt": "Say {input}",
                "checks": [{"kind": "contains", "text": "never", "feedback": f"fb {EVIL}"}],
            }
        ],
    }
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_headless_run_shows_task_names_model_ids_labels_and_feedback_inert(
    tmp_path: Path, session_dir: Path
) -> None:
    done = run("run", evil_task(tmp_path / "task.toml"), "--headless")
    text = assert_inert(done)
    assert done.returncode == 1
    assert "task \\x1b]52;c;aGFjaw==\\x07\\x1b[2J\\x9b6n" in text  # the task name, made visible
    assert "label \\x1b]52" in text and "fb \\x1b]52" in text


def test_json_mode_and_server_error_messages_are_inert(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    body = {"error": {"message": f"bad {EVIL}", "code": 400}}
    server.enqueue(Reply.error(400, body))
    server.enqueue(Reply.error(400, body))
    task = evil_task(tmp_path / "task.toml", base_url=server.base_url)
    done = run("run", task, "--headless")
    text = assert_inert(done)
    assert done.returncode == 1 and "bad \\x1b]52" in text
    done = run("run", task, "--json")
    assert_inert(done)
    errors = [json.loads(line).get("error") or "" for line in done.stdout.splitlines()]
    assert any("bad \x1b]52" in e for e in errors)  # JSON keeps it exact, escaped


def test_validate_quotes_names_and_file_names_inert(tmp_path: Path) -> None:
    bad = tmp_path / f"x{EVIL.replace(chr(0), '')}.toml"  # a file name may hold escapes too
    data = {"name": EVIL, "chain": [EVIL], "steps": [{"name": "s", "prompt": "p"}]}
    bad.write_text(tomli_w.dumps(data), encoding="utf-8")
    done = run("validate", bad, evil_task(tmp_path / "ok.toml"))
    text = assert_inert(done)
    assert done.returncode == 2
    assert "x\\x1b]52;c;aGFjaw==\\x07" in text  # the file name, made visible
    assert "ok.toml: ok" in text


def crafted_session(directory: Path) -> Path:
    """A session file written by hand: every text field full of escapes."""
    directory.mkdir(parents=True, exist_ok=True)
    tier = {"index": 0, "model": EVIL, "provider": EVIL, "provider_model": EVIL, "label": EVIL}
    attempt = {
        "type": "attempt", "step": EVIL, "step_index": 0, "attempt": 1, "tier": 0,
        "model": EVIL, "provider": EVIL, "provider_model": EVIL, "warm": None,
        "started_at": EVIL, "duration_ms": 5, "ttft_ms": None, "prompt_tokens": None,
        "completion_tokens": None, "cost_usd": None, "output": EVIL, "complete": False,
        "error": EVIL, "verdict": "retry", "feedback": EVIL, "decided_by": "checks",
        "checks": [{"kind": EVIL, "passed": False, "feedback": EVIL, "error": EVIL}],
    }  # fmt: skip
    records = [
        {
            "type": "session", "schema": 1, "run_id": EVIL, "task_name": EVIL,
            "task_path": EVIL, "started_at": EVIL, "input": EVIL, "approval": EVIL,
            "budget_usd": None, "steps": [EVIL],
        },
        {"type": "step", "step": EVIL, "step_index": 0, "chain": [tier]},
        {"type": "notice", "message": EVIL, "level": "warning"},
        attempt,
        {**attempt, "verdict": EVIL},  # not a verdict: reported, never shown raw
        {
            "type": "run", "status": "accepted", "output": EVIL, "cost_usd": 0.5,
            "duration_ms": 9, "attempts": 1, "error": EVIL, "outputs": {EVIL: EVIL},
        },
    ]  # fmt: skip
    path = directory / f"20260101-000000-evil{EVIL.replace(chr(0), '')}.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join([*lines, EVIL]) + "\n", encoding="utf-8")  # and a junk line
    return path


def test_replay_headless_of_a_crafted_session_is_inert(session_dir: Path) -> None:
    done = run("replay", crafted_session(session_dir), "--headless")
    text = assert_inert(done)
    assert done.returncode == 0
    assert "\\x1b]52;c;aGFjaw==\\x07" in text and "line 5: damaged attempt record" in text
    assert "line 7: not valid JSON" in text


def test_sessions_lists_a_crafted_session_inert(session_dir: Path) -> None:
    crafted_session(session_dir)
    done = run("sessions")
    text = assert_inert(done)
    assert done.returncode == 0 and text.count("\\x1b]52;c;aGFjaw==") == 3  # time, task, file
    done = run("sessions", "--json")
    assert_inert(done)
    (listed,) = json.loads(done.stdout)
    assert listed["task"] == EVIL  # JSON keeps the text exact, escaped
