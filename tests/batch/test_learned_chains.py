"""Learned chains: a tier that (almost) never gets accepted is skipped, one try in ten still
calls it, and the skip is an event in the log and a line in headless output."""

from __future__ import annotations

import io
import json
from pathlib import Path

from batch_helpers import cascade_task, loaded, user

from escalatui.batch.events import BatchEvent, BatchFinished, ItemEvent
from escalatui.batch.inputs import Item
from escalatui.batch.scheduler import Batch, BatchOptions
from escalatui.engine.events import TierSkipped
from escalatui.engine.history import AcceptHistory
from escalatui.headless import HeadlessPrinter
from escalatui.run_session import RunRequest, RunSession


def test_history_skips_below_the_threshold_but_explores_one_in_ten() -> None:
    history = AcceptHistory()
    for _ in range(4):
        history.record("t", "s", "tiny", False)
    assert not history.verdict("t", "s", "tiny", 0.05, 5).skip  # too few samples
    history.record("t", "s", "tiny", False)
    decisions = [history.verdict("t", "s", "tiny", 0.05, 5).skip for _ in range(20)]
    assert decisions.count(False) == 2 and decisions[9] is False and decisions[19] is False
    for _ in range(100):  # the window forgets: a tier that got better is tried again
        history.record("t", "s", "tiny", True)
    assert not history.verdict("t", "s", "tiny", 0.05, 5).skip


async def test_a_batch_learns_to_skip_a_tier_that_never_helps(tmp_path: Path) -> None:
    task = cascade_task()
    never = task.models["tiny"].model_copy(update={"respond": None, "responses": ["words"]})
    step = task.steps[0].model_copy(update={"skip_below": 0.05, "min_samples": 5})
    task = task.model_copy(update={"models": {**task.models, "tiny": never}, "steps": [step]})
    request = RunRequest(loaded(task, tmp_path), user(), tmp_path / "sessions")
    items = [Item(f"i{k}", str(k), k) for k in range(1, 31)]
    seen: list[BatchEvent] = []
    end = await Batch(request, items, BatchOptions(concurrency=1)).run(seen.append)
    assert isinstance(end, BatchFinished) and end.counts == {"accepted": 30}
    tiny = next(t for t in end.tiers if t.model == "tiny")
    assert tiny.attempts == 5 + 2  # 5 to learn, then 2 of 25 explore
    skips = [e.event for e in seen if isinstance(e, ItemEvent) and isinstance(e.event, TierSkipped)]
    assert len(skips) == 23
    assert (skips[0].tier.model, skips[0].accepted, skips[0].samples) == ("tiny", 0, 5)
    logged = [
        json.loads(line)
        for path in (tmp_path / "sessions").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert sum(r["type"] == "tier_skipped" for r in logged) == 23
    out = io.StringIO()
    HeadlessPrinter(out)(skips[-1])
    assert "[answer] skipped tiny: 0/" in out.getvalue()
    assert "below 5% (learned chain)" in out.getvalue()


async def test_a_single_run_learns_from_saved_sessions(tmp_path: Path) -> None:
    task = cascade_task()
    never = task.models["tiny"].model_copy(update={"respond": None, "responses": ["words"]})
    step = task.steps[0].model_copy(update={"skip_below": 0.5, "min_samples": 3})
    task = task.model_copy(update={"models": {**task.models, "tiny": never}, "steps": [step]})
    request = RunRequest(loaded(task, tmp_path), user(), tmp_path / "sessions", input="4")

    for _ in range(3):
        await RunSession(request).run([])
    events: list[object] = []
    finished = await RunSession(request).run([events.append])
    assert finished.status == "accepted" and finished.attempts == 1
    assert any(isinstance(e, TierSkipped) for e in events)
