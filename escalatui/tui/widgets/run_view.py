"""The widgets of one run, and the one place engine events turn into what is on screen.

A live run and a replay both feed their events here (through an `EventFeed`), so a replay
shows exactly what the live run showed.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.widget import Widget

from escalatui.engine.events import (
    AttemptDecided,
    AttemptEnded,
    AttemptStarted,
    Delta,
    Notice,
    RunStarted,
)
from escalatui.tui.display import Display, plain, screen_text, warm_word
from escalatui.tui.feed import EventFeed
from escalatui.tui.messages import EngineEvent, StreamBatch
from escalatui.tui.run_state import RunState
from escalatui.tui.widgets.decision_bar import DecisionBar
from escalatui.tui.widgets.history import History
from escalatui.tui.widgets.ladder import Ladder
from escalatui.tui.widgets.stream_view import StreamView
from escalatui.tui.widgets.totals import Totals

SEVERITY: dict[str, SeverityLevel] = {
    "info": "information",
    "warning": "warning",
    "error": "error",
}


class RunView(Widget):
    """Ladder and totals on the left, the stream and the decision bar on the right, the
    attempts below. `feed` is the sink to hand events to."""

    def __init__(self, display: Display, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.display_format = display
        self.state = RunState()
        self.feed = EventFeed(self)

    def compose(self) -> ComposeResult:
        with Horizontal(id="run-top"):
            with Vertical(id="run-side"):
                yield Ladder(frozen=self.display_format.frozen, id="ladder")
                yield Totals(self.display_format, id="totals")
            with Vertical(id="run-main"):
                yield StreamView(id="stream")
                yield DecisionBar(id="decision", classes="-empty")
        yield History(self.display_format, id="history")

    def on_mount(self) -> None:
        self.query_one("#run-side").border_title = Content("chain")
        self.query_one("#history").border_title = Content("attempts")
        self.query_one("#stream", StreamView).border_title = Content(
            "waiting for the first attempt"
        )
        self._redraw()

    @on(StreamBatch)
    def show_stream_text(self, message: StreamBatch) -> None:
        text = message.take()
        if not text or message.key != self.state.current_key:
            return
        before = self._rung_states()
        self.state.apply(Delta(message.key[0], message.key[1], text))
        self.query_one("#stream", StreamView).append(text)
        if self._rung_states() != before:
            self.query_one("#ladder", Ladder).show(self.state)

    @on(EngineEvent)
    def show_event(self, message: EngineEvent) -> None:
        event = message.event
        self.state.apply(event)
        stream = self.query_one("#stream", StreamView)
        match event:
            case RunStarted():
                self.app.sub_title = screen_text(event.task_name)
            case AttemptStarted():
                stream.clear()
                stream.border_title = self._attempt_title(event)
                stream.border_subtitle = None
            case AttemptEnded():
                stream.flush()
                note = "complete" if event.complete else "incomplete: " + (event.error or "")
                stream.border_subtitle = Content(screen_text(note)[:80])
            case AttemptDecided():
                self.query_one("#history", History).add(event)
            case Notice():
                self.app.notify(
                    screen_text(event.message),
                    severity=SEVERITY.get(event.level, "information"),
                    timeout=3 if event.level == "info" else 8,
                    markup=False,
                )
        self._redraw()

    def _attempt_title(self, event: AttemptStarted) -> Content:
        tier = event.tier
        sim = ", simulated" if tier.simulated else ""
        return plain(
            f"#{event.attempt} {event.step} · {tier.label} ({tier.provider}{sim}, "
            f"{warm_word(event.warm)})"
        )

    def _rung_states(self) -> list[str]:
        return [r.state for r in self.state.rungs]

    def _redraw(self) -> None:
        self.query_one("#ladder", Ladder).show(self.state)
        self.query_one("#totals", Totals).show(self.state)
        self.query_one("#decision", DecisionBar).show(self.state, self.display_format)
