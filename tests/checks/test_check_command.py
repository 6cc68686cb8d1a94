"""The `command` check: argv only, the answer verbatim on stdin and never seen by a shell, a
time limit that kills the whole process group, capped output, no API keys in the child."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from escalatui.config.models import CommandCheck
from escalatui.engine.checks.command import check_command

PY = sys.executable
COPY_STDIN = "import sys; open(sys.argv[1], 'wb').write(sys.stdin.buffer.read())"


def command(*run: str, **kw: object) -> CommandCheck:
    return CommandCheck.model_validate({"kind": "command", "run": list(run), **kw})


async def dies(pid: int) -> bool:
    """The process is dead within a few seconds (SIGKILL lands asynchronously)."""
    for _ in range(250):
        if not alive(pid):
            return True
        await asyncio.sleep(0.02)
    return False


def alive(pid: int) -> bool:
    """Running (a zombie nobody has reaped yet counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


async def test_hostile_answer_reaches_stdin_verbatim_and_no_shell_sees_it(tmp_path: Path) -> None:
    markers = [tmp_path / f"m{i}" for i in range(6)]
    answer = (
        f"$(touch {markers[0]}); touch {markers[1]} ; `touch {markers[2]}`\n"
        f"' \" \\ || touch {markers[3]} && touch {markers[4]} > {markers[5]} | cat\n"
        "${HOME} %s %n {input} \x1b[2J \x07 end"
    )
    out = tmp_path / "stdin.bin"
    outcome = await check_command(command(PY, "-c", COPY_STDIN, str(out)), answer)
    assert outcome.passed, outcome
    assert out.read_bytes() == answer.encode()
    assert not any(m.exists() for m in markers)


async def test_binary_junk_and_10_mb_pass_through(tmp_path: Path) -> None:
    junk = "".join(chr(c) for c in range(1, 0x800)) + "\ud800 lone \udcff"
    answer = junk + "x" * 10_000_000
    out = tmp_path / "stdin.bin"
    outcome = await check_command(command(PY, "-c", COPY_STDIN, str(out)), answer)
    assert outcome.passed, outcome
    data = out.read_bytes()
    assert len(data) > 10_000_000
    assert data.endswith(b"x" * 1000)
    assert data.startswith(junk[:100].encode())


async def test_exit_zero_passes_nonzero_fails_with_output_as_feedback() -> None:
    assert (await check_command(command("true"), "a")).passed
    failed = await check_command(command("sh", "-c", "echo 'no tests found' >&2; exit 3"), "a")
    assert not failed.passed and failed.error is None and not failed.config_error
    assert failed.feedback == "The command sh failed (exit 3).\nno tests found"
    custom = await check_command(command("false", feedback="Tests fail."), "a")
    assert custom.feedback == "Tests fail."


async def test_output_is_capped() -> None:
    check = command(PY, "-c", "print('y' * 5_000_000); raise SystemExit(1)", max_output=200)
    outcome = await check_command(check, "")
    assert not outcome.passed and outcome.feedback
    assert outcome.feedback.endswith("\n[output cut]")
    assert len(outcome.feedback) < 300


@pytest.mark.timeout(30)  # a surviving grandchild would hold the pipe for an hour
async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    script = f"sleep 3600 & echo $! > {pidfile}; wait"
    outcome = await check_command(command("sh", "-c", script, timeout_s=0.5), "x")
    assert not outcome.passed and not outcome.config_error
    assert outcome.error == "sh timed out after 0.5s (process group killed)"
    grandchild = int(pidfile.read_text())
    assert await dies(grandchild)


async def test_a_background_job_left_behind_is_killed_at_once(tmp_path: Path) -> None:
    """The command exits but a job it started holds the output pipe: no waiting for the job
    (or the time limit), and the job does not outlive the check."""
    pidfile = tmp_path / "job.pid"
    # The pause makes the wait start before the exit (an exit already seen returns at once).
    script = f"sleep 3600 & echo $! > {pidfile}; sleep 0.2; echo done; exit 1"
    outcome = await check_command(command("sh", "-c", script, timeout_s=5), "x")
    assert outcome.error is None
    assert outcome.feedback == "The command sh failed (exit 1).\ndone"
    assert await dies(int(pidfile.read_text()))


async def test_exit_127_is_a_config_error() -> None:
    outcome = await check_command(command("sh", "-c", "exit 127"), "x")
    assert not outcome.passed and outcome.config_error
    assert outcome.error == "sh: exit 127 (command not found)"
    via_shell = await check_command(command("sh", "-c", "no-such-tool-xyz"), "x")
    assert via_shell.config_error and via_shell.error
    assert "exit 127 (command not found): " in via_shell.error


async def test_missing_executable_is_a_config_error(tmp_path: Path) -> None:
    outcome = await check_command(command(str(tmp_path / "nope")), "x")
    assert not outcome.passed and outcome.config_error
    assert outcome.error == f"cannot run '{tmp_path / 'nope'}': No such file or directory"


async def test_a_killed_command_is_an_error_not_a_failure() -> None:
    outcome = await check_command(command("sh", "-c", "kill -9 $$"), "x")
    assert not outcome.passed and outcome.error == "sh killed by signal 9"


async def test_the_command_need_not_read_its_input() -> None:
    assert (await check_command(command("true"), "z" * 5_000_000)).passed


SECRET_NAMES = (
    "OPENROUTER_API_KEY",
    "MY_LLM_KEY",
    "HF_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "KEYRING_VALUE",
    "github_token",
    "Db_Secret",
    "PGPASSFILE",
    "MYSQL_PWD_PASS",
    "npm_config__authToken",
)
CREDENTIAL_URLS = {
    "DATABASE_URL": "postgres://admin:CANARY-pw@db.example:5432/app",
    "HTTPS_PROXY": "http://user:CANARY-pw@proxy.example:3128",
    "PIP_INDEX_URL": "https://CANARY-token@pypi.example/simple",
    "MIRRORS": "a https://ok.example b ftp://u:CANARY-pw@files.example/",
}


async def test_nothing_that_looks_like_a_secret_reaches_the_child(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Names with KEY, TOKEN, SECRET or PASS (any case) and URLs carrying credentials are
    dropped; ordinary variables, and URLs without credentials, are kept."""
    canary = "sk-CANARY-0123456789"
    for name in SECRET_NAMES:
        monkeypatch.setenv(name, canary)
    for name, url in CREDENTIAL_URLS.items():
        monkeypatch.setenv(name, url)
    monkeypatch.setenv("ESCALATUI_VISIBLE", "yes")
    monkeypatch.setenv("PLAIN_URL", "https://example.org/path?q=1#x@y")
    monkeypatch.setenv("MAILTO", "someone@example.org")
    outcome = await check_command(command("sh", "-c", "env; exit 1", max_output=100_000), "")
    assert outcome.feedback
    names = {line.split("=", 1)[0] for line in outcome.feedback.splitlines() if "=" in line}
    assert {"ESCALATUI_VISIBLE", "PLAIN_URL", "MAILTO", "PATH"} <= names
    assert not names & {*SECRET_NAMES, *CREDENTIAL_URLS}
    assert "CANARY" not in outcome.feedback


async def test_relative_cwd_is_relative_to_the_task_file(tmp_path: Path) -> None:
    """A task's `cwd = "sub"` runs the command in the folder beside the task file."""
    (tmp_path / "sub").mkdir()
    check = CommandCheck(
        kind="command",
        run=[sys.executable, "-c", "import os; print(os.getcwd()); raise SystemExit(1)"],
        cwd="sub",
    )
    outcome = await check_command(check, "answer", base_dir=tmp_path)
    assert not outcome.passed
    assert str(tmp_path / "sub") in (outcome.feedback or "")
