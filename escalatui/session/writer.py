"""Append-only JSONL writer: one whole line per write, flushed per record, keys redacted.

Each text is written once (schema 2, docs/reference.md, "Session log"): an attempt's answer in
its deltas (or in `attempt_ended` when it was not streamed as such), its prompt in
`attempt_started`; the records after that leave the text out or refer to the attempt whose answer
it is, and the reader puts it back (escalatui/session/resolve.py).
"""

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
from escalatui.session.resolve import Key, reference

SCHEMA = 2
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

    schema = SCHEMA

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
        self._streamed: dict[Key, list[str]] = {}
        """The delta text written so far, per (step_index, attempt)."""
        self._answers: dict[Key, str] = {}
        """Each attempt's answer (as attempt_ended gave it), to refer to instead of repeating."""
        self._prompts: dict[Key, str] = {}

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
            self._write({"type": "session", "schema": self.schema, **to_record(event)})
            return
        if isinstance(event, Delta):
            self._add_delta(event)
            return
        self._flush_deltas()
        self._write(self._shorten(to_record(event)))

    def _shorten(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with each text written before left out or replaced by a reference."""
        kind = record["type"]
        key: Key = (record.get("step_index", -1), record.get("attempt", -1))
        if kind == "attempt_started":
            self._prompts[key] = record["prompt"]
        elif kind == "attempt_ended":
            output = record["output"]
            self._answers[key] = output
            streamed = "".join(self._streamed.pop(key, ()))
            # A secret split over two delta lines escapes their redaction: keep such an
            # answer whole here, where the line is redacted as a whole.
            if output == streamed and not any(s in output for s in self.secrets):
                del record["output"]
        elif kind == "awaiting":
            if key in self._answers and record["output"] == self._answers[key]:
                del record["output"]
        elif kind == "attempt":
            # `output` stays: the attempt record is the one a reader of the raw file (jq, a
            # script) looks at, and docs/reference.md promises it there. The prompt is in
            # attempt_started.
            if record["prompt"] == self._prompts.pop(key, None):
                del record["prompt"]
        elif kind == "step_finished":
            ref = self._reference(record["output"], record["step_index"])
            if ref is not None:
                del record["output"]
                record["output_of"] = ref
            self._forget(record["step_index"], keep=ref)
        elif kind == "run":
            # `output` stays, as on attempt records; the per-step texts are references
            refs = {step: self._reference(text) for step, text in record["outputs"].items()}
            if refs and None not in refs.values():  # all or none: the steps keep their order
                del record["outputs"]
                record["outputs_of"] = refs
        return record

    def _reference(self, text: str, step_index: int | None = None) -> dict[str, int] | None:
        """A reference to the latest attempt (of `step_index` if given) whose answer is
        `text`, or None when no answer is (the text is then written out)."""
        for key in reversed(self._answers):
            if (step_index is None or key[0] == step_index) and self._answers[key] == text:
                return reference(key)
        return None

    def _forget(self, step_index: int, keep: dict[str, int] | None) -> None:
        """A finished step's answers are referred to at most once more (by the run record):
        keep only the one its step_finished named, so memory does not grow with attempts."""
        for key in [k for k in self._answers if k[0] == step_index]:
            if keep is None or key != (keep["step_index"], keep["attempt"]):
                del self._answers[key]

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
        self._streamed.setdefault((step_index, attempt), []).append(text)

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
