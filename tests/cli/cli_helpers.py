"""Running `python -m escalatui` as a subprocess, and writing task files for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    """Every record of a session log (each line must be whole JSON)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def only_session(directory: Path) -> list[dict[str, Any]]:
    (path,) = session_files(directory)
    return records(path)
