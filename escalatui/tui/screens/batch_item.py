"""One running item of a batch, on the same widgets as a single run: its events so far, then
live; the usual keys answer it. Opened from the waiting queue, a decision moves on to the next
item that waits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from escalatui.engine.decisions import Action
from escalatui.engine.events import RunFinished
from escalatui.run_session import RunSession
from escalatui.tui.display import screen_text
from escalatui.tui.messages import EngineEvent
from escalatui.tui.screens.attempt import AttemptScreen
from escalatui.tui.screens.feedback import FeedbackResult, FeedbackScreen
from escalatui.tui.screens.run import DECISION_ACTIONS, decision_bindings
from escalatui.tui.widgets.history import History
from escalatui.tui.widgets.run_view import RunView
from escalatui.tui.widgets.totals import Totals

if TYPE_CHECKING:
    from escalatui.tui.screens.batch import BatchScreen


class BatchItemScreen(Screen[None]):
    """A batch item's live run; Escape goes back to the batch."""

    BINDINGS = decision_bindings(abort="Abort item", back="Batch")

    def __init__(self, batch_screen: BatchScreen, item_id: str, queued: bool = False) -> None:
        super().__init__()
        self.batch_screen = batch_screen
        self.item_id = item_id
        self.queued = queued
        """Opened from the waiting queue: a decision moves on to the next waiting item."""
        # Named before the header watches it (see RunScreen).
        self.sub_title = screen_text(batch_screen.batch_job.request.loaded.task.name)
        self.view = RunView(batch_screen.display_format, id="run-view")
        self._backlog = batch_screen.events.get(item_id, [])
        """The item's events so far: the batch screen's own list, which keeps growing until the
        item ends (taken now: the item may end before this screen is mounted)."""
        self._keys: tuple[bool, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="item-status")
        yield self.view
        yield Footer()

    def on_mount(self) -> None:
        # The events so far, then live: both in the batch screen's order, on this one loop.
        for event in self._backlog:
            self.view.feed(event)
        self._backlog = []
        if self.item_id in self.batch_screen.events:
            self.batch_screen.watchers[self.item_id] = self.view.feed
        self._show_status()
        self.set_interval(1.0, self._tick, name="item-clock")
        self._tick()

    def _tick(self) -> None:
        """The item's run clock, from when the batch started it."""
        self._show_status()  # other items may have started waiting meanwhile
        started = self.batch_screen.table.rows_by_id[self.item_id].started
        if self.running and started is not None:
            self.query_one(Totals).set_elapsed(time.monotonic() - started)

    def on_unmount(self) -> None:
        self._leave()

    def _leave(self) -> None:
        if self.batch_screen.watchers.get(self.item_id) == self.view.feed:
            del self.batch_screen.watchers[self.item_id]

    @property
    def session(self) -> RunSession | None:
        return self.batch_screen.batch_job.sessions.get(self.item_id)

    @property
    def running(self) -> bool:
        return self.session is not None and self.view.state.finished is None

    def _show_status(self) -> None:
        waiting = [i for i in self.batch_screen.queue.waiting() if i != self.item_id]
        parts: list[str | tuple[str, str]] = [("item ", "bold"), screen_text(self.item_id)]
        if waiting:
            parts.append((f" · {len(waiting)} other item(s) wait for you", "$text-warning"))
        self.query_one("#item-status", Static).update(Content.assemble(*parts))

    @on(EngineEvent)
    def run_changed(self, message: EngineEvent) -> None:
        keys = (self.running, self.view.state.can_escalate)
        if keys != self._keys or isinstance(message.event, RunFinished):
            self._keys = keys
            self.refresh_bindings()
        self._show_status()

    @on(History.Opened)
    def open_attempt(self, message: History.Opened) -> None:
        self.app.push_screen(AttemptScreen(message.attempt, self.batch_screen.display_format))

    # -- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("decide", "edit_feedback"):
            if not self.running:
                return False
            if parameters == ("escalate",) and not self.view.state.can_escalate:
                return None
        return True

    def action_decide(self, action: Action, feedback: str | None = None) -> None:
        """Approve, retry, escalate or abort this item: its question, else its stream."""
        session = self.session
        if session is None or not self.running:
            self.notify("This item has ended.", timeout=3)
            return
        if action == "escalate" and not self.view.state.can_escalate:
            self.notify("No stronger model left in the chain; retry or abort.")
            return
        decider = self.batch_screen.queue.deciders.get(self.item_id)
        done = session.act(action, feedback, decider.resolve if decider else None)
        if done == "queued":
            self.notify(f"{action}: applies when the checks finish", timeout=3)
        if done == "decided" and self.queued:
            self._next_waiting()

    def _next_waiting(self) -> None:
        """Decided: on to the item that has waited longest, or back to the batch."""
        following = self.batch_screen.queue.next(besides=self.item_id)
        self._leave()
        if following is None:
            self.app.pop_screen()
            return
        self.app.switch_screen(BatchItemScreen(self.batch_screen, following, queued=True))

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

        def send(result: FeedbackResult) -> None:
            if result is None or not self.running:
                return
            if self.view.state.current_key != key:
                self.notify("That attempt was already decided; the feedback was not used.")
                return
            action, text = result
            self.action_decide(action, text or None)

        title = f"Feedback for item {screen_text(self.item_id)[:40]}"
        self.app.push_screen(FeedbackScreen(title, feedback or "", state.can_escalate), send)

    def action_back(self) -> None:
        self._leave()
        self.dismiss()

    def commands(self) -> Iterator[SystemCommand]:
        if self.running:
            for action, help_text in DECISION_ACTIONS.items():
                yield SystemCommand(
                    action.capitalize(), help_text, lambda a=action: self.action_decide(a)
                )
