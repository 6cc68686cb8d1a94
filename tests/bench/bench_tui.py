"""Stream deltas through the run screen headless as fast as they come; is the cost per delta flat?

Prints numbers; asserts only that every character arrived. Run:
`/tmp/v/bin/python tests/bench/bench_tui.py` (`--sizes 10000,100000`, `--repeat 3`, `--burst 1`).

Each case runs in a fresh child process (so peak RSS belongs to that case alone), twice: once
timed, once under tracemalloc (which slows Python down, so it is never timed). Every case feeds
the same pre-built deltas (~7 characters, a newline every 15) in the same loop, inside
`App.run_test(size=(120, 36))`, awaiting the event loop after every `--burst` deltas, the way an
engine's stream hands them over:

- `escalatui`: `Delta` events into the real RunScreen's `screen.view.feed` while its engine
  waits on a stalled attempt; the stream view coalesces them to ~30 paints a second.
- `noop`: the same loop in a running app, doing nothing with the delta (the loop's own cost).
- `list`: `list.append(text)` in a plain loop, no app, no awaits (the Python floor).
- `message`: one Textual message per delta to a widget that keeps the text and draws nothing
  (what any Textual UI pays to receive deltas as messages).
- `log`: Textual's own append-only `Log` widget, `log.write(text)` per delta.
- `static`: the naive way, `Static.update(all text so far)` per delta (only up to 10k: it is
  quadratic, which is the point of showing it).

"lag" is the time from the last delta to the first frame that draws it: for escalatui, the first
`render_line` of the stream view after the paint that holds the last character; for `log`, the
first `render_line` after the last write; for `static`, the first render after the last update.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

SIZE = (120, 36)
SCENARIOS = ("list", "noop", "message", "log", "static", "escalatui")
STATIC_MAX = 10_000


def make_texts(n: int) -> list[str]:
    """Token-sized pieces of text, deterministic."""
    return [f"tok{i % 997}" + ("\n" if i % 15 == 14 else " ") for i in range(n)]


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class FrameClock:
    """Wraps a widget method so the first call after `arm()` is timed: that call draws the
    final text."""

    def __init__(self, widget: Any, name: str) -> None:
        self.armed_at: float | None = None
        self.frame_at: float | None = None
        original = getattr(widget, name)

        def timed(*args: Any, **kw: Any) -> Any:
            if self.armed_at is not None and self.frame_at is None:
                self.frame_at = time.perf_counter()
            return original(*args, **kw)

        setattr(widget, name, timed)

    def arm(self) -> None:
        if self.armed_at is None:
            self.armed_at = time.perf_counter()


async def until(predicate: Any, what: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_tui: timed out waiting for {what}")
        await asyncio.sleep(0.001)


class Meter:
    """Memory used from the first delta on: tracemalloc's peak (when tracing) and RSS growth
    (peak RSS of this process minus RSS just before the first delta)."""

    trace = False

    def __init__(self) -> None:
        self.rss_before = 0

    def start(self) -> None:
        self.rss_before = rss_bytes()
        if self.trace:
            tracemalloc.start()

    def stop(self, result: dict[str, Any]) -> dict[str, Any]:
        if self.trace:
            result["traced_peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        result["rss_growth"] = max(0, peak - self.rss_before)
        return result


METER = Meter()


async def feed_loop(texts: list[str], sink: Any, burst: int) -> tuple[float, float]:
    """Hand every text to `sink`, yielding to the event loop every `burst`; (start, end)."""
    METER.start()
    start = time.perf_counter()
    for i, text in enumerate(texts, 1):
        sink(text)
        if i % burst == 0:
            await asyncio.sleep(0)
    return start, time.perf_counter()


async def escalatui_case(texts: list[str], burst: int, work: Path) -> dict[str, Any]:
    import tomli_w

    from escalatui.config import UserConfig, load_task
    from escalatui.engine.events import Delta
    from escalatui.tui.app import make_app
    from escalatui.tui.screens.run import RunScreen
    from escalatui.tui.widgets.stream_view import StreamView

    # One simulated model that stalls for an hour before its first chunk: the engine has
    # started attempt 1 and waits, so the run screen shows (0, 1) as the streaming attempt.
    task = {
        "name": "bench",
        "chain": ["stall"],
        "models": {"stall": {"provider": "sim", "responses": ["x"], "delay_s": 3600}},
        "steps": [{"name": "answer", "prompt": "go"}],
    }
    path = work / "bench.toml"
    path.write_text(tomli_w.dumps(task), encoding="utf-8")
    app = make_app(user=UserConfig(), session_dir=work / "s", loaded=load_task(path), frozen=True)
    total = sum(len(t) for t in texts)
    async with app.run_test(size=SIZE) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, RunScreen))
        await until(lambda: screen.view.state.attempt is not None, "attempt 1 to start")
        await pilot.pause(0.1)
        stream = screen.view.query_one(StreamView)
        clock = FrameClock(stream, "render_line")
        shown = [0]
        paints_before = stream.paints
        append, paint = stream.append, stream._paint

        def counted_append(text: str) -> None:
            shown[0] += len(text)
            append(text)

        def final_paint(*args: Any, **kw: Any) -> None:
            paint(*args, **kw)
            if shown[0] == total:
                clock.arm()  # the next frame of the stream view draws the last character

        stream.append, stream._paint = counted_append, final_paint  # type: ignore[method-assign]
        feed = screen.view.feed
        start, end = await feed_loop(texts, lambda t: feed(Delta(0, 1, t)), burst)
        await until(lambda: clock.frame_at is not None, "the final frame")
        result = METER.stop(timing(start, end, clock.frame_at))
        result["paints"] = stream.paints - paints_before
        assert stream.text == "".join(texts), "the stream view lost or changed text"
        await app.action_quit()
    return result


async def textual_case(kind: str, texts: list[str], burst: int) -> dict[str, Any]:
    from textual.app import App, ComposeResult
    from textual.content import Content
    from textual.message import Message
    from textual.widget import Widget
    from textual.widgets import Log, Static

    class Text(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Sink(Widget):
        """Keeps each message's text; draws nothing."""

        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []

        def on_text(self, message: Text) -> None:
            self.parts.append(message.text)

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield {"log": Log, "static": Static, "message": Sink}.get(kind, Static)()

    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        if kind == "noop":
            start, end = await feed_loop(texts, lambda t: None, burst)
            return METER.stop(timing(start, end, None))
        if kind == "message":
            sink = app.query_one(Sink)
            start, end = await feed_loop(texts, lambda t: sink.post_message(Text(t)), burst)
            await until(lambda: len(sink.parts) == len(texts), "every message")
            return METER.stop(timing(start, end, time.perf_counter()))
        if kind == "log":
            log = app.query_one(Log)
            clock = FrameClock(log, "render_line")
            start, end = await feed_loop(texts, log.write, burst)
        else:
            static = app.query_one(Static)
            clock = FrameClock(static, "render")
            parts: list[str] = []

            def update(text: str) -> None:
                parts.append(text)
                static.update(Content("".join(parts)))

            start, end = await feed_loop(texts, update, burst)
        clock.arm()
        await until(lambda: clock.frame_at is not None, "the final frame")
        return METER.stop(timing(start, end, clock.frame_at))


def timing(start: float, end: float, frame_at: float | None) -> dict[str, Any]:
    return {"feed_s": end - start, "lag_s": None if frame_at is None else frame_at - end}


async def child(scenario: str, n: int, burst: int, trace: bool) -> dict[str, Any]:
    texts = make_texts(n)
    METER.trace = trace
    with tempfile.TemporaryDirectory() as work:
        os.environ["ESCALATUI_CONFIG"] = str(Path(work) / "none.toml")
        if scenario == "list":
            sink: list[str] = []
            METER.start()
            start = time.perf_counter()
            for text in texts:
                sink.append(text)
            result = METER.stop(timing(start, time.perf_counter(), None))
        elif scenario == "escalatui":
            result = await escalatui_case(texts, burst, Path(work))
        else:
            result = await textual_case(scenario, texts, burst)
    return result


def run_child(scenario: str, n: int, burst: int, trace: bool) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", scenario, "--n", str(n), "--burst", str(burst)]
    out = subprocess.run(argv + (["--trace"] if trace else []), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{scenario} {n}: child failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt_ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def fmt_mb(size: float | None) -> str:
    return "-" if size is None else f"{size / 1e6:.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per case (median)")
    parser.add_argument("--burst", type=int, default=1, help="deltas between awaits")
    parser.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.n, args.burst, args.trace))))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    chars = statistics.mean(len(t) for t in make_texts(1000))
    print(
        f"TUI stream benchmark: {', '.join(f'{n:,}' for n in sizes)} deltas of ~{chars:.1f} "
        f"chars, an await every {args.burst}, {SIZE[0]}x{SIZE[1]} headless, "
        f"median of {args.repeat} timed runs; memory from separate runs"
    )
    header = (
        f"{'case':<10} {'deltas':>8} {'deltas/s':>11} {'µs/delta':>9} {'lag to final frame':>19}"
    )
    print(header + f" {'paints':>7} {'traced peak':>12} {'RSS growth':>11}")
    per_delta: dict[tuple[str, int], float] = {}
    for scenario in SCENARIOS:
        for n in sizes:
            if scenario == "static" and n > STATIC_MAX:
                print(
                    f"{scenario:<10} {n:>8,}   skipped: quadratic (each update re-lays out "
                    "all text so far)"
                )
                continue
            runs = [run_child(scenario, n, args.burst, False) for _ in range(args.repeat)]
            feed = statistics.median(r["feed_s"] for r in runs)
            lags = [r["lag_s"] for r in runs if r["lag_s"] is not None]
            lag = statistics.median(lags) if lags else None
            mem = run_child(scenario, n, args.burst, True)
            rss = statistics.median(r["rss_growth"] for r in runs)
            paints = runs[0].get("paints")
            per_delta[(scenario, n)] = feed / n * 1e6
            print(
                f"{scenario:<10} {n:>8,} {n / feed:>11,.0f} {feed / n * 1e6:>9.2f} "
                f"{fmt_ms(lag):>19} {paints if paints is not None else '-':>7} "
                f"{fmt_mb(mem['traced_peak']):>12} {fmt_mb(rss):>11}"
            )
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        print(f"\nflatness: µs/delta at {big:,} ÷ µs/delta at {small:,} (1.00 = flat)")
        for scenario in SCENARIOS:
            if (scenario, small) in per_delta and (scenario, big) in per_delta:
                ratio = per_delta[(scenario, big)] / per_delta[(scenario, small)]
                print(f"  {scenario:<10} {ratio:.2f}")
        print("\nescalatui µs/delta as a multiple of each baseline at the same size")
        for n in sizes:
            mine = per_delta[("escalatui", n)]
            parts = [
                f"{b} ×{mine / per_delta[(b, n)]:.1f}"
                for b in SCENARIOS[:-1]
                if (b, n) in per_delta
            ]
            print(f"  {n:>8,}: " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
