"""`escalatui batch`: read and check everything first (task, inputs, results), then run."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from escalatui.batch.inputs import InputsError, Item, in_shard, read_inputs
from escalatui.batch.results import Previous, ResultsError, ResultsWriter, read_results
from escalatui.config import LoadedTask, UserConfig
from escalatui.config.models import Approval
from escalatui.config.template import item_keys
from escalatui.engine.decisions import Decider, Decision
from escalatui.engine.events import AwaitingDecision
from escalatui.inert import inert
from escalatui.run_session import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

if TYPE_CHECKING:
    from escalatui.batch.scheduler import Batch


@dataclass(frozen=True)
class BatchPlan:
    """What a batch will do, all checked before anything is sent."""

    items: list[Item]
    """The items to run now, in file order."""
    skipped: int
    results: Path
    previous: Previous


class PlanError(Exception):
    """Bad input for a batch: the message says what and where; exit 2."""


def plan_batch(
    loaded: LoadedTask,
    inputs: Path,
    *,
    input_column: str = "input",
    results: Path | None = None,
    shard: tuple[int, int] | None = None,
    limit: int | None = None,
    retry_failed: bool = False,
) -> BatchPlan:
    try:
        items = read_inputs(inputs, input_column)
    except InputsError as exc:
        raise PlanError(str(exc)) from None
    needed = item_keys(loaded.task)
    missing = [
        f"line {item.line}: no {', '.join(sorted(needed - item.fields.keys()))} "
        "(the task uses {item.KEY})"
        for item in items
        if not needed <= item.fields.keys()
    ]
    if missing:
        raise PlanError(f"{inputs}: " + "\n  ".join(missing[:20]))
    if shard is not None:
        items = [item for item in items if in_shard(item.id, shard)]
    results = results or inputs.with_name(inputs.stem + ".results.jsonl")
    try:
        previous = read_results(results)
    except ResultsError as exc:
        raise PlanError(str(exc)) from None
    todo = [item for item in items if not previous.skip(item.id, retry_failed)]
    skipped = len(items) - len(todo)
    if limit is not None:
        todo = todo[:limit]
    return BatchPlan(todo, skipped, results, previous)


def exit_code(counts: dict[str, int], status: str) -> int:
    """0 every item accepted, 1 any failed (or left unstarted by the budget), 130 interrupted."""
    if status == "cancelled":
        return EXIT_INTERRUPTED
    if set(counts) <= {"accepted"}:
        return EXIT_OK
    return EXIT_FAILED


def open_batch(
    loaded: LoadedTask,
    user: UserConfig,
    session_dir: Path,
    plan: BatchPlan,
    *,
    concurrency: int,
    approval: Approval | None,
    budget_total: float | None,
) -> Batch | int:
    """The batch, its results file open; or the exit code when the session dir or the results
    file cannot be written (said on stderr). The caller closes `batch.results`."""
    from escalatui.batch.scheduler import Batch, BatchOptions
    from escalatui.run_session import RunRequest
    from escalatui.session import SessionWriteError, SessionWriter

    try:
        SessionWriter(session_dir).check_writable()
    except SessionWriteError as exc:
        print(f"error: {exc} (set --session-dir or ESCALATUI_SESSION_DIR)", file=sys.stderr)
        return EXIT_BAD_INPUT
    for problem in plan.previous.problems:
        print(f"warning: {problem}", file=sys.stderr)
    try:
        results = ResultsWriter(plan.results)
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    request = RunRequest(loaded, user, session_dir, approval=approval)
    return Batch(
        request,
        plan.items,
        BatchOptions(concurrency=concurrency, budget_total=budget_total),
        results=results,
        skipped=plan.skipped,
    )


class _InTurn:
    """A person at the terminal decides for one item at a time: the others wait their turn."""

    def __init__(self, person: Decider, lock: asyncio.Lock, item: Item) -> None:
        self.person, self.lock, self.item = person, lock, item

    async def decide(self, request: AwaitingDecision) -> Decision:
        async with self.lock:
            print(inert(f"\n--- item {self.item.id}: {one_line(self.item.input)}"), file=sys.stderr)
            return await self.person.decide(request)


def one_at_a_time(person: Decider) -> Callable[[Item], Decider]:
    """Deciders for every item of a batch that ask `person` one question at a time."""
    lock = asyncio.Lock()
    return lambda item: _InTurn(person, lock, item)


def one_line(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def run_batch_headless(
    loaded: LoadedTask,
    user: UserConfig,
    session_dir: Path,
    plan: BatchPlan,
    *,
    concurrency: int,
    approval: Approval | None,
    budget_total: float | None,
    json_mode: bool,
) -> int:
    from escalatui.batch.printer import BatchPrinter
    from escalatui.terminal_decider import (
        TerminalDecider,
        needs_person,
        no_person_message,
        stdin_is_terminal,
    )

    mode = needs_person(loaded.task, approval)
    if mode is not None and not stdin_is_terminal():
        # never decided by policy in a person's place
        print(f"error: {no_person_message(mode, approval is not None)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    batch = open_batch(
        loaded,
        user,
        session_dir,
        plan,
        concurrency=concurrency,
        approval=approval,
        budget_total=budget_total,
    )
    if isinstance(batch, int):
        return batch
    if mode is not None:
        batch.decider_for = one_at_a_time(TerminalDecider())
    printer = BatchPrinter(json_mode=json_mode)
    if not json_mode:
        print(f"results: {plan.results}", file=sys.stderr)

    async def main() -> int:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, task.cancel)
        try:
            finished = await batch.run(printer)
        except asyncio.CancelledError:
            return EXIT_INTERRUPTED
        return exit_code(finished.counts, finished.status)

    try:
        return asyncio.run(main())
    finally:
        if batch.results is not None:
            batch.results.close()
