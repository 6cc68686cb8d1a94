"""The batch screen: every item in one table, the batch's progress, per-tier figures and what
the cascade saved, live; the items waiting for a person, decided one after another."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from escalatui.batch.command import exit_code
from escalatui.batch.events import (
    BatchEvent,
    BatchFinished,
    BatchStarted,
    ItemEvent,
    ItemFinished,
    ItemStarted,
)
from escalatui.batch.scheduler import Batch
from escalatui.engine.events import (
    AttemptDecided,
    AttemptStarted,
    AwaitingDecision,
    Delta,
    Event,
    StepStarted,
)
from escalatui.run_session import EXIT_FAILED, EXIT_INTERRUPTED
from escalatui.session import read_session
from escalatui.tui.batch_feed import BatchFeed, BatchUpdate, WaitingQueue
from escalatui.tui.display import Display, plain, screen_text
from escalatui.tui.screens.confirm import ConfirmScreen
from escalatui.tui.widgets.batch_figures import BatchFigures, Progress
from escalatui.tui.widgets.batch_table import ItemTable

FLUSH_S = 0.1
"""The table and the figures are redrawn at most this often, however fast events come."""


class BatchScreen(Screen[None]):
    """Runs `batch` in a worker and shows it; quitting cancels the running items cleanly."""

    BINDINGS = [
        Binding("p", "pause", "Pause/resume", id="batch-pause"),
        Binding("w", "next_waiting", "Next waiting", id="batch-next"),
        Binding("x", "cancel_batch", "Cancel batch", id="batch-cancel"),
    ]

    def __init__(self, batch: Batch, display: Display) -> None:
        super().__init__()
        self.batch_job = batch
        self.display_format = display
        self.queue = WaitingQueue()
        # The person is the decider of every item (asked only when the approval mode says so).
        batch.decider_for = self.queue.decider_for
        self.feed = BatchFeed(self)
        self.table = ItemTable(batch.items, display, id="batch-items")
        self.progress = Progress(total=len(batch.items))
        self.events: dict[str, list[Event]] = {}
        """The run events of items still running (so one can be opened mid-run); dropped when
        the item ends, so memory follows the concurrency, not the number of items."""
        self.watchers: dict[str, Callable[[Event], object]] = {}
        """Open item screens: their feed gets the item's events live."""
        self.sessions: dict[str, str] = {}
        """Session file of each ended item, to replay it."""
        self.worker: Worker[BatchFinished] | None = None
        self.finished: BatchFinished | None = None
        self.failed = False
        self._t0 = 0.0
        self._figures_dirty = True
        self._waiting_shown: tuple[int, str] = (-1, "")
        """What the waiting bar shows: how many wait, the first of them."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield BatchFigures(self.display_format, id="batch-figures")
        yield Static(id="batch-waiting")
        yield self.table
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        self.table.fit(event.size.width)

    def on_mount(self) -> None:
        self.query_one("#batch-figures").border_title = plain(
            f"batch {self.batch_job.request.loaded.task.name}"
        )
        self.table.build(self.app.size.width)
        self._t0 = time.monotonic()
        self.set_interval(FLUSH_S, self._flush, name="batch-flush")
        self.set_interval(1.0, self._tick, name="batch-clock")
        self._flush()
        self.table.focus()
        self.worker = self.run_batch()

    @work(exclusive=True, group="batch", exit_on_error=False)
    async def run_batch(self) -> BatchFinished:
        return await self.batch_job.run(self._sink)

    def _sink(self, event: BatchEvent) -> None:
        if isinstance(event, BatchFinished):
            # kept at once: when the app is quitting, the message may never be handled
            self.finished = event
        self.feed(event)

    @property
    def running(self) -> bool:
        return self.worker is not None and not self.worker.is_finished

    async def stop_run(self) -> bool:
        """Cancel the batch if it is going and wait until every running item is recorded;
        True if it was going."""
        worker = self.worker
        if worker is None or worker.is_finished:
            return False
        self.progress.status = "cancelling"
        worker.cancel()
        with contextlib.suppress(Exception):
            await worker.wait()
        return True

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_FAILED
        if self.finished is None:
            return EXIT_INTERRUPTED
        return exit_code(self.finished.counts, self.finished.status)

    # -- batch events -----------------------------------------------------------------------

    @on(BatchUpdate)
    def batch_changed(self, message: BatchUpdate) -> None:
        for event in message.take():
            self._apply(event)

    def _apply(self, event: BatchEvent) -> None:
        rows = self.table.rows_by_id
        match event:
            case ItemEvent():
                run_event = event.event
                kept = self.events.get(event.item_id)
                if kept is not None:
                    kept.append(run_event)
                watcher = self.watchers.get(event.item_id)
                if watcher is not None:
                    watcher(run_event)
                if not isinstance(run_event, Delta):
                    self._fold(event.item_id, run_event)
            case ItemStarted():
                row = rows[event.item_id]
                row.status, row.started = "running", time.monotonic()
                self.events[event.item_id] = []
                self.progress.running += 1
                self.table.mark(event.item_id)
                self._figures_dirty = True
            case ItemFinished():
                self._item_finished(event)
            case BatchStarted():
                self.progress.total = event.total
                self.progress.skipped = event.skipped
                self._figures_dirty = True
            case BatchFinished():
                self.finished = event
                self.progress.status = event.status
                self.progress.elapsed_s = event.duration_ms / 1000
                self._figures_dirty = True
                self.refresh_bindings()
                self._flush()

    def _fold(self, item_id: str, event: Event) -> None:
        row = self.table.rows_by_id[item_id]
        match event:
            case StepStarted():
                row.step = event.step
            case AttemptStarted():
                row.model = event.tier.model
                row.attempts += 1
                row.status = "running"
            case AwaitingDecision():
                row.status = "waiting"
                self._figures_dirty = True
            case AttemptDecided():
                checks = sum(o.cost_usd or 0.0 for o in event.checks)
                if event.cost_usd is None or row.cost_usd is None:
                    row.cost_usd = None
                else:
                    row.cost_usd += event.cost_usd + checks
                row.status = "running"
                self._figures_dirty = True
            case _:
                return
        self.table.mark(item_id)

    def _item_finished(self, event: ItemFinished) -> None:
        item_id = event.item_id
        result = event.result
        row = self.table.rows_by_id[item_id]
        row.status = event.status
        row.duration_ms = result.get("duration_ms")
        row.cost_usd = result.get("cost_usd")
        row.attempts = result.get("attempts") or row.attempts
        answered = sorted(set((result.get("answered_by") or {}).values()))
        if answered and event.status == "accepted":
            row.model = ", ".join(answered)
        if result.get("session"):
            self.sessions[item_id] = result["session"]
        self.events.pop(item_id, None)
        self.queue.forget(item_id)
        self.progress.done += 1
        self.progress.running -= 1
        self.table.mark(item_id)
        self._figures_dirty = True

    # -- drawing ------------------------------------------------------------------------------

    def _flush(self) -> None:
        """Redraw what changed since the last flush: a few times a second at most."""
        self.table.flush()
        waiting = self.queue.waiting()
        self.progress.waiting = len(waiting)
        self._show_waiting(waiting)
        if not self._figures_dirty:
            return
        self._figures_dirty = False
        if self.finished is None:
            self.progress.elapsed_s = time.monotonic() - self._t0
        self.progress.paused = self.batch_job.paused
        ledger = self.batch_job.ledger
        self.query_one(BatchFigures).show(
            self.progress,
            list(ledger.tiers.values()),
            ledger.savings(self.batch_job.steps, self.batch_job.top_prices()),
            ledger.unknown_costs,
        )

    def _show_waiting(self, waiting: list[str]) -> None:
        shown = (len(waiting), waiting[0] if waiting else "")
        if shown == self._waiting_shown:
            return
        self._waiting_shown = shown
        bar = self.query_one("#batch-waiting", Static)
        bar.display = bool(waiting)
        if waiting:
            key = self._key_for("batch-next") or "w"
            n = len(waiting)
            who = "1 item waits" if n == 1 else f"{n} items wait"
            bar.update(plain(f"{who} for you · {key} opens the next ({waiting[0][:40]})"))
        self.refresh_bindings()

    def _key_for(self, binding_id: str) -> str | None:
        for active in self.active_bindings.values():
            if active.binding.id == binding_id:
                return self.app.get_key_display(active.binding)
        return None

    def _tick(self) -> None:
        if self.running:
            self.table.tick(set(self.events))
            self._figures_dirty = True

    # -- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("pause", "cancel_batch"):
            return self.running
        if action == "next_waiting":
            if not self.running:
                return False
            return True if self.queue.waiting() else None  # shown dimmed: no one waits
        return True

    def action_pause(self) -> None:
        """Pause (no new item starts; running ones go on) or resume."""
        if not self.running:
            return
        if self.batch_job.paused:
            self.batch_job.resume()
            self.notify("Resumed: new items start again.", timeout=3)
        else:
            self.batch_job.pause()
            self.notify("Paused: no new item starts; running items go on.", timeout=3)
        self._figures_dirty = True
        self._flush()

    def action_cancel_batch(self) -> None:
        """Ask, then cancel: running items end as cancelled and are recorded."""
        if not self.running:
            return

        def answer(yes: bool | None) -> None:
            if yes and self.running and self.worker is not None:
                self.progress.status = "cancelling"
                self._figures_dirty = True
                self.worker.cancel()

        running = self.progress.running
        self.app.push_screen(
            ConfirmScreen(
                "Cancel the batch?",
                f"The {running} running item(s) are cancelled and recorded as such; items not "
                "started stay for a rerun with the same results file.",
                "Cancel batch",
            ),
            answer,
        )

    def action_next_waiting(self) -> None:
        """Open the item that has waited longest for a decision."""
        item_id = self.queue.next()
        if item_id is None:
            self.notify("No item waits for you.", timeout=3)
            return
        self.open_item(item_id, queued=True)

    @on(DataTable.RowSelected, "#batch-items")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_item(event.row_key.value)

    def open_item(self, item_id: str, queued: bool = False) -> None:
        """An item's run: live while it runs, else a replay of its session file."""
        from escalatui.tui.screens.batch_item import BatchItemScreen
        from escalatui.tui.screens.problems import ProblemsScreen
        from escalatui.tui.screens.replay import ReplayScreen

        if item_id in self.events:
            self.app.push_screen(BatchItemScreen(self, item_id, queued=queued))
            return
        path = self.sessions.get(item_id)
        if path is None:
            row = self.table.rows_by_id.get(item_id)
            why = "has not started yet" if row and row.status == "queued" else "has no session"
            self.notify(screen_text(f"Item {item_id} {why}."), timeout=3, markup=False)
            return
        try:
            result = read_session(Path(path))
        except OSError as exc:
            problem = f"{path}: cannot read: {exc.strerror or exc}"
            self.app.push_screen(ProblemsScreen("Session cannot be opened", [problem]))
            return
        self.app.push_screen(ReplayScreen(result, self.display_format, from_home=True, speed=None))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.worker:
            return
        if event.state == WorkerState.ERROR:
            self.failed = True
            self.progress.status = "stopped on an internal error"
            self.notify(
                screen_text(f"the batch stopped on an internal error: {event.worker.error!r}"),
                severity="error",
                timeout=30,
                markup=False,
            )
        self._figures_dirty = True
        self.refresh_bindings()

    def commands(self) -> Iterator[SystemCommand]:
        """The palette's entries for this screen."""
        if self.running:
            yield SystemCommand("Pause / resume", "Start no new item, or go on", self.action_pause)
            yield SystemCommand(
                "Next waiting", "Open the item waiting longest", self.action_next_waiting
            )
            yield SystemCommand(
                "Cancel batch", "Cancel running items, start no more", self.action_cancel_batch
            )
