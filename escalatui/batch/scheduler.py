"""Runs a batch: every item a full run (its own session, checks, feedback and escalation) on
one shared client pool, at most `concurrency` at once, each model within its own limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from escalatui.batch.economics import AttemptFact, Ledger, TopPrice
from escalatui.batch.events import (
    BatchEvent,
    BatchFinished,
    BatchStarted,
    BatchStatus,
    ItemEvent,
    ItemFinished,
    ItemStarted,
)
from escalatui.batch.inputs import Item
from escalatui.batch.results import ResultsWriter
from escalatui.engine.decisions import Decider
from escalatui.engine.events import AttemptDecided, Event, RunFinished, StepStarted
from escalatui.engine.history import AcceptHistory
from escalatui.run_session import RunRequest, RunSession

BatchSink = Callable[[BatchEvent], object]
DeciderFor = Callable[[Item], Decider | None]


@dataclass(frozen=True)
class BatchOptions:
    concurrency: int = 4
    budget_total: float | None = None
    """Stop starting new items once the batch has spent this much (item budgets still apply)."""


class Batch:
    """Run `items` of one task. `run(sink)` returns the BatchFinished it also sends."""

    def __init__(
        self,
        request: RunRequest,
        items: list[Item],
        options: BatchOptions,
        *,
        results: ResultsWriter | None = None,
        skipped: int = 0,
        decider_for: DeciderFor | None = None,
        **runner_options: object,
    ) -> None:
        self.request = request
        self.items = items
        self.options = options
        self.results = results
        self.skipped = skipped
        self.decider_for = decider_for or (lambda item: None)
        self.runner_options = runner_options
        task = request.loaded.task
        self.steps = [s.name for s in task.steps]
        self.pool = request.new_pool()
        self.ledger = Ledger()
        self.history: AcceptHistory | None = None
        if any(s.skip_below is not None for s in task.steps):
            from escalatui.stats import history_from_sessions

            # one history for every item: what one item learns, the next one uses
            self.history = history_from_sessions(request.session_dir, task.name)
        self.counts: dict[str, int] = {}
        self.sessions: dict[str, RunSession] = {}
        self.resumed = asyncio.Event()
        self.resumed.set()
        self._chains: dict[str, int] = {}
        self._escalated: set[str] = set()
        """Running items that reached a higher tier on some step."""
        self._spent = 0.0
        self.finished: BatchFinished | None = None
        """How the batch ended, once it has (also when it was cancelled)."""

    # -- control from a front end ---------------------------------------------------------

    def pause(self) -> None:
        """Start no new item until `resume()`; running items go on."""
        self.resumed.clear()

    def resume(self) -> None:
        self.resumed.set()

    @property
    def paused(self) -> bool:
        return not self.resumed.is_set()

    # -- running ----------------------------------------------------------------------------

    async def run(self, sink: BatchSink) -> BatchFinished:
        t0 = time.monotonic()
        sink(
            BatchStarted(
                self.request.loaded.task.name,
                len(self.items),
                self.skipped,
                self.options.concurrency,
                tuple(self.steps),
            )
        )
        status: BatchStatus = "done"
        slots = asyncio.Semaphore(self.options.concurrency)
        running: set[asyncio.Task[None]] = set()
        started = 0
        try:
            for item in self.items:
                await slots.acquire()
                # after the slot: a pause while waiting for one still holds this item back
                await self.resumed.wait()
                if self._budget_reached():
                    slots.release()
                    status = "budget"
                    break
                started += 1
                task = asyncio.create_task(self._item(item, sink), name=f"item {item.id}")
                running.add(task)
                task.add_done_callback(running.discard)
                task.add_done_callback(lambda _t: slots.release())
            if running:
                await asyncio.gather(*running)
        except asyncio.CancelledError:
            status = "cancelled"
            for task in list(running):
                task.cancel()
            # each cancelled item still writes its partial attempt and its result line
            await asyncio.gather(*running, return_exceptions=True)
            raise
        finally:
            await self.pool.aclose()
            not_started = len(self.items) - started
            if not_started:
                self.counts["not started"] = not_started
            finished = self.finished = self._finished(status, t0)
            sink(finished)
        return finished

    def _budget_reached(self) -> bool:
        cap = self.options.budget_total
        return cap is not None and self._spent >= cap

    async def _item(self, item: Item, sink: BatchSink) -> None:
        request = replace(self.request, input=item.input, fields=item.fields)
        session = RunSession(
            request,
            decider=self.decider_for(item),
            pool=self.pool,
            history=self.history,
            **self.runner_options,
        )
        self.sessions[item.id] = session
        sink(ItemStarted(item.id, item.input))
        answered: dict[str, str] = {}

        def forward(event: Event) -> None:
            self._fold(item, event, answered)
            sink(ItemEvent(item.id, event))

        t0 = time.monotonic()
        try:
            finished = await session.run([forward])
        except asyncio.CancelledError:
            self._record(item, session, None, answered, t0, sink)
            raise
        else:
            self._record(item, session, finished, answered, t0, sink)
        finally:
            del self.sessions[item.id]

    def _fold(self, item: Item, event: Event, answered: dict[str, str]) -> None:
        if isinstance(event, StepStarted):
            self._chains[event.step] = len(event.chain)
        elif isinstance(event, AttemptDecided):
            check_cost = sum(o.cost_usd or 0.0 for o in event.checks)
            self._spent += (event.cost_usd or 0.0) + check_cost
            accepted = event.verdict == "accept"
            if event.tier > 0:
                self._escalated.add(item.id)
            if accepted:
                answered[event.step] = event.model
            self.ledger.add(
                AttemptFact(
                    item.id,
                    event.step,
                    event.model,
                    event.tier,
                    event.tier == self._chains.get(event.step, 0) - 1,
                    event.cost_usd,
                    accepted,
                    check_cost,
                    event.prompt_tokens,
                    event.completion_tokens,
                    event.attempt == 1,
                )
            )

    def _record(
        self,
        item: Item,
        session: RunSession,
        finished: RunFinished | None,
        answered: dict[str, str],
        t0: float,
        sink: BatchSink,
    ) -> None:
        status = finished.status if finished else "cancelled"
        self.counts[status] = self.counts.get(status, 0) + 1
        self.ledger.item_done(escalated=item.id in self._escalated)
        self._escalated.discard(item.id)
        outputs = finished.outputs if finished else dict(session.runner.outputs)
        result: dict[str, Any] = {
            "id": item.id,
            "input": item.input,
            "status": status,
            "outputs": outputs,
            "answered_by": answered,
            "attempts": finished.attempts if finished else session.runner.attempts,
            "cost_usd": finished.cost_usd if finished else session.runner.budget.spent,
            "duration_ms": int((time.monotonic() - t0) * 1000),
            "error": finished.error if finished else "interrupted",
            "session": str(session.session_path) if session.session_path else None,
        }
        if self.results is not None:
            self.results.write(result)
        sink(ItemFinished(item.id, status, result))

    def _finished(self, status: BatchStatus, t0: float) -> BatchFinished:
        return BatchFinished(
            status,
            dict(self.counts),
            tuple(self.ledger.tiers.values()),
            self.ledger.savings(self.steps, self.top_prices()),
            self.ledger.unknown_costs,
            int((time.monotonic() - t0) * 1000),
        )

    def top_prices(self) -> dict[str, TopPrice]:
        """Each step's top-tier prices, where configured, for `ledger.savings()`."""
        task = self.request.loaded.task
        prices = {}
        for step in task.steps:
            chain = task.chain_for(step)
            if not chain:
                continue
            spec = task.models[chain[-1]]
            if spec.price_in_per_mtok is not None or spec.price_out_per_mtok is not None:
                prices[step.name] = TopPrice(
                    chain[-1], spec.price_in_per_mtok or 0.0, spec.price_out_per_mtok or 0.0
                )
        return prices
