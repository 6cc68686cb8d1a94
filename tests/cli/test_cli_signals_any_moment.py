"""Ctrl+C, SIGTERM and SIGHUP at every moment of a headless run: exit 130, no traceback, and
once the run has started, a session log that ends with a `cancelled` run record."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_helpers import only_session, session_files, write_task
from fakeserver import FakeServer, Reply

pytestmark = pytest.mark.timeout(120)
WAIT_S = 20.0


def ollama_task(tmp_path: Path, server: FakeServer) -> Path:
    # ollama: its warm probe is a GET /api/ps, which the tests can stall
    return write_task(
        tmp_path / "t.toml",
        f"""
name = "signals"
chain = ["m"]
[models.m]
provider = "ollama"
base_url = "{server.base_url}"
model = "m"
[[steps]]
name = "a"
prompt = "p"
""",
    )


def spawn(task: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "escalatui", "run", str(task), "--headless"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    try:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


def assert_cancelled_log(session_dir: Path) -> None:
    log = only_session(session_dir)
    assert log[-1]["type"] == "run" and log[-1]["status"] == "cancelled", log[-1]


class Importing:
    """escalatui started with `-X importtime`: Python reports each import on stderr as it
    completes, so the test knows when escalatui's own code has begun to run."""

    def __init__(self, task: Path, argv: list[str] | None = None) -> None:
        argv = argv if argv is not None else ["run", str(task), "--headless"]
        self.proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "escalatui", *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        self.err: list[str] = []
        self.out = ""
        self._readers = [
            threading.Thread(target=self._read_err, daemon=True),
            threading.Thread(target=self._read_out, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        self.out = self.proc.stdout.read()

    def wait_for_import(self, module: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while not any(line.rstrip().endswith(f"| {module}") for line in list(self.err)):
            assert time.monotonic() < deadline, f"{module} was never imported: {self.err}"
            time.sleep(0.002)

    def stop(self, sig: int) -> tuple[int, str]:
        try:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=WAIT_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        for reader in self._readers:
            reader.join(WAIT_S)
        errors = "".join(line for line in self.err if not line.startswith("import time:"))
        return self.proc.returncode, errors


# Before escalatui's first line runs, Ctrl+C meets the interpreter's own start-up (site, runpy),
# which no program can catch; the moments below count from escalatui's first import.
@pytest.mark.parametrize("after_s", [round(i * 0.02, 2) for i in range(16)] + [0.5])
def test_ctrl_c_during_startup_exits_130_without_a_traceback(
    server: FakeServer, tmp_path: Path, session_dir: Path, after_s: float
) -> None:
    server.override("/api/ps", Reply.stall(10))
    server.enqueue(Reply.drip("x" * 400, delay_s=0.05))
    run = Importing(ollama_task(tmp_path, server))
    run.wait_for_import("escalatui.cli")
    time.sleep(after_s)
    code, err = run.stop(signal.SIGINT)
    assert code == 130, (code, err)
    assert "Traceback" not in err, err
    if session_files(session_dir):  # the run had started: its log ends consistent
        assert_cancelled_log(session_dir)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_the_warm_probe_cancels_the_run(
    server: FakeServer, tmp_path: Path, session_dir: Path, sig: int
) -> None:
    server.override("/api/ps", Reply.stall(10))
    proc = spawn(ollama_task(tmp_path, server))
    try:
        assert server.wait_until(
            lambda: any(r.path == "/api/ps" for r in server.requests), timeout=WAIT_S
        ), "the warm probe never came"
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    code, out, err = stop(proc, sig)
    assert code == 130, (code, err)
    assert "Traceback" not in err, err
    assert "run cancelled" in out
    assert server.chat_requests == []  # stopped before the request
    assert_cancelled_log(session_dir)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_stream_keeps_the_partial_attempt(
    server: FakeServer, tmp_path: Path, session_dir: Path, sig: int
) -> None:
    server.enqueue(Reply.drip("x" * 400, delay_s=0.05))
    proc = spawn(ollama_task(tmp_path, server))
    try:
        assert server.wait_until(
            lambda: bool(server.chat_requests) and server.chat_requests[0].chunks_sent >= 5,
            timeout=WAIT_S,
        ), "the stream never started"
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    code, out, err = stop(proc, sig)
    assert code == 130, (code, err)
    assert "Traceback" not in err, err
    log = only_session(session_dir)
    attempt, run = log[-2:]
    assert run["type"] == "run" and run["status"] == "cancelled"
    assert attempt["type"] == "attempt" and attempt["complete"] is False
    assert attempt["output"].startswith("xxx") and len(attempt["output"]) < 400
    assert server.wait_until(lambda: server.disconnects >= 1)


ALT_SCREEN = b"\x1b[?1049h"
"""What a Textual app writes when it takes the terminal: its event loop runs, its screens are
not mounted yet."""


def sigint_tui(argv: list[str], after_s: float | None) -> tuple[int, bytes]:
    """escalatui with `argv` in a terminal (a pty), sent SIGINT `after_s` seconds after it
    starts (None: the moment it takes the terminal); its exit code and what it showed."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalatui", *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env | {"TERM": "xterm-256color"},
        start_new_session=True,
    )
    os.close(slave)
    shown = b""

    def read(until: float, marker: bytes | None = None) -> None:
        nonlocal shown
        while time.monotonic() < until and proc.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.005)
            if ready:
                try:
                    shown += os.read(master, 65536)
                except OSError:  # the app closed the terminal: it is ending
                    return
                if marker is not None and marker in shown:
                    return

    try:
        if after_s is None:
            read(time.monotonic() + WAIT_S, ALT_SCREEN)
        else:
            read(time.monotonic() + after_s)
        proc.send_signal(signal.SIGINT)
        read(time.monotonic() + WAIT_S)
        code = proc.wait(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, shown


def assert_clean(code: int, shown: bytes) -> None:
    assert code == 130, shown[-2000:]
    for wrong in (b"Traceback", b"Error", b"Warning", b"never awaited"):
        assert wrong not in shown, shown[-2000:]


@pytest.mark.parametrize("after_s", [None, 0.1, 0.2, 0.3, 0.5, 1.0])
def test_sigint_to_the_tui_at_any_moment_exits_130(
    server: FakeServer, tmp_path: Path, session_dir: Path, after_s: float | None
) -> None:
    """A SIGINT while the TUI starts or streams quits like `q`."""
    server.enqueue(Reply.drip("x" * 400, delay_s=0.05))
    code, shown = sigint_tui(["run", str(ollama_task(tmp_path, server))], after_s)
    assert_clean(code, shown)
    if session_files(session_dir):
        assert_cancelled_log(session_dir)


@pytest.mark.parametrize("after_s", [None, 0.25, 0.3, 0.4])
def test_sigint_to_the_home_screen_or_a_replay_as_it_starts_exits_130(
    tmp_path: Path, session_dir: Path, after_s: float | None
) -> None:
    """While their screens are still being mounted (a signal that came before the app took
    it over cancelled the app mid-mount: tracebacks on the terminal)."""
    task = write_task(
        tmp_path / "sim.toml",
        'name = "sim"\nchain = ["m"]\n[models.m]\nprovider = "sim"\nresponses = ["ok"]\n'
        '[[steps]]\nname = "a"\nprompt = "p"\n',
    )
    done = subprocess.run(
        [sys.executable, "-m", "escalatui", "run", str(task), "--headless"],
        capture_output=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 0, done.stderr
    (log,) = session_files(session_dir)
    assert_clean(*sigint_tui(["replay", str(log)], after_s))
    assert_clean(*sigint_tui(["--session-dir", str(session_dir)], after_s))


def test_ctrl_c_while_a_batch_starts_stops_it_before_any_item(
    tmp_path: Path, session_dir: Path
) -> None:
    """A Ctrl+C while the task is read is held until start-up is done, then acted on: the
    batch never starts (it was held until the whole batch had run)."""
    task = write_task(
        tmp_path / "sim.toml",
        'name = "sim"\nchain = ["m"]\n[models.m]\nprovider = "sim"\nresponses = ["ok"]\n'
        'delay_s = 0.05\n[[steps]]\nname = "a"\nprompt = "p {input}"\n',
    )
    inputs = tmp_path / "in.txt"
    inputs.write_text("".join(f"{i}\n" for i in range(40)))
    results = tmp_path / "results.jsonl"
    argv = ["batch", str(task), "--inputs", str(inputs), "--results", str(results), "--headless"]
    run = Importing(task, argv)
    run.wait_for_import("escalatui.config.loader")  # start-up: the task is about to be read
    code, err = run.stop(signal.SIGINT)
    assert code == 130, (code, err)
    assert "Traceback" not in err, err
    assert not session_files(session_dir)
    assert not results.exists() or results.read_text() == ""
