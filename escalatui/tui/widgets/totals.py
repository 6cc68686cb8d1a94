"""Run totals: status, time, cost against the budget, attempts, approval mode, session file."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from escalatui.formatting import usd
from escalatui.tui.display import Display, screen_text
from escalatui.tui.run_state import RunState

STATUS_STYLE = {
    "accepted": "bold $text-success",
    "failed": "bold $text-error",
    "budget": "bold $text-error",
    "cancelled": "bold $text-warning",
    "awaiting": "bold $text-warning",
}


class Totals(Static):
    """A few labelled lines; `show()` redraws them."""

    DEFAULT_CSS = """
    Totals { height: auto; }
    """

    def __init__(self, display: Display, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.display_format = display
        self.elapsed_s = 0.0
        self.session: str | None = None
        self._state: RunState | None = None

    def show(self, state: RunState) -> None:
        """Redraw from the run state."""
        self._state = state
        self.update(self._content(state))

    def set_elapsed(self, seconds: float) -> None:
        """The run clock (live: wall time; replay: recorded time)."""
        self.elapsed_s = seconds
        if self._state is not None:
            self.show(self._state)

    def _content(self, state: RunState) -> Content:
        fmt = self.display_format
        status = state.finished.status if state.finished else state.phase
        seconds = state.finished.duration_ms / 1000 if state.finished else self.elapsed_s
        cost = fmt.cost(state.cost_usd, state.cost_unknown)
        started = state.started
        if started and started.budget_usd is not None:
            cost += f" / {usd(started.budget_usd, 2)}"  # short: it fits the narrow panel
        rows: list[tuple[str, str | tuple[str, str]]] = [
            ("status", (status, STATUS_STYLE.get(status, "bold"))),
            ("time", fmt.elapsed(seconds)),
            ("cost", cost),
            ("attempts", str(state.finished.attempts if state.finished else _attempts(state))),
        ]
        if started:
            rows.append(("approval", started.approval))
        if self.session:
            rows.append(("session", screen_text(self.session)))
        parts: list[str | tuple[str, str]] = []
        for name, value in rows:
            parts.append((f"{name:<9}", "$text-muted"))
            parts.append(value)
            parts.append("\n")
        return Content.assemble(*parts[:-1])


def _attempts(state: RunState) -> int:
    """Attempts so far, counting the one under way."""
    running = state.phase in ("streaming", "checking", "awaiting")
    return len(state.decided) + (1 if running else 0)
