"""Every decided attempt, one row each; Enter on a row shows the attempt in full."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from escalatui.engine.events import AttemptDecided
from escalatui.formatting import SIMULATED, UNKNOWN, warm_word
from escalatui.tui.display import Display, one_line

NOTE_CHARS = 48
"""Feedback is cut to this in the table; Enter on the row shows all of it."""
COLUMNS = ("#", "step", "model", "verdict", "by", "time", "tokens", "cost", "warm", "ttft")
"""What was decided comes first: on a narrow terminal the figures are cut, then the feedback."""
WIDTHS = {
    "#": 2,
    "step": 10,
    "model": 22,  # room for `strong-sim (simulated)`
    "verdict": 8,
    "by": 9,
    "time": 7,
    "tokens": 9,
    "cost": 8,
    "warm": 5,
    "ttft": 6,
}


class History(DataTable[Text]):
    """The attempts table. Cells are Rich `Text` objects: a str cell would be read as markup."""

    DEFAULT_CSS = """
    History { height: 9; overflow-x: hidden; }
    """

    @dataclass
    class Opened(Message):
        """A person asked to see one attempt in full."""

        history: History
        attempt: AttemptDecided

        @property
        def control(self) -> History:
            return self.history

    def __init__(self, display: Display, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.display_format = display
        self.attempts: list[AttemptDecided] = []

    def on_mount(self) -> None:
        # Fixed widths: Textual widens columns only when idle, so rows drawn in between
        # would show cut cells and a shifted header.
        for name in COLUMNS:
            self.add_column(name, key=name, width=WIDTHS.get(name))
        self.add_column("feedback", key="feedback")

    def add(self, a: AttemptDecided) -> None:
        """Append a decided attempt and keep it in view."""
        fmt = self.display_format
        self.attempts.append(a)
        cells = [
            str(a.attempt),
            one_line(a.step, 10),
            one_line(a.model, 22) if not a.simulated else f"{one_line(a.model, 10)} ({SIMULATED})",
        ]
        row = [Text(c) for c in cells]
        row.append(Text(a.verdict, style=_verdict_style(a.verdict)))
        row.append(Text(decided_by(a), style="bold" if a.decided_by == "human" else ""))
        figures = [
            fmt.seconds(a.duration_ms),
            fmt.tokens(a.prompt_tokens, a.completion_tokens),
            "unknown" if a.cost_usd is None else fmt.cost(a.cost_usd),  # the column says cost
            UNKNOWN if a.warm is None else warm_word(a.warm),  # as for unknown tokens
            fmt.seconds(a.ttft_ms),
        ]
        row += [Text(c) for c in figures]
        row.append(Text(_note(a)))
        self.add_row(*row, key=str(len(self.attempts) - 1))
        self.move_cursor(row=self.row_count - 1)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        index = int(event.row_key.value or 0)
        self.post_message(self.Opened(self, self.attempts[index]))


def decided_by(a: AttemptDecided) -> str:
    """Who decided; "no checks" when the checks decided but the step has none."""
    if a.decided_by == "checks" and not a.checks:
        return "no checks"
    return a.decided_by


def _verdict_style(verdict: str) -> str:
    return {"accept": "bold", "rejected": "bold reverse", "error": "bold"}.get(verdict, "")


def _note(a: AttemptDecided) -> str:
    """Feedback on one line; for a broken attempt, why it is broken."""
    if not a.complete and a.error:
        return one_line("incomplete: " + a.error, NOTE_CHARS)
    if a.feedback and a.verdict != "accept":
        return one_line(a.feedback, NOTE_CHARS)
    return ""
