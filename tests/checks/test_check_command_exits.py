"""A command check's process group never outlives the check, whichever way the check ends:
its time limit, the run cancelled, or escalatui itself ended by a signal mid-check (Ctrl+C,
SIGTERM, SIGHUP, even SIGKILL). A grandchild the command started in the background included."""

from __future__ import annotations

import asyncio
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
  pattern = '(a+)+$'
  timeout_s = 600
"""


def regex_worker_of(parent: int) -> int:
    """The pid of `parent`'s regex worker, once it runs (bounded wait)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                ppid = next(x for x in status.read_text().splitlines() if x.startswith("PPid:"))
                cmdline = (status.parent / "cmdline").read_bytes()
            except (OSError, StopIteration):
                continue
            if int(ppid.split()[1]) == parent and b"import json, re, sys" in cmdline:
                return int(status.parent.name)
        time.sleep(0.05)
    raise AssertionError("the regex worker never started")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_a_regex_worker_stuck_in_a_search_does_not_outlive_escalatui(
    tmp_path: Path, session_dir: Path, sig: signal.Signals
) -> None:
    """Catastrophic backtracking never reads stdin, so only the watchdog can end it."""
    task = tmp_path / "t.toml"
    task.write_text(REGEX_TASK, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalatui", "run", str(task), "--headless"],
        # Not pipes: a surviving worker would hold them open (its stderr is escalatui's).
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    worker = None
    try:
        worker = regex_worker_of(proc.pid)
        time.sleep(0.3)  # let the search begin
        proc.send_signal(sig)
        proc.wait(timeout=WAIT_S)
        assert process_gone(worker), "the regex worker outlived escalatui"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if worker is not None:
            try:
                os.kill(worker, signal.SIGKILL)
            except ProcessLookupError:
                pass
