"""Replay a saved session through the same widgets as a live run: pause, step, speed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from escalatui.engine.events import AttemptStarted, Delta, Event, RunFinished, RunStarted
from escalatui.session import ReadResult, read_session
from escalatui.tui.display import Display, screen_text
from escalatui.tui.first_paint import after_paint
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
        Binding("N", "next_attempt", "Next attempt", id="next-attempt", priority=True),
        Binding("right", "step", "Step", id="step-right", show=False, priority=True),
        Binding("s", "speed", "Speed", id="speed"),
        Binding("escape", "back", "Home", id="back"),
    ]

    def __init__(
        self,
        result: ReadResult | None,
        display: Display,
        from_home: bool = False,
        speed: float | None = 1.0,
        paused: bool = False,
        path: Path | None = None,
    ) -> None:
        """Replay `result`; or, given only `path`, read that log after the first frame (a long
        session takes a while to read, and the screen should not wait for it)."""
        super().__init__()
        self.path = path if result is None else result.path
        self.result = result
        self.events: list[Event] = []
        self.times: list[float] = []
        self.loaded = False
        self.display_format = display
        self.from_home = from_home
        self.view = RunView(display, id="run-view")
        self.speed = speed
        self.paused = paused
        self.position = 0
        """How many events have been played."""
        self._until: Callable[[Event], bool] | None = None
        """While stepping: play without waiting until an event this says yes to."""
        self._wake = asyncio.Event()
        self._places: list[tuple[int | None, int]] = []
        self._steps = 0
        self._attempts = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.view
        yield Static(id="replay-status")
        yield Footer()

    def on_mount(self) -> None:
        name = (
            "session.jsonl" if self.display_format.frozen else self.path.name if self.path else ""
        )
        self.query_one(Totals).session = name
        if self.result is not None:
            self._start(self.result)
        else:
            self._show_position()
            after_paint(self, self.read_log)

    @work(thread=True, exclusive=True, group="replay-read", exit_on_error=False)
    def read_log(self) -> None:
        """Read the session log off the event loop, then play it."""
        assert self.path is not None
        try:
            result = read_session(self.path)
        except OSError as exc:
            problem = f"{self.path}: cannot read: {exc.strerror or exc}"
            self.app.call_from_thread(self._unplayable, "Session cannot be opened", [problem])
            return
        if not result.events:
            problems = result.problems or ["no session records found"]
            title = f"{self.path.name} has nothing to replay"
            self.app.call_from_thread(self._unplayable, title, problems)
            return
        times = timeline(result.events)  # here too: thousands of events take a moment
        self.app.call_from_thread(self._start, result, times)

    def _unplayable(self, title: str, problems: list[str]) -> None:
        from escalatui.tui.screens.problems import ProblemsScreen

        self.loaded = True
        self._show_position()
        self.app.push_screen(ProblemsScreen(title, problems))

    def _start(self, result: ReadResult, times: list[float] | None = None) -> None:
        self.result = result
        self.events = result.events
        self.times = times if times is not None else timeline(result.events)
        self._places = _places(result.events)
        started = next((e for e in self.events if isinstance(e, RunStarted)), None)
        self._steps = len(started.steps) if started else 0
        if started is not None:
            self.sub_title = screen_text(started.task_name)
        self._attempts = sum(isinstance(e, AttemptStarted) for e in self.events)
        self.loaded = True
        for problem in result.problems:
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
        return self.loaded and self.position >= len(self.events)

    @work(exclusive=True, group="replay", exit_on_error=False)
    async def play(self) -> None:
        """Feed every event to the view at its recorded time (scaled by the speed)."""
        previous = 0.0
        for i, event in enumerate(self.events):
            await self._wait(min(self.times[i] - previous, MAX_GAP_S))
            previous = self.times[i]
            self.view.feed(event)
            self.position = i + 1
            stepped = self._until is not None and self._until(event)
            if stepped:
                self._until = None
            if not isinstance(event, Delta):
                self.query_one(Totals).set_elapsed(self.times[i])
            if stepped or not isinstance(event, Delta):
                self._show_position()
        self._show_position()
        self.refresh_bindings()

    async def _wait(self, gap: float) -> None:
        """Wait `gap` recorded seconds at the current speed; pausing stops the clock, a step
        or a speed change takes effect at once."""
        loop = asyncio.get_running_loop()
        remaining = gap
        while self._until is None:
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
        if not self.loaded:
            state = "reading the session log…"
        elif self.finished:
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
                (f" · {self.place_text()}event {self.position}/{total}", "$text-muted"),
            )
        )

    def place_text(self) -> str:
        """`step 1/2 · attempt 3/5 · ` for the last event played (empty before the first)."""
        if self.position == 0:
            return ""
        step, attempt = self._places[self.position - 1]
        parts = []
        if step is not None:
            parts.append(f"step {step + 1}/{max(self._steps, step + 1)}")
        if attempt:
            parts.append(f"attempt {attempt}/{self._attempts}")
        return "".join(p + " · " for p in parts)

    def action_pause(self) -> None:
        """Pause or go on."""
        self.paused = not self.paused
        self._wake.set()
        self._show_position()

    def action_step(self) -> None:
        """Play one event: a chunk of text, or whatever comes next (pauses first)."""
        self._step(lambda event: True)

    def action_next_attempt(self) -> None:
        """Play up to and including the next attempt's start (pauses first)."""
        self._step(lambda event: isinstance(event, AttemptStarted))

    def _step(self, until: Callable[[Event], bool]) -> None:
        self.paused = True
        self._until = until
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
        if action in ("pause", "step", "next_attempt", "speed"):
            return not self.finished or None
        return True

    def action_back(self) -> None:
        if self.from_home:
            self.workers.cancel_group(self, "replay")
            self.dismiss()

    @on(History.Opened)
    def open_attempt(self, message: History.Opened) -> None:
        self.app.push_screen(AttemptScreen(message.attempt, self.display_format))


def _places(events: list[Event]) -> list[tuple[int | None, int]]:
    """For each event: the step index it belongs to and how many attempts had started by then
    (counted over the whole run, so `attempt 3/5` reads as the third of five)."""
    places: list[tuple[int | None, int]] = []
    step: int | None = None
    attempts = 0
    for event in events:
        index = getattr(event, "step_index", None)
        if isinstance(index, int):
            step = index
        if isinstance(event, AttemptStarted):
            attempts += 1
        places.append((step, attempts))
    return places
