"""Read session logs, live or crashed: a torn last line is reported and skipped."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalatui.engine.events import Event, event_from_record
from escalatui.engine.money import known_cost
from escalatui.session.migrate import migrate

MAX_READ_BYTES = 512 * 1024 * 1024


@dataclass
class ReadResult:
    """The events of a session and what could not be read."""

    path: Path
    events: list[Event] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    schema: int | None = None


def read_session(path: Path) -> ReadResult:
    """Every readable record of `path`; bad lines are reported by number and skipped."""
    result = ReadResult(path)
    data = path.read_bytes()[:MAX_READ_BYTES]
    lines = data.split(b"\n")
    torn_tail = lines[-1] != b""
    if not torn_tail:
        lines.pop()
    schema = None
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8", "surrogateescape"))
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except ValueError:
            last = number == len(lines) and torn_tail
            result.problems.append(
                f"line {number}: "
                + (
                    "torn last line (the run was cut off or is still writing); skipped"
                    if last
                    else "not valid JSON; skipped"
                )
            )
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
    """Read just enough of a session to list it."""
    head: dict[str, Any] = {}
    run: dict[str, Any] = {}
    attempts = 0
    with open(path, "rb") as f:
        for raw in f:
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            kind = record.get("type") if isinstance(record, dict) else None
            if kind == "session":
                head = record
            elif kind == "attempt":
                attempts += 1
            elif kind == "run":
                run = record
    cost = run.get("cost_usd")
    return SessionSummary(
        path,
        str(head.get("run_id", "?")),
        str(head.get("task_name", "?")),
        str(head.get("started_at", "")),
        str(run.get("status", "unfinished")),
        known_cost(cost),
        attempts,
        run.get("cost_unknown") is True,
    )


def list_sessions(directory: Path) -> list[SessionSummary]:
    """Sessions in `directory`, newest first; files that vanish or cannot be read are left out."""
    if not directory.is_dir():
        return []
    dated = []
    for path in directory.glob("*.jsonl"):
        try:
            dated.append((path.stat().st_mtime, path))
        except OSError:
            continue
    summaries = []
    for _, path in sorted(dated, key=lambda d: d[0], reverse=True):
        try:
            summaries.append(summarize(path))
        except OSError:
            continue
    return summaries
