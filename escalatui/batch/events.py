"""What a batch tells its front ends (the headless printer, the batch screen): items starting
and ending, each item's own run events, and the batch's end with its economics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from escalatui.batch.economics import Savings, TierFigures
from escalatui.engine.events import Event

BatchStatus = Literal["done", "cancelled", "budget"]


@dataclass(frozen=True)
class BatchStarted:
    task_name: str
    total: int
    """Items this batch will run (after --shard, --limit and what the results file skips)."""
    skipped: int
    """Items the results file already has an answer for."""
    concurrency: int
    steps: tuple[str, ...]


@dataclass(frozen=True)
class ItemStarted:
    item_id: str
    input: str


@dataclass(frozen=True)
class ItemEvent:
    """One event of an item's run, as the engine yielded it."""

    item_id: str
    event: Event


@dataclass(frozen=True)
class ItemFinished:
    item_id: str
    status: str
    result: dict[str, Any]
    """The line written to the results file."""


@dataclass(frozen=True)
class BatchFinished:
    status: BatchStatus
    counts: dict[str, int]
    """Items by status (accepted, failed, budget, cancelled, not started)."""
    tiers: tuple[TierFigures, ...]
    savings: Savings
    unknown_costs: int
    duration_ms: int


BatchEvent = BatchStarted | ItemStarted | ItemEvent | ItemFinished | BatchFinished
