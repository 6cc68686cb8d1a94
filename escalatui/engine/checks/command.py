"""The `command` check: argv only, the answer on stdin, a timeout that kills the process group."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from pathlib import Path

from escalatui.config.models import CommandCheck
from escalatui.engine.checks import watchdog
from escalatui.engine.events import CheckOutcome

# Names that may hold secrets: OPENROUTER_API_KEY, HF_TOKEN, AWS_SECRET_ACCESS_KEY, PGPASS...
# Broad on purpose: a check losing a harmless variable is cheap, a leaked key is not.
SECRET_ENV_NAME = re.compile(r"KEY|TOKEN|SECRET|PASS|CREDENTIAL", re.IGNORECASE)
# A URL with credentials in it (postgres://user:pw@host, https://TOKEN@host), anywhere in the
# value: DATABASE_URL, HTTPS_PROXY, PIP_INDEX_URL... whatever the variable is called.
CREDENTIAL_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/?#@]+@", re.IGNORECASE)
EXIT_POLL_S = 0.02
REAP_TIMEOUT_S = 5.0


def child_env() -> dict[str, str]:
    """The environment for a check, without anything that looks like a secret (the command
    runs on a model's answer, which must not reach keys, tokens or passwords)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not SECRET_ENV_NAME.search(k) and not CREDENTIAL_URL.search(v)
    }


def stdin_bytes(answer: str) -> bytes:
    """The answer as bytes, verbatim. Lone surrogates (a broken stream) pass through rather
    than turning the check into an error."""
    try:
        return answer.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return answer.encode("utf-8", "surrogatepass")


async def _read_capped(stream: asyncio.StreamReader, cap: int) -> tuple[bytes, bool]:
    """Read everything (so the child never blocks on a full pipe) but keep only `cap` bytes."""
    kept = bytearray()
    cut = False
    while chunk := await stream.read(65536):
        room = cap - len(kept)
        if room > 0:
            kept += chunk[:room]
        cut = cut or len(chunk) > room
    return bytes(kept), cut


async def _exit_code(proc: asyncio.subprocess.Process) -> int:
    """The exit code as soon as the process exits. (A `proc.wait()` begun before the exit also
    waits for the pipes to close on Python 3.11, and a background grandchild can hold them.)"""
    while proc.returncode is None:
        await asyncio.sleep(EXIT_POLL_S)
    return proc.returncode


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def _end_group(proc: asyncio.subprocess.Process) -> None:
    """Kill the whole group and reap the command (bounded: `proc.wait()` would also wait for
    the pipes, which a process that left the group can hold), then tell the watchdog."""
    _kill_group(proc)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(REAP_TIMEOUT_S):
            await _exit_code(proc)
    watchdog.release(proc.pid)


def _cwd(cwd: str | None, base_dir: Path | None) -> Path | None:
    """A relative `cwd` is relative to the task file, like every other path in it."""
    if cwd is None:
        return None
    path = Path(cwd).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


async def check_command(
    check: CommandCheck, answer: str, base_dir: Path | None = None
) -> CheckOutcome:
    """Exit 0 passes; other exits fail with the output as feedback; 127 is a config error."""
    watchdog.start()
    try:
        proc = await asyncio.create_subprocess_exec(
            *check.run,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            cwd=_cwd(check.cwd, base_dir),
            env=child_env(),
        )
    except OSError as exc:
        return CheckOutcome(
            kind="command",
            passed=False,
            error=f"cannot run {check.run[0]!r}: {exc.strerror or exc}",
            config_error=True,
        )
    assert proc.stdin and proc.stdout
    watchdog.watch(proc.pid)  # its group dies with escalatui, however escalatui ends

    async def feed() -> None:
        assert proc.stdin
        try:
            proc.stdin.write(stdin_bytes(answer))
            await proc.stdin.drain()
        except OSError:
            pass  # the command need not read its input (broken pipe, reset)
        finally:
            proc.stdin.close()

    feeding = asyncio.ensure_future(feed())
    reading = asyncio.ensure_future(_read_capped(proc.stdout, check.max_output))
    exited = asyncio.ensure_future(_exit_code(proc))
    try:
        async with asyncio.timeout(check.timeout_s):
            # Output normally ends when the command exits, but a background job it left
            # behind can hold the pipe open: the exit itself is noticed too.
            await asyncio.wait({reading, exited}, return_when=asyncio.FIRST_COMPLETED)
            code = await proc.wait()
            _kill_group(proc)  # leftovers in its group die with it, and the pipes close
            await feeding
            out, cut = await reading
    except TimeoutError:
        return CheckOutcome(  # the group is killed on the way out, below
            kind="command",
            passed=False,
            error=f"{check.run[0]} timed out after {check.timeout_s}s (process group killed)",
        )
    finally:
        # Every way out (an exception, the run cancelled, Ctrl+C): nothing of the group stays,
        # not even a background job the command left after it exited.
        for job in (feeding, reading, exited):
            job.cancel()
        await _end_group(proc)
    text = out.decode("utf-8", "replace").strip() + ("\n[output cut]" if cut else "")
    if code == 0:
        return CheckOutcome(kind="command", passed=True)
    if code == 127:
        return CheckOutcome(
            kind="command",
            passed=False,
            error=f"{check.run[0]}: exit 127 (command not found)"
            + (f": {text[:300]}" if text else ""),
            config_error=True,
        )
    if code < 0:
        return CheckOutcome(
            kind="command", passed=False, error=f"{check.run[0]} killed by signal {-code}"
        )
    feedback = check.feedback or f"The command {check.run[0]} failed (exit {code})."
    return CheckOutcome(
        kind="command", passed=False, feedback=f"{feedback}\n{text}" if text else feedback
    )
