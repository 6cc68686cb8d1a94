"""Append-only JSONL writer: one whole line per write, flushed per record, keys redacted."""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from escalatui.engine.events import Delta, Event, RunStarted, strict_json, to_record

SCHEMA = 1
DELTA_FLUSH_S = 0.1


class SessionWriteError(Exception):
    """The session log cannot be written (unwritable dir, disk full)."""


def session_filename(run_id: str, task_name: str, when: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(when))
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", task_name).strip("-")[:40] or "task"
    return f"{stamp}-{slug}-{run_id}.jsonl"


def encode(record: dict[str, Any]) -> bytes:
    """One line of strict JSON (a NaN or infinity anywhere is written as null). Lone
    surrogates (from broken model output) are escaped, never lost."""
    text = strict_json(record, ensure_ascii=False)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (strict_json(record) + "\n").encode("ascii")


class SessionWriter:
    """Consumes engine events and appends them as records. Deltas are batched (about every
    100 ms) so megabytes of 1-character deltas stay cheap, and flushed before each other record.
    """

    def __init__(self, directory: Path, secrets: Iterable[str] = ()) -> None:
        self.directory = directory
        # Each secret as it appears in a JSON line: raw, and JSON-escaped when it has to be.
        self.secrets = sorted(
            {form for s in secrets if s for form in (s, json.dumps(s)[1:-1]) if form},
            key=len,
            reverse=True,
        )
        self.path: Path | None = None
        self.failed: str | None = None
        self._fd: int | None = None
        self._pending: list[str] = []
        self._pending_key: tuple[int, int] | None = None
        self._last_flush = 0.0

    def check_writable(self) -> None:
        """Say at start, before any money is spent, that the log cannot be written."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / f".write-test-{os.getpid()}"
            # A real byte, synced: creating an empty file succeeds on a full disk.
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                _write_all(fd, b"probe\n")
                os.fsync(fd)
            finally:
                os.close(fd)
                probe.unlink(missing_ok=True)
        except OSError as exc:
            raise SessionWriteError(
                f"cannot write sessions to {self.directory}: {exc.strerror or exc}"
            ) from None

    def handle(self, event: Event) -> None:
        """Write what the event means for the log; a failure is kept in `failed`, not raised."""
        if self.failed:
            return
        try:
            self._handle(event)
        except OSError as exc:
            self.failed = (
                f"session log {self.path}: {exc.strerror or exc}; the run goes on without it"
            )

    def _handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._open(event)
            self._write({"type": "session", "schema": SCHEMA, **to_record(event)})
            return
        if isinstance(event, Delta):
            self._add_delta(event)
            return
        self._flush_deltas()
        self._write(to_record(event))

    def _open(self, event: RunStarted) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / session_filename(event.run_id, event.task_name)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(self._fd).st_size
            if size:  # never merge into a torn last line left by a crash
                with open(self.path, "rb") as f:
                    f.seek(size - 1)
                    if f.read(1) != b"\n":
                        _write_all(self._fd, b"\n")
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _add_delta(self, event: Delta) -> None:
        key = (event.step_index, event.attempt)
        if self._pending_key not in (None, key):
            self._flush_deltas()
        self._pending_key = key
        self._pending.append(event.text)
        now = time.monotonic()
        if now - self._last_flush >= DELTA_FLUSH_S:
            self._flush_deltas()

    def _flush_deltas(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pending or self._pending_key is None:
            return
        step_index, attempt = self._pending_key
        text = "".join(self._pending)
        self._pending, self._pending_key = [], None
        self._write({"type": "delta", "step_index": step_index, "attempt": attempt, "text": text})

    def _write(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            return
        line = encode(record)
        for secret in self.secrets:
            line = line.replace(secret.encode(), b"[redacted]")
        # One write() of a whole line under a lock: two processes never interleave lines.
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            _write_all(self._fd, line)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Write what is pending and close the file; never raises (the run is over anyway)."""
        if not self.failed:
            self.flush()
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def flush(self) -> None:
        """Write batched deltas now (a failure goes to `failed`, like `handle`)."""
        try:
            self._flush_deltas()
        except OSError as exc:
            self.failed = f"session log {self.path}: {exc.strerror or exc}"


def _write_all(fd: int, data: bytes) -> None:
    """os.write may write part of the data (a nearly full disk); go on until all is written."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
