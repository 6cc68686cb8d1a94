"""Ctrl+C mid-stream (exit 130, a consistent log) and every documented attempt field in the
session log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import escalatui, only_session, write_task
from fakeserver import FakeServer, Reply
from spec_fields import ATTEMPT_FIELDS

pytestmark = pytest.mark.timeout(60)

RUN_FIELDS = {"status": (str,), "output": (str,), "cost_usd": (float, int)}


def test_sigint_mid_stream_exits_130_and_the_log_ends_cancelled(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    server.enqueue(Reply.drip("x" * 400, delay_s=0.05))
    task = write_task(
        tmp_path / "t.toml",
        f"""
name = "slow"
chain = ["m"]
[models.m]
provider = "openai"
base_url = "{server.base_url}"
model = "m"
[[steps]]
name = "a"
prompt = "p"
""",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalatui", "run", str(task), "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert server.wait_until(
            lambda: bool(server.chat_requests) and server.chat_requests[0].chunks_sent >= 5,
            timeout=20,
        ), "the stream never started"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "run cancelled" in out
    log = only_session(session_dir)
    attempt, run = log[-2:]
    assert run["type"] == "run" and run["status"] == "cancelled"
    assert attempt["type"] == "attempt" and attempt["complete"] is False
    assert attempt["output"].startswith("xxx") and len(attempt["output"]) < 400
    assert attempt["verdict"] == "rejected"
    # The connection was closed, so the server stops generating.
    assert server.wait_until(lambda: server.disconnects >= 1)


def test_two_step_pipeline_logs_every_spec_field(
    server: FakeServer, tmp_path: Path, session_dir: Path
) -> None:
    usage = {"prompt_tokens": 20, "completion_tokens": 5, "cost": 0.001}
    server.enqueue(Reply.text("def add(a, b): return a - b", usage=usage), model="small")
    server.enqueue(Reply.text("def add(a, b): return a + b", usage=usage), model="big")
    server.enqueue(Reply.text("assert add(1, 2) == 3", usage=usage), model="big")
    task = write_task(
        tmp_path / "pipeline.toml",
        f"""
name = "pipeline"
input = "add two numbers"
chain = ["small", "big"]
system = "Be terse."

[models.small]
provider = "openai"
base_url = "{server.base_url}/v1/"
model = "small"
temperature = 0.1

[models.big]
provider = "openai"
base_url = "{server.base_url}"
model = "big"

[[steps]]
name = "code"
prompt = "Write Python for: {{input}}. Reply as {{{{code}}}}."

  [[steps.checks]]
  kind = "regex"
  pattern = 'a \\+ b'
  feedback = "FEEDBACK-TO-BIG: use addition"

[[steps]]
name = "tests"
prompt = "Tests for:\\n{{previous}}\\n(from step {{steps.code}})"
chain = ["big"]

  [[steps.checks]]
  kind = "command"
  run = ["{sys.executable}", "-c", "import sys; sys.exit(0 if 'assert' in sys.stdin.read() else 1)"]
""",
    )
    assert escalatui("validate", task).returncode == 0
    done = escalatui("run", task, "--headless")
    assert done.returncode == 0, done.stdout + done.stderr

    bodies = [r.json for r in server.chat_requests]
    assert [b["model"] for b in bodies] == ["small", "big", "big"]
    assert bodies[0]["messages"] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Write Python for: add two numbers. Reply as {code}."},
    ]
    assert "FEEDBACK-TO-BIG: use addition" in bodies[1]["messages"][1]["content"]
    assert "return a - b" in bodies[1]["messages"][1]["content"]
    assert bodies[2]["messages"][1]["content"] == (
        "Tests for:\ndef add(a, b): return a + b\n(from step def add(a, b): return a + b)"
    )

    log = only_session(session_dir)
    assert log[0]["type"] == "session" and log[0]["schema"] == 2
    assert log[0]["task"]["name"] == "pipeline"
    attempts = [r for r in log if r["type"] == "attempt"]
    assert len(attempts) == 3
    for record in attempts:
        for name, types in ATTEMPT_FIELDS.items():
            assert name in record, f"attempt record lacks {name}"
            assert isinstance(record[name], types), (name, record[name])
        assert record["decided_by"] in ("checks", "human", "policy")
        assert record["verdict"] in ("accept", "retry", "escalate", "error", "rejected")
        assert record["started_at"].endswith("Z") and "T" in record["started_at"]
    assert [(a["step"], a["step_index"], a["attempt"], a["tier"]) for a in attempts] == [
        ("code", 0, 1, 0),
        ("code", 0, 2, 1),
        ("tests", 1, 1, 0),
    ]
    assert [(a["model"], a["provider"], a["provider_model"]) for a in attempts] == [
        ("small", "openai", "small"),
        ("big", "openai", "big"),
        ("big", "openai", "big"),
    ]
    assert [a["verdict"] for a in attempts] == ["escalate", "accept", "accept"]
    assert attempts[0]["feedback"] == "- FEEDBACK-TO-BIG: use addition"
    assert [a["decided_by"] for a in attempts] == ["checks"] * 3
    assert all(a["complete"] and a["error"] is None for a in attempts)
    assert all(a["prompt_tokens"] == 20 and a["completion_tokens"] == 5 for a in attempts)
    assert all(a["cost_usd"] == 0.001 for a in attempts)
    assert all(a["ttft_ms"] is not None and a["ttft_ms"] <= a["duration_ms"] for a in attempts)
    run = log[-1]
    assert run["type"] == "run"
    for name, types in RUN_FIELDS.items():
        assert isinstance(run[name], types), name
    assert run["status"] == "accepted"
    assert run["output"] == "assert add(1, 2) == 3"
    assert run["cost_usd"] == pytest.approx(0.003)


def test_closed_stdout_stops_cleanly_like_a_unix_tool(tmp_path: Path, session_dir: Path) -> None:
    task = write_task(
        tmp_path / "t.toml",
        """
name = "pipe"
chain = ["s"]
[models.s]
provider = "sim"
responses = ["no"]
delay_s = 0.05
[[steps]]
name = "a"
prompt = "p"
retries = 20
  [[steps.checks]]
  kind = "contains"
  text = "yes"
""",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalatui", "run", str(task), "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        assert proc.stdout.readline().startswith(b"run ")
        proc.stdout.close()  # like `| head -1`
        err = proc.stderr.read()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert b"Traceback" not in err and b"BrokenPipeError" not in err
    log = only_session(session_dir)
    assert log[-1]["type"] == "run" and log[-1]["status"] == "cancelled"
