"""The `command` check: argv only, the answer on stdin, a timeout that kills the process group."""

from __future__ import annotations

import asyncio
import os
import signal

from escalatui.config.models import CommandCheck
from escalatui.engine.events import CheckOutcome

SECRET_ENV_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET")


def child_env() -> dict[str, str]:
    """The environment for a check, without API keys (an answer must not reach them)."""
    return {k: v for k, v in os.environ.items() if not k.upper().endswith(SECRET_ENV_SUFFIXES)}


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


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def check_command(check: CommandCheck, answer: str) -> CheckOutcome:
    """Exit 0 passes; other exits fail with the output as feedback; 127 is a config error."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *check.run,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            cwd=check.cwd,
            env=child_env(),
        )
    except OSError as exc:
        return CheckOutcome(
            "command",
            False,
            error=f"cannot run {check.run[0]!r}: {exc.strerror or exc}",
            config_error=True,
        )
    assert proc.stdin and proc.stdout

    async def feed() -> None:
        assert proc.stdin
        try:
            proc.stdin.write(answer.encode("utf-8", "surrogateescape"))
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the command need not read its input
        finally:
            proc.stdin.close()

    try:
        async with asyncio.timeout(check.timeout_s):
            _, (out, cut) = await asyncio.gather(
                feed(), _read_capped(proc.stdout, check.max_output)
            )
            code = await proc.wait()
    except TimeoutError:
        _kill_group(proc)
        await proc.wait()
        return CheckOutcome(
            "command",
            False,
            error=f"{check.run[0]} timed out after {check.timeout_s}s (process group killed)",
        )
    finally:
        if proc.returncode is None:
            _kill_group(proc)
            await proc.wait()
    _kill_group(proc)  # leftovers the command started in its group
    text = out.decode("utf-8", "replace").strip() + ("\n[output cut]" if cut else "")
    if code == 0:
        return CheckOutcome("command", True)
    if code == 127:
        return CheckOutcome(
            "command",
            False,
            error=f"{check.run[0]}: exit 127 (command not found): {text[:300]}",
            config_error=True,
        )
    if code < 0:
        return CheckOutcome("command", False, error=f"{check.run[0]} killed by signal {-code}")
    feedback = check.feedback or f"The command {check.run[0]} failed (exit {code})."
    return CheckOutcome("command", False, f"{feedback}\n{text}" if text else feedback)
