"""The results file of a batch: one JSON line per item as it ends, flushed, append-only.
Read back on a rerun so that nothing already accepted (or failed) is asked again."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_RESULTS_BYTES = 1024 * 1024 * 1024
DONE = frozenset({"accepted", "failed", "budget"})
"""Statuses a rerun skips; `cancelled` items run again. `--retry-failed` reruns all but
`accepted`."""


class ResultsError(Exception):
    """The results file cannot be read or written."""


@dataclass(frozen=True)
class Previous:
    """What a results file already says: the last status per item id, and damaged lines."""

    status: dict[str, str]
    problems: list[str]

    def skip(self, item_id: str, retry_failed: bool) -> bool:
        status = self.status.get(item_id)
        if status == "accepted":
            return True
        return status in DONE and not retry_failed


def read_results(path: Path) -> Previous:
    """The file's last word on each item; a missing file is an empty one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return Previous({}, [])
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ResultsError(f"{path}: not a regular file")
        raw = f.read(MAX_RESULTS_BYTES + 1)
    if len(raw) > MAX_RESULTS_BYTES:
        raise ResultsError(f"{path}: larger than {MAX_RESULTS_BYTES:,} bytes")
    status: dict[str, str] = {}
    problems: list[str] = []
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            item_id, item_status = record["id"], record["status"]
            if not isinstance(item_id, str) or not isinstance(item_status, str):
                raise TypeError
        except (ValueError, KeyError, TypeError, RecursionError):
            torn = number == len(lines)  # no newline after it: a crash mid-write
            problems.append(
                f"{path}: line {number}: {'torn last line' if torn else 'not a result'}; "
                "that item runs again"
            )
            continue
        status[item_id] = item_status
    return Previous(status, problems)


class ResultsWriter:
    """Appends one line per item; never merges into a torn last line left by a crash."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            size = os.fstat(self._fd).st_size
            if size:
                with open(path, "rb") as f:
                    f.seek(size - 1)
                    if f.read(1) != b"\n":
                        os.write(self._fd, b"\n")
        except OSError as exc:
            raise ResultsError(f"{path}: cannot write: {exc.strerror or exc}") from None

    def write(self, record: dict[str, Any]) -> None:
        try:
            data = (json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n").encode()
        except UnicodeEncodeError:  # a lone surrogate from broken model output: keep it escaped
            data = (json.dumps(record, ensure_ascii=True, allow_nan=False) + "\n").encode()
        view = memoryview(data)
        while view:  # a nearly full disk may take part of it
            view = view[os.write(self._fd, view) :]

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass
