"""A batch over a cascade where the cheap tier is right only on some inputs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from batch_helpers import cascade_task, loaded, user

from escalatui.batch.events import BatchEvent, BatchFinished, ItemFinished
from escalatui.batch.inputs import Item
from escalatui.batch.results import ResultsWriter, read_results
from escalatui.batch.scheduler import Batch, BatchOptions
from escalatui.run_session import RunRequest


def items(n: int) -> list[Item]:
    return [Item(f"i{k}", str(k), k) for k in range(1, n + 1)]


async def run_batch(tmp_path: Path, n: int, **options: object) -> tuple[Batch, list[BatchEvent]]:
    request = RunRequest(loaded(cascade_task(), tmp_path), user(), tmp_path / "sessions")
    results = ResultsWriter(tmp_path / "results.jsonl")
    batch = Batch(request, items(n), BatchOptions(**options), results=results)  # type: ignore[arg-type]
    seen: list[BatchEvent] = []
    try:
        await batch.run(seen.append)
    finally:
        results.close()
    return batch, seen


async def test_each_item_is_a_full_run_and_the_cheap_tier_takes_the_easy_ones(
    tmp_path: Path,
) -> None:
    _, seen = await run_batch(tmp_path, 9, concurrency=3)
    done = {e.item_id: e.result for e in seen if isinstance(e, ItemFinished)}
    assert set(done) == {f"i{k}" for k in range(1, 10)}
    for k in range(1, 10):
        result = done[f"i{k}"]
        assert result["status"] == "accepted"
        assert result["outputs"] == {"answer": str(2 * k)}
        assert result["answered_by"] == {"answer": "big" if k % 3 == 0 else "tiny"}
        assert result["attempts"] == (2 if k % 3 == 0 else 1)
        assert Path(result["session"]).is_file()
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(done)
    end = seen[-1]
    assert isinstance(end, BatchFinished)
    assert end.status == "done" and end.counts == {"accepted": 9}
    # 9 cheap attempts (0.001) + 3 big ones (0.01) against 9 big ones
    assert end.savings.cascade_usd == pytest.approx(0.039)
    assert end.savings.top_only_usd == pytest.approx(0.09)
    assert "saved 57%" in end.savings.line()
    tiny = next(t for t in end.tiers if t.model == "tiny")
    assert (tiny.attempts, tiny.accepted) == (9, 6)


async def test_budget_total_stops_starting_new_items(tmp_path: Path) -> None:
    _, seen = await run_batch(tmp_path, 9, concurrency=1, budget_total=0.015)
    end = seen[-1]
    assert isinstance(end, BatchFinished) and end.status == "budget"
    # i1 0.001, i2 0.001, i3 0.011 -> 0.013, i4 0.001 -> 0.014, i5 -> 0.015: stop
    assert end.counts == {"accepted": 5, "not started": 4}


async def test_cancelled_batch_records_running_items_and_stays_valid(tmp_path: Path) -> None:
    task = cascade_task()
    slow = task.models["tiny"].model_copy(update={"delay_s": 0.05})
    task = task.model_copy(update={"models": {**task.models, "tiny": slow}})
    request = RunRequest(loaded(task, tmp_path), user(), tmp_path / "sessions")
    results = ResultsWriter(tmp_path / "results.jsonl")
    batch = Batch(request, items(6), BatchOptions(concurrency=2), results=results)
    seen: list[BatchEvent] = []
    runner = asyncio.create_task(batch.run(seen.append))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if len(batch.sessions) == 2:
            break
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    results.close()
    previous = read_results(tmp_path / "results.jsonl")
    assert previous.problems == []
    assert sorted(previous.status.values()) == ["cancelled", "cancelled"]
    end = seen[-1]
    assert isinstance(end, BatchFinished) and end.status == "cancelled"
    for line in (tmp_path / "results.jsonl").read_text().splitlines():
        session = Path(json.loads(line)["session"])
        last = json.loads(session.read_text().splitlines()[-1])
        assert last["type"] == "run" and last["status"] == "cancelled"
