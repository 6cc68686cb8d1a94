"""A command check's process group never outlives the check, whichever way the check ends:
its time limit, the run cancelled, or escalatui itself ended by a signal mid-check (Ctrl+C,
SIGTERM, SIGHUP, even SIGKILL). A grandchild the command started in the background included."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from escalatui.config.models import CommandCheck
from escalatui.engine.checks.command import check_command

pytestmark = pytest.mark.timeout(90)

WAIT_S = 20.0


def spawner(pidfile: Path) -> list[str]:
    """A command that starts a background grandchild, writes "PGID GRANDCHILD" once both run,
    then waits forever. It first reads a byte of the answer: escalatui writes the answer only
    after it has started watching the group, so the test's signal comes after that."""
    script = (
        f'head -c 1 >/dev/null; sleep 300 & echo "$$ $!" > {pidfile}.tmp; '
        f"mv {pidfile}.tmp {pidfile}; wait"
    )
    return ["sh", "-c", script]


def group_left(pgid: int) -> bool:
    """Any process of the group still running (zombies waiting to be reaped do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def process_gone(pid: int) -> bool:
    """The process is gone (or a zombie) within a bounded wait."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def group_gone(pgid: int) -> bool:
    """The group is gone within a bounded wait (SIGKILL lands asynchronously)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if not group_left(pgid):
            return True
        time.sleep(0.05)
    return False


def read_pids(pidfile: Path) -> tuple[int, int]:
    deadline = time.monotonic() + WAIT_S
    while not pidfile.exists():
        assert time.monotonic() < deadline, "the check never started"
        time.sleep(0.05)
    pgid, grandchild = pidfile.read_text().split()
    return int(pgid), int(grandchild)


def cleanup(pidfile: Path) -> None:
    """Should the test fail, do not leave its own processes behind."""
    if pidfile.exists():
        pgid, _ = pidfile.read_text().split()
        try:
            os.killpg(int(pgid), signal.SIGKILL)
        except ProcessLookupError:
            pass


async def test_cancelling_the_check_kills_its_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    check = CommandCheck(kind="command", run=spawner(pidfile), timeout_s=300)
    running = asyncio.ensure_future(check_command(check, "answer"))
    try:
        for _ in range(int(WAIT_S / 0.05)):
            if pidfile.exists():
                break
            await asyncio.sleep(0.05)
        pgid, grandchild = read_pids(pidfile)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert group_gone(pgid)
    finally:
        cleanup(pidfile)


TASK = """
name = "slow check"
chain = ["m"]
[models.m]
provider = "sim"
responses = ["an answer"]
[[steps]]
name = "a"
prompt = "p"
  [[steps.checks]]
  kind = "command"
  run = RUN
  timeout_s = 600
"""


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_no_orphan_when_escalatui_is_ended_mid_check(
    tmp_path: Path, session_dir: Path, sig: signal.Signals
) -> None:
    pidfile = tmp_path / "pids"
    run = "[" + ", ".join(f"'{arg}'" for arg in spawner(pidfile)) + "]"  # TOML literals
    task = tmp_path / "t.toml"
    task.write_text(TASK.replace("RUN", run), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalatui", "run", str(task), "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        pgid, grandchild = read_pids(pidfile)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=WAIT_S)
        assert "Traceback" not in err
        if sig == signal.SIGINT:
            assert proc.returncode == 130, err
        assert group_gone(pgid), f"process group {pgid} outlived escalatui ({sig.name})"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        cleanup(pidfile)


REGEX_TASK = """
name = "slow regex"
chain = ["m"]
[models.m]
provider = "sim"
responses = ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"]
[[steps]]
name = "a"
prompt = "p"
  [[steps.checks]]
  kind = "regex"
  pattern = '(a|aa)+$'
  timeout_s = 600
"""


def answer_written(folder: Path, text: str) -> None:
    """Wait (bounded) until a session log under `folder` holds the answer: checks come next."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for log in folder.rglob("*.jsonl"):
            with contextlib.suppress(OSError):
                if text in log.read_text(encoding="utf-8", errors="replace"):
                    return
        time.sleep(0.05)
    raise AssertionError("the answer never reached the session log")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_regex_search_stuck_in_backtracking_does_not_keep_escalatui_alive(
    tmp_path: Path, session_dir: Path, sig: signal.Signals
) -> None:
    """The search runs in a thread with a 600 s limit; escalatui still ends on a signal."""
    task = tmp_path / "t.toml"
    task.write_text(REGEX_TASK, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalatui", "run", str(task), "--headless"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    try:
        answer_written(session_dir, "aaab")
        time.sleep(0.3)  # let the search begin
        proc.send_signal(sig)
        assert proc.wait(timeout=WAIT_S) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
