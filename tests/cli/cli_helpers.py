"""Running `python -m escalatui` as a subprocess, and writing task files for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from escalatui.session.resolve import resolved

RUN_TIMEOUT_S = 60


def escalatui(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI to the end (bounded), capturing text output. stdin is never a terminal
    (whatever pytest was started from)."""
    return subprocess.run(
        [sys.executable, "-m", "escalatui", *map(str, args)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        cwd=cwd,
        env=os.environ.copy(),
    )


def write_task(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def session_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def records(path: Path) -> list[dict[str, Any]]:
    """Every record of a session log (each line must be whole JSON), each text put back where
    the file holds it once (what a reader sees)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return resolved([json.loads(line) for line in lines])


def only_session(directory: Path) -> list[dict[str, Any]]:
    (path,) = session_files(directory)
    return records(path)
