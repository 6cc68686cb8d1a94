"""What a TUI run printed to the terminal after the app exits: status, attempts, cost, the
session file, and each step's answer (the accepted one, else the last, marked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from escalatui.engine.events import AttemptDecided, Event, RunFinished, RunStarted
from escalatui.formatting import COST_UNKNOWN, usd_total
from escalatui.inert import inert

MAX_ANSWER_LINES = 60
MAX_ANSWER_CHARS = 8000


@dataclass
class RunRecord:
    """A sink that keeps what the summary needs (not the stream text)."""

    task_name: str = ""
    decided: list[AttemptDecided] = field(default_factory=list)
    finished: RunFinished | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.task_name = event.task_name
        elif isinstance(event, AttemptDecided):
            self.decided.append(event)
        elif isinstance(event, RunFinished):
            self.finished = event


def _cost(record: RunRecord) -> str:
    known = [a.cost_usd for a in record.decided if a.cost_usd is not None]
    if record.decided and not known:
        return COST_UNKNOWN
    spent = record.finished.cost_usd if record.finished else sum(known)
    unknown = len(known) < len(record.decided) or bool(
        record.finished and record.finished.cost_unknown
    )
    return usd_total(spent, unknown)


def _answer(text: str) -> str:
    """Model text made inert, and cut to a screenful (the whole of it is in the session file)."""
    shown = inert(text.replace("\r\n", "\n"))
    lines = shown.split("\n")
    cut = len(lines) > MAX_ANSWER_LINES or len(shown) > MAX_ANSWER_CHARS
    if cut:
        shown = "\n".join(lines[:MAX_ANSWER_LINES])[:MAX_ANSWER_CHARS]
        shown += "\n… (cut here; the whole answer is in the session file)"
    return shown


def summary_text(record: RunRecord, session: Path | None) -> str:
    """The lines printed after the TUI exits."""
    finished = record.finished
    status = finished.status if finished else "cancelled"
    attempts = finished.attempts if finished else len(record.decided)
    name = f" {inert(record.task_name)}" if record.task_name else ""
    lines = [f"escalatui run{name}: {status} · {attempts} attempt(s) · {_cost(record)}"]
    if finished is not None and finished.error:
        lines.append(f"  {inert(finished.error)}")
    lines.append(f"  session: {session}" if session else "  session: not written")
    steps: dict[int, list[AttemptDecided]] = {}
    for attempt in record.decided:
        steps.setdefault(attempt.step_index, []).append(attempt)
    for tries in steps.values():
        accepted = next((a for a in reversed(tries) if a.verdict == "accept"), None)
        shown = accepted or tries[-1]
        mark = "" if accepted else " (not accepted)"
        lines.append(
            f"--- {inert(shown.step)}: answer of #{shown.attempt} ({inert(shown.model)}){mark} ---"
        )
        lines.append(_answer(shown.output) if shown.output else "(empty)")
    if not record.decided:
        lines.append("  no attempt finished")
    return "\n".join(lines)
