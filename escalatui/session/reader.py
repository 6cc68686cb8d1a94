"""Read session logs, live or crashed: a torn last line is reported and skipped."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalatui.engine.events import RECORD_TYPES, Event, event_from_record
from escalatui.engine.money import known_cost
from escalatui.files import open_regular
from escalatui.session.fields import wrong_field
from escalatui.session.migrate import migrate
from escalatui.session.resolve import Resolver

MAX_READ_BYTES = 512 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024
"""A record longer than this is not one the engine wrote (outputs are capped far below)."""


@dataclass
class ReadResult:
    """The events of a session and what could not be read."""

    path: Path
    events: list[Event] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    schema: int | None = None


def read_session(path: Path) -> ReadResult:
    """Every readable record of `path`; bad lines are reported by number and skipped.
    OSError when `path` cannot be opened or is not a regular file (a FIFO, a directory)."""
    result = ReadResult(path)
    schema = None
    resolver = Resolver()
    for number, raw, last in _lines(path, result.problems):
        record, problem = _parse(raw, last)
        if record is None:
            if problem:
                result.problems.append(f"line {number}: {problem}")
            continue
        if record.get("type") == "session":
            schema = record.get("schema", 0)
            result.schema = schema if isinstance(schema, int) else None
        try:
            record = migrate(record, result.schema)
        except ValueError as exc:
            # Every later record has the same schema: say it once and stop.
            result.problems.append(f"line {number}: {exc}")
            break
        cls = RECORD_TYPES.get(str(record.get("type")))
        wrong = None if cls is None else wrong_field(cls, record)
        if wrong is not None:
            result.problems.append(
                f"line {number}: damaged {record.get('type')} record ({wrong}); skipped"
            )
            continue
        try:
            record = resolver.resolve(record)
        except ValueError as exc:
            result.problems.append(
                f"line {number}: damaged {record.get('type')} record ({exc}); skipped"
            )
            continue
        result.records.append(record)
        try:
            event = event_from_record(record)
        except (TypeError, KeyError, ValueError) as exc:
            result.problems.append(
                f"line {number}: unreadable {record.get('type')} record ({exc}); skipped"
            )
            continue
        if event is not None:
            result.events.append(event)
    return result


def _parse(raw: bytes | None, last: bool) -> tuple[dict[str, Any] | None, str | None]:
    """A line as a JSON object, or None and why not (None too for a blank line)."""
    if raw is None:
        return None, f"longer than {MAX_LINE_BYTES:,} bytes; skipped"
    if not raw.strip():
        return None, None
    try:
        record = json.loads(raw.decode("utf-8", "surrogateescape"))
    except RecursionError:
        return None, "nested too deeply to read; skipped"
    except ValueError:
        if last and not raw.endswith(b"\n"):
            return None, "torn last line (the run was cut off or is still writing); skipped"
        return None, "not valid JSON; skipped"
    if not isinstance(record, dict):
        return None, "not a JSON object; skipped"
    return record, None


def _lines(path: Path, problems: list[str]) -> Iterator[tuple[int, bytes | None, bool]]:
    """(number, line or None when too long, is it the last) for each line of a regular file,
    reading at most MAX_READ_BYTES in all and MAX_LINE_BYTES per line."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as f:
        total = 0
        number = 0
        pending = f.readline(MAX_LINE_BYTES + 1)
        while pending:
            raw = pending
            number += 1
            total += len(raw)
            if len(raw) > MAX_LINE_BYTES:
                while not raw.endswith(b"\n") and total < MAX_READ_BYTES:  # skip the rest
                    raw = f.readline(1 << 20)
                    if not raw:
                        break
                    total += len(raw)
                line: bytes | None = None
            else:
                line = raw
            if total >= MAX_READ_BYTES:
                problems.append(f"larger than {MAX_READ_BYTES:,} bytes; the rest is not read")
                pending = b""
            else:
                pending = f.readline(MAX_LINE_BYTES + 1)
            yield number, line, not pending


DELTA_PREFIX = b'{"type": "delta"'
"""How every delta line the writer writes begins."""


def summary_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of `path` that say what happened, in the current schema, for counts, costs
    and verdicts (session listings, `escalatui stats`, learned chains). Delta lines, most of a
    log, are skipped unread, so the texts a file holds once are not put back; lines that cannot
    be read are passed over. OSError when `path` is not a readable regular file."""
    schema = None
    for _, raw, last in _lines(path, []):
        if raw is None or raw.startswith(DELTA_PREFIX):
            continue
        record, _problem = _parse(raw, last)
        if record is None:
            continue
        if record.get("type") == "session":
            found = record.get("schema", 0)
            schema = found if isinstance(found, int) else None
        try:
            yield migrate(record, schema)
        except ValueError:  # a newer schema: its records as they are, for what they say
            yield record


@dataclass(frozen=True)
class SessionSummary:
    """One line of `escalatui sessions`."""

    path: Path
    run_id: str
    task: str
    started_at: str
    status: str
    cost_usd: float | None
    attempts: int
    cost_unknown: bool = False
    """Some attempt's cost is unknown: `cost_usd` is the known part."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "run_id": self.run_id,
            "task": self.task,
            "started_at": self.started_at,
            "status": self.status,
            "cost_usd": self.cost_usd,
            "attempts": self.attempts,
            "cost_unknown": self.cost_unknown,
        }


def summarize(path: Path) -> SessionSummary:
    """Read just enough of a session to list it (OSError when it is not a readable file)."""
    head: dict[str, Any] = {}
    run: dict[str, Any] = {}
    attempts = 0
    for record in summary_records(path):
        kind = record.get("type")
        if kind == "session":
            head = record
        elif kind == "attempt":
            attempts += 1
        elif kind == "run":
            run = record
    cost = run.get("cost_usd")
    return SessionSummary(
        path,
        _text(head.get("run_id"), "?"),
        _text(head.get("task_name"), "?"),
        _text(head.get("started_at"), ""),
        _text(run.get("status"), "unfinished"),
        known_cost(cost),
        attempts,
        run.get("cost_unknown") is True,
    )


def _text(value: Any, default: str) -> str:
    """A field shown in the list: text as it is; anything else (a damaged record) the default."""
    return value if isinstance(value, str) else default


def list_sessions(directory: Path) -> list[SessionSummary]:
    """Sessions in `directory`, newest first; files that cannot be read are left out."""
    return scan_sessions(directory)[0]


def scan_sessions(directory: Path) -> tuple[list[SessionSummary], list[str]]:
    """Sessions in `directory`, newest first, and one line for each `*.jsonl` left out (a FIFO,
    a directory, /dev/zero behind a link, a file that vanished)."""
    if not directory.is_dir():
        return [], []
    dated = []
    skipped = []
    try:
        found = list(directory.glob("*.jsonl"))
    except OSError as exc:
        return [], [f"{directory}: cannot list: {exc.strerror or exc}"]
    for path in found:
        try:
            dated.append((path.stat().st_mtime, path))
        except OSError as exc:
            skipped.append(f"{path}: skipped: {exc.strerror or exc}")
    summaries = []
    for _, path in sorted(dated, key=lambda d: d[0], reverse=True):
        try:
            summaries.append(summarize(path))
        except OSError as exc:
            skipped.append(f"{path}: skipped: {exc.strerror or exc}")
    return summaries, skipped
