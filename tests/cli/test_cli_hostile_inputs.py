"""Hostile inputs on the command line: `--input-file` and task files that are /dev/zero, a FIFO
or a directory; an empty `--session-dir`; a session dir on a full disk. Each is a message and
exit 2 before anything runs, never a hang or a traceback."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import escalatui, write_task

from escalatui.config.reading import MAX_FILE_BYTES
from escalatui.session import SessionWriteError, SessionWriter

pytestmark = pytest.mark.timeout(60)

TASK = """
name = "hostile"
chain = ["m"]
[models.m]
provider = "sim"
responses = ["fn a"]
[[steps]]
name = "write"
prompt = "Write {input}"
"""


def special(tmp_path: Path, kind: str) -> Path:
    if kind == "zero":
        return Path("/dev/zero")
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-to-fifo":
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
    elif kind == "dir":
        path.mkdir()
    else:  # one byte over the cap
        path.write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    return path


WHY = {
    "zero": "Is a character device, not a regular file",
    "fifo": "Is a FIFO, not a regular file",
    "link-to-fifo": "Is a FIFO, not a regular file",
    "dir": "Is a directory",
    "large": f"is larger than {MAX_FILE_BYTES:,} bytes (the limit)",
}


@pytest.mark.parametrize("kind", list(WHY))
def test_input_file_that_is_not_a_small_regular_file(
    tmp_path: Path, session_dir: Path, kind: str
) -> None:
    task = write_task(tmp_path / "task.toml", TASK)
    path = special(tmp_path, kind)
    done = escalatui("run", task, "--headless", "--input-file", path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"{path}: ") and WHY[kind] in done.stderr
    assert "Traceback" not in done.stderr
    assert not session_dir.exists() or not list(session_dir.iterdir())  # nothing ran


@pytest.mark.parametrize("kind", ["zero", "fifo", "link-to-fifo", "dir"])
def test_task_file_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    path = special(tmp_path, kind)
    for command in ("run", "validate"):
        done = escalatui(command, path, *(["--headless"] if command == "run" else []))
        assert done.returncode == 2
        assert done.stderr == f"{path}: cannot read file: {WHY[kind]}\n"


def test_input_file_is_read_as_utf8(tmp_path: Path, session_dir: Path) -> None:
    task = write_task(tmp_path / "task.toml", TASK)
    given = tmp_path / "in.txt"
    given.write_text("héllo", encoding="utf-8")
    done = escalatui("run", task, "--headless", "--input-file", given)
    assert done.returncode == 0, done.stderr
    given.write_bytes(b"caf\xe9")
    done = escalatui("run", task, "--headless", "--input-file", given)
    assert done.returncode == 2
    assert done.stderr == f"{given}: input is not UTF-8 (byte 0xe9 at 3)\n"


@pytest.mark.parametrize("command", [["run", "TASK", "--headless"], ["sessions"], []])
def test_empty_session_dir_is_an_error(tmp_path: Path, command: list[str]) -> None:
    task = write_task(tmp_path / "task.toml", TASK)
    args = [str(task) if a == "TASK" else a for a in command]
    done = escalatui(*args[:1], "--session-dir", "", *args[1:], cwd=tmp_path)
    assert done.returncode == 2
    assert "--session-dir: must not be empty" in done.stderr
    assert not list(tmp_path.glob("*.jsonl"))  # not quietly written to the current dir


def test_full_disk_is_found_by_a_real_write(tmp_path: Path) -> None:
    """Creating an empty file succeeds on a full disk; writing a byte does not. The probe file
    name is pointed at /dev/full, which fails every write with ENOSPC."""
    directory = tmp_path / "sessions"
    directory.mkdir()
    (directory / f".write-test-{os.getpid()}").symlink_to("/dev/full")
    with pytest.raises(SessionWriteError, match="No space left on device"):
        SessionWriter(directory).check_writable()


@pytest.fixture
def full_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, filled up."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.strip()}")
    try:
        with open(mount / "filler", "wb", buffering=0) as f, pytest.raises(OSError):
            for _ in range(1000):  # 4 MB at most: more than the 64 KiB there is
                f.write(b"\0" * 4096)
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=30)


def test_full_disk_session_dir_exits_2_before_the_run(full_tmpfs: Path, tmp_path: Path) -> None:
    task = write_task(tmp_path / "task.toml", TASK)
    done = escalatui("run", task, "--headless", "--session-dir", full_tmpfs)
    assert done.returncode == 2 and done.stdout == ""
    assert f"cannot write sessions to {full_tmpfs}: No space left on device" in done.stderr
