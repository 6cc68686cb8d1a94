"""The run screen: watch a task's attempts stream and steer the run by keyboard."""

from __future__ import annotations

import contextlib
import time

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState

from escalatui.engine.decisions import Action
from escalatui.engine.events import Event, RunFinished, RunStarted
from escalatui.run_session import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    RunRequest,
    exit_code,
)
from escalatui.session import SessionWriteError
from escalatui.tui.display import Display, screen_text
from escalatui.tui.live_run import LiveRun
from escalatui.tui.messages import EngineEvent
from escalatui.tui.screens.attempt import AttemptScreen
from escalatui.tui.screens.feedback import FeedbackResult, FeedbackScreen
from escalatui.tui.widgets.history import History
from escalatui.tui.widgets.run_view import RunView
from escalatui.tui.widgets.totals import Totals

DECISION_ACTIONS: dict[Action, str] = {
    "approve": "Approve the current answer",
    "retry": "Retry on the same model",
    "escalate": "Escalate to the next model now",
    "abort": "Abort the run",
}


def decision_bindings(*, abort: str, back: str) -> list[BindingType]:
    """The keys of a screen where a person decides an attempt (a run, or a batch item): the
    same ids everywhere, so a keymap moves them all; `abort` and `back` name what they do."""
    return [
        Binding("a", "decide('approve')", "Approve", id="approve"),
        Binding("r", "decide('retry')", "Retry", id="retry"),
        Binding("e", "decide('escalate')", "Escalate", id="escalate"),
        Binding("f", "edit_feedback", "Feedback", id="feedback"),
        Binding("x", "decide('abort')", abort, id="abort"),
        Binding("escape", "back", back, id="back"),
    ]


class RunScreen(Screen[None]):
    """A live run. The engine runs in a worker; keys answer it or interrupt it."""

    BINDINGS = decision_bindings(abort="Abort", back="Home")

    def __init__(
        self,
        request: RunRequest,
        display: Display,
        from_home: bool = False,
    ) -> None:
        super().__init__()
        # Named here, before the header watches it: a title set while the app quits would leave
        # the header's update unawaited (a warning on the terminal).
        self.sub_title = screen_text(request.loaded.task.name)
        self.display_format = display
        self.from_home = from_home
        self.view = RunView(display, id="run-view")
        self.live = LiveRun(request, self.view.feed, frozen=display.frozen)
        self.live.session.on_log_failure = self._log_failed
        self.worker: Worker[RunFinished] | None = None
        self.exit_code: int | None = None
        self._t0 = 0.0
        self._keys: tuple[bool, ...] = ()
        # The attempt whose failed checks a person is overriding with `a`: set by the first
        # press, cleared by the second (approve) or by any other key (cancelled).
        self._confirming: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.view
        yield Footer()

    def on_mount(self) -> None:
        try:
            self.live.session.check_writable()
        except SessionWriteError as exc:
            self.exit_code = EXIT_BAD_INPUT
            self.notify(
                screen_text(f"{exc}; set --session-dir or ESCALATUI_SESSION_DIR"),
                title="Cannot start",
                severity="error",
                timeout=30,
                markup=False,
            )
            return
        self._t0 = time.monotonic()
        self.set_interval(1.0, self._tick, name="run-clock")
        # After the first paint: the screen is whole before any model starts loading.
        self.call_after_refresh(self._start_engine)

    def _start_engine(self) -> None:
        if self.worker is None and self.is_attached:
            self.worker = self.run_task()

    @work(exclusive=True, group="run", exit_on_error=False)
    async def run_task(self) -> RunFinished:
        """The engine, fed to the session log, the log's name and the widgets."""
        return await self.live.run([self._name_log, self.view.feed])

    def _name_log(self, event: Event) -> None:
        path = self.live.session.session_path
        if isinstance(event, RunStarted) and path is not None:
            name = "session.jsonl" if self.display_format.frozen else path.name
            self.query_one(Totals).session = name

    def _log_failed(self, problem: str) -> None:
        self.notify(screen_text(problem), severity="warning", markup=False)

    def _tick(self) -> None:
        if self.running:
            self.query_one(Totals).set_elapsed(time.monotonic() - self._t0)

    @property
    def running(self) -> bool:
        """The engine is still going."""
        return self.worker is not None and not self.worker.is_finished

    async def stop_run(self) -> bool:
        """Cancel a run still going and wait until its log is closed; True if one was."""
        worker = self.worker
        if worker is None or worker.is_finished:
            return False
        worker.cancel()
        with contextlib.suppress(Exception):
            await worker.wait()
        self.exit_code = EXIT_INTERRUPTED
        return True

    # -- events ---------------------------------------------------------------------------

    @on(EngineEvent)
    def run_changed(self, message: EngineEvent) -> None:
        if isinstance(message.event, RunFinished):
            self.exit_code = exit_code(message.event.status)
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        # Only when what the keys can do changed: each refresh rebuilds the footer.
        keys = (self.running, self.view.state.can_escalate, self.view.state.finished is None)
        if keys != self._keys:
            self._keys = keys
            self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.worker:
            return
        if event.state == WorkerState.ERROR:
            self.exit_code = EXIT_FAILED
            error = event.worker.error
            self.notify(
                screen_text(f"the run stopped on an internal error: {error!r}"),
                severity="error",
                timeout=30,
                markup=False,
            )
        self._refresh_keys()

    @on(History.Opened)
    def open_attempt(self, message: History.Opened) -> None:
        self.app.push_screen(AttemptScreen(message.attempt, self.display_format))

    # -- keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("decide", "edit_feedback"):
            if not self.running:
                return False
            if parameters == ("escalate",) and not self.view.state.can_escalate:
                return None  # shown, but dimmed: no stronger model left
            return True
        if action == "back":
            return self.from_home and not self.running
        return True

    def _key_for(self, action: str) -> str:
        """The key bound to a decision (the user's keymap may have changed it)."""
        for key, active in self.active_bindings.items():
            if active.binding.action == f"decide('{action}')":
                return key
        return action

    def _actions_for(self, key: str) -> set[str]:
        active = self.active_bindings.get(key)
        return set() if active is None else {active.binding.action}

    def on_key(self, event: events.Key) -> None:
        """A pending override confirmation eats the next key unless it is approve again;
        escalate on the last tier says why nothing happens (its binding is dimmed)."""
        actions = self._actions_for(event.key)
        if self._confirming is not None and "decide('approve')" not in actions:
            self._confirming = None
            event.stop()
            event.prevent_default()
            self.notify("accept cancelled; the answer was not accepted", timeout=4)
            return
        if "decide('escalate')" in actions and self.running and not self.view.state.can_escalate:
            event.stop()
            event.prevent_default()
            self._no_stronger_model()

    def _no_stronger_model(self) -> None:
        self.notify("no stronger model in the chain; retry or abort", timeout=4)

    def _needs_confirmation(self) -> bool:
        """Approving overrides the checks: they looked at this answer and did not accept it."""
        ask = self.view.state.awaiting
        return ask is not None and ask.proposed != "accept" and self.live.decider.waiting

    def action_decide(self, action: Action) -> None:
        """Approve, retry, escalate or abort: the pending question, else the running stream."""
        if not self.running:
            return
        if action == "escalate" and not self.view.state.can_escalate:
            self._no_stronger_model()
            return
        if action == "approve" and self._needs_confirmation():
            key = self.view.state.current_key
            if self._confirming != key:
                self._confirming = key
                again = self._key_for("approve")
                self.notify(
                    f"accept although the checks failed? press {again} again",
                    severity="warning",
                    timeout=10,
                )
                return
        self._confirming = None
        if self.live.act(action) == "queued":
            self.notify(f"{action}: applies when the checks finish", timeout=3)

    def action_edit_feedback(self) -> None:
        """Edit the feedback, then retry or escalate with it."""
        if not self.running:
            return
        state = self.view.state
        key = state.current_key
        if state.awaiting is not None:
            feedback = state.awaiting.feedback
        else:
            feedback = state.checks.feedback if state.checks else None
        title = "Feedback for the next attempt"
        if state.attempt is not None:
            title += f" (after #{state.attempt.attempt} on {state.attempt.tier.label})"

        def send(result: FeedbackResult) -> None:
            if result is None or not self.running:
                return
            if self.view.state.current_key != key or self._decided(key):
                self.notify("That attempt was already decided; the feedback was not used.")
                return
            action, text = result
            self.live.act(action, text or None)

        self.app.push_screen(FeedbackScreen(title, feedback or "", state.can_escalate), send)

    def _decided(self, key: tuple[int, int] | None) -> bool:
        return any((d.step_index, d.attempt) == key for d in self.view.state.decided)

    def action_back(self) -> None:
        if self.from_home and not self.running:
            self.dismiss()
