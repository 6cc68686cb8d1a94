"""Replay a saved session through the same widgets as a live run: pause, step, speed."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from escalatui.engine.events import Delta, RunFinished
from escalatui.session import ReadResult
from escalatui.tui.display import Display, screen_text
from escalatui.tui.screens.attempt import AttemptScreen
from escalatui.tui.timeline import timeline
from escalatui.tui.widgets.history import History
from escalatui.tui.widgets.run_view import RunView
from escalatui.tui.widgets.totals import Totals

SPEEDS: tuple[float | None, ...] = (1.0, 2.0, 10.0, None)
"""Real time, twice, ten times as fast, instant."""
MAX_GAP_S = 5.0
"""Longer pauses in the recording (cold loads, a person thinking) are shortened to this."""


def speed_name(speed: float | None) -> str:
    return "instant" if speed is None else "real time" if speed == 1 else f"×{speed:g}"


class ReplayScreen(Screen[None]):
    """Plays `result.events` into a RunView, timed by the recording."""

    BINDINGS = [
        Binding("space", "pause", "Pause/play", id="pause", priority=True),
        Binding("n", "step", "Step", id="step", priority=True),
        Binding("right", "step", "Step", id="step-right", show=False, priority=True),
        Binding("s", "speed", "Speed", id="speed"),
        Binding("escape", "back", "Home", id="back"),
    ]

    def __init__(
        self,
        result: ReadResult,
        display: Display,
        from_home: bool = False,
        speed: float | None = 1.0,
        paused: bool = False,
    ) -> None:
        super().__init__()
        self.result = result
        self.events = result.events
        self.times = timeline(result.events)
        self.display_format = display
        self.from_home = from_home
        self.view = RunView(display, id="run-view")
        self.speed = speed
        self.paused = paused
        self.position = 0
        """How many events have been played."""
        self._step_pending = False
        self._wake = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.view
        yield Static(id="replay-status")
        yield Footer()

    def on_mount(self) -> None:
        name = "session.jsonl" if self.display_format.frozen else self.result.path.name
        self.query_one(Totals).session = name
        for problem in self.result.problems:
            self.notify(
                screen_text(problem),
                title="Session log",
                severity="warning",
                timeout=10,
                markup=False,
            )
        self._show_position()
        self.play()

    @property
    def finished(self) -> bool:
        return self.position >= len(self.events)

    @work(exclusive=True, group="replay", exit_on_error=False)
    async def play(self) -> None:
        """Feed every event to the view at its recorded time (scaled by the speed)."""
        previous = 0.0
        for i, event in enumerate(self.events):
            await self._wait(min(self.times[i] - previous, MAX_GAP_S))
            previous = self.times[i]
            self.view.feed(event)
            self.position = i + 1
            if not isinstance(event, Delta):
                self._step_pending = False
                self.query_one(Totals).set_elapsed(self.times[i])
                self._show_position()
        self._show_position()
        self.refresh_bindings()

    async def _wait(self, gap: float) -> None:
        """Wait `gap` recorded seconds at the current speed; pausing stops the clock, a step
        or a speed change takes effect at once."""
        loop = asyncio.get_running_loop()
        remaining = gap
        while not self._step_pending:
            if self.paused:
                self._wake.clear()
                await self._wake.wait()
                continue
            speed = self.speed
            if speed is None or remaining <= 0:
                return
            self._wake.clear()
            start = loop.time()
            try:
                async with asyncio.timeout(remaining / speed):  # never swallows a cancel
                    await self._wake.wait()
            except TimeoutError:
                return
            remaining -= (loop.time() - start) * speed

    def _show_position(self) -> None:
        total = len(self.events)
        if self.finished:
            ended = any(isinstance(e, RunFinished) for e in self.events)
            state = (
                "end of session"
                if ended
                else "end of log (no run record: still running or cut off)"
            )
        else:
            state = "paused" if self.paused else f"playing {speed_name(self.speed)}"
        self.query_one("#replay-status", Static).update(
            Content.assemble(
                ("replay ", "bold"),
                (state, "$text-accent"),
                (f" · event {self.position}/{total}", "$text-muted"),
            )
        )

    def action_pause(self) -> None:
        """Pause or go on."""
        self.paused = not self.paused
        self._wake.set()
        self._show_position()

    def action_step(self) -> None:
        """Play up to the next event that is not stream text (pauses first)."""
        self.paused = True
        self._step_pending = True
        self._wake.set()
        self._show_position()

    def action_speed(self) -> None:
        """Real time, ×2, ×10, instant, then round again."""
        index = SPEEDS.index(self.speed) if self.speed in SPEEDS else 0
        self.speed = SPEEDS[(index + 1) % len(SPEEDS)]
        self._wake.set()
        self._show_position()
        self.notify(f"replay speed: {speed_name(self.speed)}", timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.from_home
        if action in ("pause", "step", "speed"):
            return not self.finished or None
        return True

    def action_back(self) -> None:
        if self.from_home:
            self.workers.cancel_group(self, "replay")
            self.dismiss()

    @on(History.Opened)
    def open_attempt(self, message: History.Opened) -> None:
        self.app.push_screen(AttemptScreen(message.attempt, self.display_format))
