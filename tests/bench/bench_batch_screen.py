"""The batch screen at 1k and 10k rows: time to the first frame, and the cost of one update.

Prints numbers; asserts only that every row is there. Run:
`.venv/bin/python tests/bench/bench_batch_screen.py` (`--sizes 1000,10000`, `--updates 50`).

Every size runs in a fresh child process (so its memory is its own), headless in
`App.run_test(size=(120, 36))`, on the batch screen of a paused batch (so nothing runs and only the
screen is measured):

- first frame: from starting the app until the table's first rows were drawn; all rows: until
  every row is in (the table adds them in chunks between frames).
- update: one round of what a busy batch does between two flushes: 64 items change status (an
  ItemStarted, an AttemptStarted and an ItemFinished each, through the screen's own feed), then
  the flush that updates their cells and the frame that draws them. The mean over `--updates`
  rounds, spread over the whole table.
- a bare Textual `DataTable` filled with the same rows the same way (`add_row` with fixed column
  widths), as the baseline for the first frame.

Ratios are against the smallest size in the same run: flat means the screen's cost does not grow
with the number of rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "batch"))
sys.path.insert(0, str(HERE.parent / "tui"))
SIZE = (120, 36)
CHANGED = 64


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def measure(n: int, updates: int, tmp: Path) -> dict[str, Any]:
    from batch_helpers import cascade_task, loaded, user

    from escalatui.batch.events import ItemEvent, ItemFinished, ItemStarted
    from escalatui.batch.inputs import Item
    from escalatui.batch.scheduler import Batch, BatchOptions
    from escalatui.engine.events import AttemptStarted, Tier
    from escalatui.run_session import RunRequest
    from escalatui.tui.app import make_app
    from escalatui.tui.screens.batch import BatchScreen

    items = [Item(f"i{k}", f"input number {k}", k) for k in range(n)]
    request = RunRequest(loaded(cascade_task(), tmp), user(), tmp / "sessions")
    batch = Batch(request, items, BatchOptions(concurrency=64))
    batch.pause()
    app = make_app(user=user(), session_dir=tmp / "sessions", batch=batch)
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    result: dict[str, Any] = {"rows": n}
    async with app.run_test(size=SIZE) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, BatchScreen))
        for _ in range(100_000):
            if screen.table.row_count:
                break
            await pilot.pause(0)
        await pilot.pause(0)
        result["first_frame_s"] = time.perf_counter() - t0
        for _ in range(100_000):
            if screen.table.row_count == n:
                break
            await pilot.pause(0.01)
        await pilot.pause(0)
        result["all_rows_s"] = time.perf_counter() - t0
        result["rss_growth_mb"] = (rss_bytes() - rss0) / 1e6
        assert screen.table.row_count == n
        tier = Tier(
            index=0,
            model="tiny",
            provider="sim",
            provider_model="tiny",
            label="tiny",
            simulated=True,
        )
        step = max(1, n // (updates * CHANGED))
        spent = cpu = 0.0
        for round_ in range(updates):
            ids = [items[(round_ * CHANGED + k) * step % n].id for k in range(CHANGED)]
            t1, c1 = time.perf_counter(), time.process_time()
            for item_id in ids:
                screen.feed(ItemStarted(item_id, "x"))
                event = AttemptStarted(
                    step="answer",
                    step_index=0,
                    attempt=1,
                    tier=tier,
                    warm=True,
                    started_at="",
                    prompt="",
                )
                screen.feed(ItemEvent(item_id, event))
                result_line = {"duration_ms": 10, "cost_usd": 0.001, "attempts": 1}
                screen.feed(ItemFinished(item_id, "accepted", result_line))
            await pilot.pause(0)  # the feed's message is handled
            screen._flush()
            await pilot.pause(0)  # the frame
            spent += time.perf_counter() - t1
            cpu += time.process_time() - c1
        result["update_ms"] = spent / updates * 1000
        result["update_cpu_ms"] = cpu / updates * 1000
        await pilot.press("q")
    return result


async def bare_table(n: int) -> float:
    """A plain DataTable with the same rows and fixed widths: the floor for the first frame."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for key, width in (("id", 8), ("input", 40), ("status", 9), ("rest", 40)):
                table.add_column(key, width=width, key=key)
            for k in range(n):
                table.add_row(
                    Text(f"i{k}"), Text(f"input number {k}"), Text("queued"), "", key=f"i{k}"
                )

    t0 = time.perf_counter()
    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0)
        return time.perf_counter() - t0


def child(n: int, updates: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(measure(n, updates, Path(tmp)))
    result["bare_first_frame_s"] = asyncio.run(bare_table(n))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.updates)
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--updates", str(args.updates)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    base = rows[0]
    print(
        f"{'rows':>7} {'first frame':>12} {'all rows':>9} {'bare table':>11} "
        f"{'update':>9} {'cpu':>8} {'×base':>6} {'rss +':>8}"
    )
    for r in rows:
        print(
            f"{r['rows']:>7} {r['first_frame_s']:>11.2f}s {r['all_rows_s']:>8.2f}s "
            f"{r['bare_first_frame_s']:>10.2f}s {r['update_ms']:>7.1f}ms "
            f"{r['update_cpu_ms']:>6.1f}ms {r['update_cpu_ms'] / base['update_cpu_ms']:>6.2f} "
            f"{r['rss_growth_mb']:>6.1f}MB"
        )
    print(
        f"first frame: the table's first rows drawn; all rows: every row added (in chunks between "
        f"frames); bare table: a plain DataTable with every row added at once, to its first frame; "
        f"update: {CHANGED} items changing status, their cells updated and drawn (wall and CPU)"
    )


if __name__ == "__main__":
    main()
