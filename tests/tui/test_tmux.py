"""A real terminal: escalatui runs in tmux against a local server; a person approves by key.

What the pane shows is what a person would see: the answer arrives with markup and escape
sequences in it, and they must appear as text while the title and clipboard stay untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakeserver import FakeServer, Reply
from tui_helpers import write_task

from escalatui.session.resolve import resolved
from escalatui.tui.terminal import QUIT_GRACE_S

pytestmark = [pytest.mark.tmux, pytest.mark.timeout(90)]
WAIT_S = 30.0
ANSWER = (
    "the RIGHT answer [bold]not bold[/bold] [@click=app.quit]q[/] "
    "\x1b]0;pwned\x07\x1b]52;c;SGVsbG8=\x07\x1b[2J\x1b[H still here"
)

if shutil.which("tmux") is None and not os.environ.get("CI"):
    pytest.skip("tmux is not installed", allow_module_level=True)


class Pane:
    """One tmux session on a private server (its own socket), 120x40."""

    def __init__(self, socket: str, config: Path) -> None:
        self.base = ["tmux", "-L", socket, "-f", str(config)]

    def tmux(self, *args: str) -> str:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=10)
        return done.stdout

    def start(
        self,
        name: str,
        argv: str,
        exit_file: Path,
        pid_file: Path | None = None,
        size: tuple[int, int] = (120, 40),
    ) -> None:
        """Run escalatui with `argv` in a new session (120x40 unless `size`); its exit code goes
        to exit_file (and its process id to pid_file)."""
        # Under pytest the pane's environment carries LINES=24 COLUMNS=80, which Rich (and so
        # the app) would believe over the real pane size: drop them.
        app = f"env -u LINES -u COLUMNS {sys.executable} -m escalatui {argv}"
        if pid_file is not None:
            app = f"sh -c 'echo $$ > {pid_file}; exec {app}'"
        command = f"{app}; echo $? > {exit_file}; sleep 30"
        cols, rows = size
        self.tmux("new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), command)

    def screen(self, name: str) -> str:
        return self.tmux("capture-pane", "-p", "-t", name)

    def wait_for(self, name: str, predicate: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            shown = self.screen(name)
            if predicate(shown):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the pane shows:\n{self.screen(name)}")


def exit_code(path: Path) -> str:
    """The exit code the pane's shell wrote, once the app has ended."""
    deadline = time.monotonic() + WAIT_S
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, "the app did not exit"
        time.sleep(0.1)
    return path.read_text().strip()


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    config = tmp_path / "tmux.conf"
    # set-clipboard on: an OSC 52 that reached the terminal would become a tmux buffer.
    config.write_text("set -g set-clipboard on\nset -g status off\n")
    p = Pane(f"escalatui-test-{os.getpid()}", config)
    yield p
    socket = p.tmux("display-message", "-p", "#{socket_path}").strip()
    p.tmux("kill-server")
    if socket:
        Path(socket).unlink(missing_ok=True)


def test_run_approve_and_replay_in_a_real_terminal(
    pane: Pane, tmp_path: Path, session_dir: Path
) -> None:
    with FakeServer() as server:
        server.enqueue(Reply.text(ANSWER, delay_s=0.01))
        model = {"provider": "openai", "base_url": server.base_url, "model": "m"}
        path = write_task(tmp_path, {"m": model}, approval="manual", name="tmux-task")
        pane.start("app", f"run {path} --session-dir {session_dir}", tmp_path / "run-exit")
        shown = pane.wait_for("app", lambda s: "Your decision" in s, "the approval prompt")
        assert "[bold]not bold[/bold] [@click=app.quit]q[/]" in shown
        assert "\\x1b]0;pwned\\x07" in shown and "\\x1b[2J" in shown
        assert "a Approve" in shown and "e Escalate" in shown  # the footer
        pane.tmux("send-keys", "-t", "app", "a")
        pane.wait_for("app", lambda s: "run accepted" in s, "the run to be accepted")
        assert pane.tmux("display", "-p", "-t", "app", "#{pane_title}").strip() != "pwned"
        buffers = pane.tmux("list-buffers")
        assert "SGVsbG8" not in buffers and "Hello" not in buffers
        pane.tmux("send-keys", "-t", "app", "q")
        assert exit_code(tmp_path / "run-exit") == "0"
    [log] = session_dir.glob("*.jsonl")
    records = resolved([json.loads(line) for line in log.read_text().split("\n") if line])
    [attempt] = [r for r in records if r["type"] == "attempt"]
    assert (attempt["verdict"], attempt["decided_by"], attempt["output"]) == (
        "accept",
        "human",
        ANSWER,
    )
    assert records[-1]["type"] == "run" and records[-1]["status"] == "accepted"

    pane.start("replay", f"replay {log}", tmp_path / "replay-exit")
    pane.wait_for(
        "replay",
        lambda s: all(x in s for x in ("end of session", "[bold]not bold[/bold]", "human")),
        "the replay to show the run",
    )
    pane.tmux("send-keys", "-t", "replay", "q")
    assert exit_code(tmp_path / "replay-exit") == "0"


def test_sigterm_mid_stream_ends_the_log_consistently(
    pane: Pane, tmp_path: Path, session_dir: Path
) -> None:
    with FakeServer() as server:
        server.enqueue(Reply.drip("a very slow answer " * 40, delay_s=0.05))
        model = {"provider": "openai", "base_url": server.base_url, "model": "m"}
        path = write_task(tmp_path, {"m": model}, approval="manual", name="sigterm-task")
        pid_file = tmp_path / "pid"
        pane.start("app", f"run {path} --session-dir {session_dir}", tmp_path / "exit", pid_file)
        pane.wait_for("app", lambda s: "a very slow" in s, "the stream")
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        assert exit_code(tmp_path / "exit") == "130"
    [log] = session_dir.glob("*.jsonl")
    records = resolved([json.loads(line) for line in log.read_text().split("\n") if line])
    assert [r["type"] for r in records][-2:] == ["attempt", "run"]
    assert records[-2]["complete"] is False and records[-2]["output"].startswith("a very slow")
    assert records[-1]["status"] == "cancelled"


def process_gone(pid: int) -> bool:
    """The process has ended (a zombie not yet reaped counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.mark.timeout(240)
def test_closing_the_terminal_ends_the_app_every_time(
    pane: Pane, tmp_path: Path, session_dir: Path
) -> None:
    """Killing the tmux session hangs up the terminal mid-stream: the app must end, and end
    by quitting (its log closed with a `cancelled` run), not stay alive writing to nothing."""
    loops = 5
    answer = Reply.drip("a slow answer that keeps coming " * 100, delay_s=0.02)
    with FakeServer(default=answer) as server:
        model = {"provider": "openai", "base_url": server.base_url, "model": "m"}
        path = write_task(tmp_path, {"m": model}, approval="manual", name="hangup-task")
        for i in range(loops):
            run_dir = session_dir / str(i)
            pid_file = tmp_path / f"pid-{i}"
            name = f"app{i}"
            pane.start(
                name, f"run {path} --session-dir {run_dir}", tmp_path / f"exit-{i}", pid_file
            )
            pane.wait_for(name, lambda s: "slow answer" in s, "the stream")
            pid = int(pid_file.read_text())
            pane.tmux("kill-session", "-t", name)
            # Well before the backstop that ends a stuck app after QUIT_GRACE_S: this checks
            # that the app quits by itself, not that the backstop works.
            deadline = time.monotonic() + QUIT_GRACE_S * 0.8
            while not process_gone(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not process_gone(pid):
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"loop {i}: the app stayed alive after its terminal closed")
            [log] = run_dir.glob("*.jsonl")
            last = json.loads(log.read_text().strip().split("\n")[-1])
            assert (last["type"], last["status"]) == ("run", "cancelled"), f"loop {i}: {last}"


BATCH_TASK = """
name = "double"
chain = ["tiny", "big"]

[models.tiny]
provider = "sim"
respond = "batch_helpers:tiny"
cost_usd = 0.001

[models.big]
provider = "sim"
respond = "batch_helpers:big"
cost_usd = 0.01

[[steps]]
name = "answer"
prompt = "Double {input}"

  [[steps.checks]]
  kind = "python"
  call = "batch_helpers:right"
"""


def test_batch_opens_the_batch_screen_and_prints_the_summary_on_quit(
    pane: Pane, tmp_path: Path, session_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the sim cascade's functions, for the app in the pane (the tmux server inherits this)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1] / "batch"))
    task = tmp_path / "double.toml"
    task.write_text(BATCH_TASK, encoding="utf-8")
    inputs = tmp_path / "inputs.txt"
    inputs.write_text("".join(f"{k}\n" for k in range(1, 10)), encoding="utf-8")
    pane.start(
        "batch",
        f"batch {task} --inputs {inputs} --session-dir {session_dir} --concurrency 3",
        tmp_path / "exit",
    )
    shown = pane.wait_for("batch", lambda s: "9/9 done" in s, "the batch to end")
    assert "saved 57%" in shown and "accepted" in shown
    assert "⏎ Open item" in shown or "enter Open item" in shown.lower()
    pane.tmux("send-keys", "-t", "batch", "q")
    assert exit_code(tmp_path / "exit") == "0"
    shown = pane.wait_for("batch", lambda s: "batch done" in s, "the summary")
    assert "batch done: 9 accepted" in shown
    assert "cost $0.039 · top tier only ≈ $0.09 · saved 57%" in shown
    results = inputs.with_name("inputs.results.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["status"] for line in results.splitlines()] == ["accepted"] * 9


def test_a_toast_leaves_the_decision_bar_when_it_expires_at_60x15(
    pane: Pane, tmp_path: Path, session_dir: Path
) -> None:
    """At 60x15 the run screen folds its panels; a toast over the decision bar (here: `c`
    copies the answer) must be gone from the terminal once it expires, not stay drawn."""
    models = {"cheap": {"provider": "sim", "responses": ["a wrong answer"]}}
    models["strong"] = {"provider": "sim", "responses": ["the RIGHT answer"]}
    path = write_task(tmp_path, models, approval="manual", name="tiny")
    pane.start("app", f"run {path} --session-dir {session_dir}", tmp_path / "exit", size=(60, 15))
    pane.wait_for("app", lambda s: "Your decision" in s, "the approval prompt")
    pane.tmux("send-keys", "-t", "app", "c")
    pane.wait_for("app", lambda s: "Copied the answer" in s, "the copy toast")
    shown = pane.wait_for("app", lambda s: "Copied the answer" not in s, "the toast to go")
    assert "Must say RIGHT." in shown  # the decision bar's check feedback, no longer covered
    pane.tmux("send-keys", "-t", "app", "q")
    assert exit_code(tmp_path / "exit") == "130"  # quit while a decision was awaited
