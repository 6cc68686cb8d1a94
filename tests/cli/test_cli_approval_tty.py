"""`--headless --approval manual` with a person at a terminal: real keys through a pty."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import only_session, write_task
from fakeserver import FakeServer, Reply

pytestmark = pytest.mark.timeout(60)
WAIT_S = 20.0
PROMPT = "[f]eedback > "


class Terminal:
    """escalatui with a pty as its stdin and stderr (where it asks); stdout is a pipe."""

    def __init__(self, *args: str | Path) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "escalatui", *map(str, args)],
            stdin=slave,
            stderr=slave,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        os.close(slave)
        self.seen = ""

    def wait_for(self, text: str, count: int = 1) -> str:
        """Read the terminal until `text` has appeared `count` times in all."""
        deadline = time.monotonic() + WAIT_S
        while self.seen.count(text) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {text!r}; the terminal shows:\n{self.seen}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                try:
                    self.seen += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:  # the child closed the pty
                    break
        assert self.seen.count(text) >= count, self.seen
        return self.seen

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self) -> tuple[int, str]:
        out, _ = self.proc.communicate(timeout=WAIT_S)
        return self.proc.returncode, out

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
        os.close(self.master)


@pytest.fixture
def terminal() -> Iterator[list[Terminal]]:
    made: list[Terminal] = []
    yield made
    for t in made:
        t.close()


def task(tmp_path: Path, server: FakeServer) -> Path:
    return write_task(
        tmp_path / "task.toml",
        f"""
name = "ask-me"
chain = ["cheap", "strong"]
[models.cheap]
provider = "openai"
base_url = "{server.base_url}"
model = "cheap"
[models.strong]
provider = "openai"
base_url = "{server.base_url}"
model = "strong"
[[steps]]
name = "answer"
prompt = "Q"
  [[steps.checks]]
  kind = "contains"
  text = "42"
""",
    )


def start(made: list[Terminal], path: Path, mode: str = "manual") -> Terminal:
    t = Terminal("run", path, "--headless", "--approval", mode)
    made.append(t)
    return t


def test_override_needs_a_second_a_and_feedback_goes_with_escalate(
    server: FakeServer, tmp_path: Path, session_dir: Path, terminal: list[Terminal]
) -> None:
    server.enqueue(Reply.text("It is 41"), model="cheap")
    server.enqueue(Reply.text("It is 42"), model="strong")
    t = start(terminal, task(tmp_path, server))
    shown = t.wait_for(PROMPT)
    assert "checks propose escalate" in shown and "It is 41" in shown
    t.press("a")
    t.wait_for("accept although the checks failed? press a again")
    t.press("r")  # any other key cancels
    t.wait_for("cancelled")
    t.wait_for(PROMPT, 2)
    t.press("f")
    t.wait_for("feedback (one line, then r or e): ")
    t.press("the answer is 42\n")
    t.wait_for(PROMPT, 3)
    t.press("e")
    shown = t.wait_for(PROMPT, 4)
    assert "checks propose accept" in shown and "It is 42" in shown
    t.press("a")  # following the checks: one key
    code, out = t.finish()
    assert code == 0, t.seen
    assert "run accepted" in out and "It is 42" in out
    first, second = [r for r in only_session(session_dir) if r["type"] == "attempt"]
    assert (first["verdict"], first["decided_by"], first["feedback"]) == (
        "escalate",
        "human",
        "the answer is 42",
    )
    assert "the answer is 42" in server.chat_requests[1].json["messages"][-1]["content"]
    assert (second["verdict"], second["decided_by"]) == ("accept", "human")


def test_a_twice_accepts_over_failed_checks(
    server: FakeServer, tmp_path: Path, session_dir: Path, terminal: list[Terminal]
) -> None:
    server.enqueue(Reply.text("It is 41"), model="cheap")
    t = start(terminal, task(tmp_path, server))
    t.wait_for(PROMPT)
    t.press("a")
    t.wait_for("press a again")
    t.press("a")
    code, out = t.finish()
    assert code == 0, t.seen
    [first] = [r for r in only_session(session_dir) if r["type"] == "attempt"]
    assert (first["verdict"], first["decided_by"], first["output"]) == (
        "accept",
        "human",
        "It is 41",
    )


def test_x_rejects_and_the_run_fails_with_exit_1(
    server: FakeServer, tmp_path: Path, session_dir: Path, terminal: list[Terminal]
) -> None:
    server.enqueue(Reply.text("It is 41"), model="cheap")
    t = start(terminal, task(tmp_path, server), mode="escalation")
    # escalation mode: asked before escalating
    t.wait_for(PROMPT)
    t.press("x")
    code, out = t.finish()
    assert code == 1, t.seen
    assert "run failed" in out and "aborted by a person" in out
    log = only_session(session_dir)
    assert log[-1]["status"] == "failed"
    [first] = [r for r in log if r["type"] == "attempt"]
    assert (first["verdict"], first["decided_by"]) == ("rejected", "human")


def test_e_on_the_last_tier_says_so(
    server: FakeServer, tmp_path: Path, session_dir: Path, terminal: list[Terminal]
) -> None:
    server.enqueue(Reply.text("It is 41"), model="cheap")
    server.enqueue(Reply.text("It is 43"), model="strong")
    t = start(terminal, task(tmp_path, server))
    t.wait_for(PROMPT)
    t.press("e")
    t.wait_for(PROMPT, 2)
    t.press("e")
    t.wait_for("no stronger model in the chain")
    t.press("x")
    code, _ = t.finish()
    assert code == 1, t.seen


def test_a_headless_batch_asks_about_one_item_at_a_time(
    tmp_path: Path, server: FakeServer, terminal: list[Terminal]
) -> None:
    server.responder = lambda req: Reply.text("it is 42")  # the checks pass: one key
    inputs = tmp_path / "items.jsonl"
    inputs.write_text('{"id": "first", "input": "one"}\n{"id": "second", "input": "two"}\n')
    t = Terminal(
        "batch", task(tmp_path, server), "--inputs", inputs, "--headless", "--approval",
        "manual", "--concurrency", "2", "--session-dir", tmp_path / "s",
    )  # fmt: skip
    terminal.append(t)
    t.wait_for(PROMPT)
    assert t.seen.count("--- item ") == 1  # the other item waits its turn
    t.press("a")
    t.wait_for(PROMPT, 2)
    assert t.seen.count("--- item ") == 2
    t.press("a")
    code, out = t.finish()
    assert code == 0, out
    assert "[first] accepted" in out and "[second] accepted" in out
