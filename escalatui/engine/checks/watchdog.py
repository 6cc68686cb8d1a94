"""A helper process that kills the process groups of running checks if escalatui dies.

A check's command runs in its own session (so terminal signals and its own children stay
together), which also means nothing kills it when escalatui is ended by a signal it does not
handle (SIGTERM, SIGHUP, SIGKILL): no `finally` runs then. The watchdog is told each group as
it starts and ends; when its stdin reaches end of file (the kernel closes the pipe however
escalatui ended) it kills the groups still listed.
"""

from __future__ import annotations

import atexit
import contextlib
import subprocess
import sys
import threading

_WATCHDOG = r"""
import os, signal, sys
groups = set()
for line in sys.stdin:
    pgid = int(line[1:])
    if line[0] == "+":
        groups.add(pgid)
    else:
        groups.discard(pgid)
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""

_lock = threading.Lock()
_proc: subprocess.Popen[bytes] | None = None


def _running() -> subprocess.Popen[bytes] | None:
    """The watchdog, started (again) when needed; None if it cannot be. Call with _lock held."""
    global _proc
    if _proc is None or _proc.poll() is not None:
        try:
            _proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _WATCHDOG],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # Its own session: the terminal's Ctrl+C or hangup must not end it before it
                # has done its job.
                start_new_session=True,
            )
        except OSError:
            _proc = None
    return _proc


def start() -> None:
    """Have the watchdog running before a check's process starts, so that telling it the new
    group is one quick write (the moment escalatui could die unwatched stays short)."""
    with _lock:
        _running()


def _send(line: str) -> None:
    """Tell the watchdog one line. Best effort: a check must not fail because its safety net
    could not be started."""
    global _proc
    with _lock:
        for _ in range(2):
            proc = _running()
            if proc is None or proc.stdin is None:
                return
            try:
                proc.stdin.write(line.encode() + b"\n")
                proc.stdin.flush()
                return
            except OSError:
                _proc = None


def watch(pgid: int) -> None:
    """Kill this process group should escalatui exit before `release(pgid)`."""
    _send(f"+{pgid}")


def release(pgid: int) -> None:
    """The group is dead (we killed and reaped it): forget it."""
    _send(f"-{pgid}")


@atexit.register
def _stop() -> None:
    """A normal exit: close the pipe (the watchdog kills whatever is still listed and exits)."""
    proc = _proc
    if proc is not None and proc.stdin:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)
