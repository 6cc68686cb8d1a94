"""Stream deltas through the run screen headless as fast as they come; is the cost per delta flat?

Prints numbers; asserts only that every character arrived. Run:
`python tests/bench/bench_tui.py` (`--sizes 10000,100000`, `--repeat 3`,
`--burst 1`, `--trace all|escalatui|none`, `--cases plain,escalatui`).

Every case runs in a fresh child process (so its peak RSS is its own) and feeds the same
pre-built deltas (~7 characters, a newline every 15) in the same loop inside
`App.run_test(size=(120, 36))`, awaiting the event loop after every `--burst` deltas, the way an
engine's stream hands them over. Cases:

- `list`: `list.append(text)` in a plain loop: no app, no awaits (the Python floor).
- `noop`: the loop in a running app, doing nothing with the delta (the loop's own cost).
- `message`: one Textual message per delta to a widget that keeps the text and draws nothing
  (what any Textual UI pays to receive deltas as messages).
- `log`: Textual's own append-only `Log` widget, `log.write(text)` per delta.
- `static`: the naive way, `Static.update(all text so far)` per delta; only up to 10k deltas,
  as it is quadratic (which is the point of showing it).
- `plain`: `Delta` events into the real RunScreen's `screen.view.feed` while its engine
  waits on a stalled attempt, the answer switched to raw text (`m`): the stream view coalesces
  them to ~30 paints a second.
- `escalatui`: the same with the answer rendered as Markdown (the default): each coalesced frame
  also feeds Textual's `MarkdownStream`, until the answer passes `LIVE_CHARS` and streams raw;
  "finish" is the one render of the whole answer when the attempt ends (none past
  `RENDER_CHARS`), and "live" how many characters were rendered while streaming.

Lag is measured from the last delta: "to last paint" is when the stream view's coalesced paint
holding the last character ran (escalatui only); "to frame" is when the row holding the last
character was drawn (`render_line` of that row; for `static`, its next render). A frame that
never comes within 10 s shows as "not drawn". Memory: RSS growth from the first delta (every
run) and tracemalloc's peak (separate, untimed runs, as tracing slows Python several times).
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZE = (120, 36)
SCENARIOS = ("list", "noop", "message", "log", "static", "plain", "escalatui")
RUN_SCREEN = ("plain", "escalatui")
STATIC_MAX = 10_000
FRAME_WAIT_S = 10.0


def make_texts(n: int) -> list[str]:
    """Token-sized pieces of text, deterministic."""
    return [f"tok{i % 997}" + ("\n" if i % 15 == 14 else " ") for i in range(n)]


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Meter:
    """Memory used from the first delta on: RSS growth (peak RSS of this process minus RSS just
    before the first delta) and, when tracing, tracemalloc's peak."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
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


class FrameClock:
    """Wraps a widget's draw method; after `arm()`, times the first call that draws row
    `last_row()` (any call, when `last_row` is None)."""

    def __init__(self, widget: Any, name: str, last_row: Callable[[], int] | None) -> None:
        self.armed_at: float | None = None
        self.frame_at: float | None = None
        draw = getattr(widget, name)

        def timed(*args: Any) -> Any:
            if self.armed_at is not None and self.frame_at is None:
                if last_row is None or widget.scroll_offset.y + args[0] == last_row():
                    self.frame_at = time.perf_counter()
            return draw(*args)

        setattr(widget, name, timed)

    def arm(self) -> None:
        if self.armed_at is None:
            self.armed_at = time.perf_counter()


async def until(predicate: Callable[[], bool], limit: float) -> bool:
    """Poll; False when `limit` seconds pass first."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.001)
    return True


async def feed_loop(
    texts: list[str], sink: Callable[[str], object], burst: int, meter: Meter
) -> tuple[float, float]:
    """Hand every text to `sink`, yielding to the event loop every `burst`; (start, end)."""
    meter.start()
    start = time.perf_counter()
    for i, text in enumerate(texts, 1):
        sink(text)
        if i % burst == 0:
            await asyncio.sleep(0)
    return start, time.perf_counter()


def timing(start: float, end: float, frame: FrameClock | None) -> dict[str, Any]:
    lag = None if frame is None or frame.frame_at is None else frame.frame_at - end
    return {"feed_s": end - start, "lag_s": lag, "drawn": frame is None or lag is not None}


async def escalatui_case(
    texts: list[str], burst: int, meter: Meter, work: Path, rendered: bool
) -> dict[str, Any]:
    import tomli_w

    from escalatui.config import UserConfig, load_task
    from escalatui.engine.events import Delta
    from escalatui.run_session import RunRequest
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
    app = make_app(RunRequest(load_task(path), UserConfig(), work / "s"), frozen=True)
    total = sum(len(t) for t in texts)
    async with app.run_test(size=SIZE) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, RunScreen))
        if not await until(lambda: screen.view.state.attempt is not None, 30):
            raise SystemExit("bench_tui: the run did not start")
        answer = screen.view.answer
        if not rendered:
            screen.view.action_toggle_markdown()
        await pilot.pause(0.1)
        assert answer.rendered == rendered
        stream = screen.view.query_one(StreamView)
        clock = FrameClock(stream, "render_line", lambda: stream._folded.row_count - 1)
        shown = [0]
        paints_before = stream.paints
        append, paint = stream.append, stream._paint

        def counted_append(text: str) -> str:
            shown[0] += len(text)
            return append(text)

        def timed_paint(*args: Any, **kw: Any) -> None:
            paint(*args, **kw)
            if shown[0] == total:
                clock.arm()

        stream.append, stream._paint = counted_append, timed_paint  # type: ignore[method-assign]
        feed = screen.view.feed
        start, end = await feed_loop(
            texts, lambda t: feed(Delta(step_index=0, attempt=1, text=t)), burst, meter
        )
        await until(lambda: clock.armed_at is not None, 30)
        # Still rendered live, the raw view is hidden and draws nothing: no frame to wait for.
        shown_raw = not rendered or bool(answer.render_note)
        if shown_raw:
            await until(lambda: clock.frame_at is not None, FRAME_WAIT_S)
        result = meter.stop(timing(start, end, clock if shown_raw else None))
        result["paint_lag_s"] = None if clock.armed_at is None else clock.armed_at - end
        result["paints"] = stream.paints - paints_before
        result["live_chars"] = answer._fed if rendered else 0
        before = time.perf_counter()
        await answer.finish()
        await pilot.pause()
        result["finish_s"] = time.perf_counter() - before
        assert stream.text == "".join(texts), "the stream view lost or changed text"
        await app.action_quit()
    return result


async def textual_case(kind: str, texts: list[str], burst: int, meter: Meter) -> dict[str, Any]:
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
            yield {"log": Log, "message": Sink}.get(kind, Static)()

    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        clock: FrameClock | None = None
        if kind == "noop":
            start, end = await feed_loop(texts, lambda t: None, burst, meter)
        elif kind == "message":
            sink = app.query_one(Sink)
            start, end = await feed_loop(texts, lambda t: sink.post_message(Text(t)), burst, meter)
            await until(lambda: len(sink.parts) == len(texts), 60)
        elif kind == "log":
            log = app.query_one(Log)
            clock = FrameClock(log, "render_line", lambda: log.line_count - 1)
            start, end = await feed_loop(texts, log.write, burst, meter)
        else:
            static = app.query_one(Static)
            clock = FrameClock(static, "render", None)
            parts: list[str] = []

            def update(text: str) -> None:
                parts.append(text)
                static.update(Content("".join(parts)))

            start, end = await feed_loop(texts, update, burst, meter)
        if clock is not None:
            clock.arm()
            await until(lambda: clock.frame_at is not None, FRAME_WAIT_S)
        return meter.stop(timing(start, end, clock))


async def child(scenario: str, n: int, burst: int, trace: bool) -> dict[str, Any]:
    texts = make_texts(n)
    meter = Meter(trace)
    with tempfile.TemporaryDirectory() as work:
        os.environ["ESCALATUI_CONFIG"] = str(Path(work) / "none.toml")
        if scenario == "list":
            sink: list[str] = []
            meter.start()
            start = time.perf_counter()
            for text in texts:
                sink.append(text)
            return meter.stop(timing(start, time.perf_counter(), None))
        if scenario in RUN_SCREEN:
            return await escalatui_case(texts, burst, meter, Path(work), scenario == "escalatui")
        return await textual_case(scenario, texts, burst, meter)


def run_child(scenario: str, n: int, burst: int, trace: bool) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", scenario, "--n", str(n), "--burst", str(burst)]
    out = subprocess.run(argv + (["--traced"] if trace else []), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{scenario} {n}: child failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ms(seconds: float | None, drawn: bool = True) -> str:
    if not drawn:
        return "not drawn"
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def mb(size: float | None) -> str:
    return "-" if size is None else f"{size / 1e6:.1f} MB"


def report(scenario: str, n: int, runs: list[dict[str, Any]], args: argparse.Namespace) -> float:
    """Print one case's row from its timed runs; return its µs per delta."""
    feed = statistics.median(r["feed_s"] for r in runs)
    drawn = all(r["drawn"] for r in runs)
    lags = [r["lag_s"] for r in runs if r["lag_s"] is not None]
    lag = statistics.median(lags) if lags and drawn else None
    paint_lags = [r["paint_lag_s"] for r in runs if r.get("paint_lag_s") is not None]
    paint_lag = statistics.median(paint_lags) if paint_lags else None
    traced = None
    if args.trace == "all" or args.trace == scenario:
        traced = run_child(scenario, n, args.burst, True)["traced_peak"]
    rss = statistics.median(r["rss_growth"] for r in runs)
    paints = runs[0].get("paints", "-")
    finishes = [r["finish_s"] for r in runs if "finish_s" in r]
    finish = ms(statistics.median(finishes)) if finishes else "-"
    live = f"{runs[0]['live_chars']:,}" if "live_chars" in runs[0] else "-"
    print(
        f"{scenario:<10} {n:>8,} {n / feed:>10,.0f} {feed / n * 1e6:>9.2f} {ms(paint_lag):>13} "
        f"{ms(lag, drawn):>10} {paints:>7} {mb(traced):>11} {mb(rss):>11} {finish:>10} {live:>8}"
    )
    return feed / n * 1e6


def measure(
    cases: list[str], sizes: list[int], args: argparse.Namespace
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Timed runs of every case, the cases taking turns within each repeat, so that a busy
    machine slows them alike and the ratios stay fair."""
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for _ in range(args.repeat):
        for n in sizes:
            for scenario in cases:
                if scenario == "static" and n > STATIC_MAX:
                    continue
                runs.setdefault((scenario, n), []).append(run_child(scenario, n, args.burst, False))
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per case (median)")
    parser.add_argument("--burst", type=int, default=1, help="deltas between awaits")
    parser.add_argument("--trace", default="escalatui", help="all, none or one case name")
    parser.add_argument("--cases", default="all", help="all, or case names joined by commas")
    parser.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--traced", dest="child_trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.n, args.burst, args.child_trace))))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    chars = statistics.mean(len(t) for t in make_texts(1000))
    print(
        f"TUI stream benchmark: {', '.join(f'{n:,}' for n in sizes)} deltas of ~{chars:.1f} "
        f"chars, an await every {args.burst} delta(s), {SIZE[0]}x{SIZE[1]} headless, "
        f"median of {args.repeat} run(s); Python {sys.version.split()[0]}"
    )
    print(
        f"{'case':<10} {'deltas':>8} {'deltas/s':>10} {'µs/delta':>9} {'lag to paint':>13} "
        f"{'to frame':>10} {'paints':>7} {'traced peak':>11} {'RSS growth':>11} {'finish':>10} "
        f"{'live':>8}"
    )
    cases = [s for s in SCENARIOS if args.cases == "all" or s in args.cases.split(",")]
    runs = measure(cases, sizes, args)
    per_delta: dict[tuple[str, int], float | None] = {}
    for s in cases:
        for n in sizes:
            if (s, n) not in runs:
                print(f"{s:<10} {n:>8,}  skipped: quadratic (each update re-lays out all text)")
            per_delta[(s, n)] = report(s, n, runs[(s, n)], args) if (s, n) in runs else None
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        print(f"\nflatness: µs/delta at {big:,} ÷ µs/delta at {small:,} (1.00 = flat)")
        for s in cases:
            a, b = per_delta[(s, small)], per_delta[(s, big)]
            if a and b:
                print(f"  {s:<10} {a:8.2f} -> {b:8.2f} µs   ×{b / a:.2f}")
    if "escalatui" not in cases:
        return 0
    print("\nescalatui (Markdown on) µs/delta as a multiple of each baseline's, same size")
    for n in sizes:
        mine = per_delta[("escalatui", n)]
        assert mine is not None
        ratios = [f"{s} ×{mine / v:,.1f}" for s in cases[:-1] if (v := per_delta[(s, n)])]
        print(f"  {n:>8,}: " + ", ".join(ratios))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
