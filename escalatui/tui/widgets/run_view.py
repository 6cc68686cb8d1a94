"""The widgets of one run, and the one place engine events turn into what is on screen.

A live run and a replay both feed their events here (through an `EventFeed`), so a replay
shows exactly what the live run showed.
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
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
)
from escalatui.formatting import provider_text, warm_word
from escalatui.tui.display import Display, plain, screen_text
from escalatui.tui.feed import EventFeed
from escalatui.tui.messages import EngineEvent, StreamBatch
from escalatui.tui.run_state import RunState
from escalatui.tui.widgets.answer_view import AnswerView
from escalatui.tui.widgets.decision_bar import DecisionBar
from escalatui.tui.widgets.history import History
from escalatui.tui.widgets.ladder import Ladder
from escalatui.tui.widgets.steps import Steps
from escalatui.tui.widgets.totals import Totals

SEVERITY: dict[str, SeverityLevel] = {
    "info": "information",
    "warning": "warning",
    "error": "error",
}


COMPACT = (110, 32)
"""Below this width or height the ladder takes a line a rung and the attempts table shrinks."""
TINY = (70, 20)
"""Below this the side panel folds into one line and the attempts hide behind `h`."""


class RunView(Widget, can_focus=True):
    """Steps, ladder and totals on the left, the answer and the decision bar on the right,
    the attempts below. `feed` is the sink to hand events to."""

    BINDINGS = [
        Binding("m", "toggle_markdown", "Raw/rendered", id="markdown"),
        Binding("c", "copy_answer", "Copy", id="copy"),
        Binding("h", "toggle_history", "Attempts", id="attempts"),
    ]

    def __init__(self, display: Display, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.display_format = display
        self.state = RunState()
        self.feed = EventFeed(self)
        self.answer = AnswerView(id="answer")
        self._note = ""
        self._subtitle_note = ""

    def compose(self) -> ComposeResult:
        yield Ladder(frozen=self.display_format.frozen, id="ladder-line")
        with Horizontal(id="run-top"):
            with Vertical(id="run-side"):
                yield Steps(id="steps")
                yield Ladder(frozen=self.display_format.frozen, id="ladder")
                yield Totals(self.display_format, id="totals")
            with Vertical(id="run-main"):
                yield self.answer
                yield DecisionBar(id="decision", classes="-empty")
        yield History(self.display_format, id="history")

    def on_mount(self) -> None:
        self.query_one("#run-side").border_title = Content("chain")
        self.query_one("#history").border_title = Content("attempts")
        self.answer.border_title = Content("waiting for the first attempt")
        self.query_one("#ladder-line", Ladder).set_fold(2)
        self._redraw()

    # -- size -----------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._fit(self.app.size.width, self.app.size.height)

    def _fit(self, width: int, height: int) -> None:
        """Fold panels on small terminals; the answer and the decision bar always stay."""
        tiny = width < TINY[0] or height < TINY[1]
        compact = tiny or width < COMPACT[0] or height < COMPACT[1]
        self.set_class(compact, "-compact")
        self.set_class(tiny, "-tiny")
        self.screen.set_class(tiny, "-tiny-run")
        focused = self.screen.focused
        if focused is None or not focused.display:
            # A folded panel had the focus: keep this view's keys (m, c, h) working.
            self.call_after_refresh(self.focus)
        self.query_one("#ladder", Ladder).set_fold(1 if compact else 0)
        bar = self.query_one("#decision", DecisionBar)
        lines = 2 if tiny else 3 if compact else 6
        if bar.lines != lines:
            bar.lines = lines
            bar.show(self.state, self.display_format)

    # -- keys -----------------------------------------------------------------------------

    def action_toggle_markdown(self) -> None:
        """Show the answer rendered as Markdown or as the raw text."""
        self.answer.toggle()
        self._answer_subtitle()

    def action_toggle_history(self) -> None:
        """Show or hide the attempts table (it hides by itself on small terminals)."""
        self.toggle_class("-show-history")
        if self.has_class("-show-history"):
            self.query_one("#history", History).focus()

    def action_copy_answer(self) -> None:
        """Copy the answer on screen to the clipboard."""
        ended = self.state.ended
        key = self.state.current_key
        if ended is not None and (ended.step_index, ended.attempt) == key:
            text = screen_text(ended.output)
        else:
            text = self.answer.text
        if not text:
            self.notify("No answer to copy yet.", timeout=3, markup=False)
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the answer ({len(text):,} characters).", timeout=3, markup=False)

    @on(Steps.Chosen)
    def open_step(self, message: Steps.Chosen) -> None:
        from escalatui.tui.screens.attempt import AttemptScreen

        attempt = self.state.step_answer(message.index)
        if attempt is None:
            running = self.state.step is not None and self.state.step.step_index == message.index
            why = "no attempt of it is decided yet" if running else "it has not started"
            self.notify(f"Step {message.index + 1}: {why}.", timeout=3, markup=False)
            return
        self.app.push_screen(AttemptScreen(attempt, self.display_format))

    # -- events ---------------------------------------------------------------------------

    @on(StreamBatch)
    def show_stream_text(self, message: StreamBatch) -> None:
        text = message.take()
        if not text or message.key != self.state.current_key:
            return
        before = self._rung_states()
        self.state.apply(Delta(step_index=message.key[0], attempt=message.key[1], text=text))
        self.answer.append(text)
        if self._rung_states() != before:
            self._redraw_ladders()
        if self.answer.render_note != self._subtitle_note:
            self._answer_subtitle()

    @on(EngineEvent)
    async def show_event(self, message: EngineEvent) -> None:
        event = message.event
        self.state.apply(event)
        answer = self.answer
        match event:
            case AttemptStarted():
                await answer.clear()
                answer.border_title = self._attempt_title(event)
                self._note = ""
                self._answer_subtitle()
            case AttemptEnded():
                await answer.finish()
                note = "complete" if event.complete else "incomplete: " + (event.error or "")
                self._note = screen_text(note)[:80]
                self._answer_subtitle()
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
        return plain(
            f"#{event.attempt} {event.step} · {tier.label} "
            f"({provider_text(tier.provider, tier.simulated)}, "
            f"{warm_word(event.warm)})"
        )

    def _answer_subtitle(self) -> None:
        """What the answer panel says under it: complete or not, raw or rendered."""
        mode = "rendered" if self.answer.rendered else "raw"
        if self.answer.rendered and self.answer.render_note:
            mode = self.answer.render_note
        self._subtitle_note = self.answer.render_note
        parts = [p for p in (self._note, mode) if p]
        self.answer.border_subtitle = Content(" · ".join(parts))

    def _rung_states(self) -> list[str]:
        return [r.state for r in self.state.rungs]

    def _redraw_ladders(self) -> None:
        self.query_one("#ladder", Ladder).show(self.state)
        self.query_one("#ladder-line", Ladder).show(self.state)

    def _redraw(self) -> None:
        self._redraw_ladders()
        self.query_one("#steps", Steps).show(self.state)
        self.query_one("#totals", Totals).show(self.state)
        self.query_one("#decision", DecisionBar).show(self.state, self.display_format)
        self.set_class(self.state.awaiting is not None, "-deciding")
