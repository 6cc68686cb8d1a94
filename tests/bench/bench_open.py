"""Time to the first frame: escalatui's screens against a bare Textual app, in the same run.

Prints numbers and ratios; asserts nothing about speed. Run:
`python tests/bench/bench_open.py` (`--n 7`, `--size 120x36`, `--before DIR`: also time the
escalatui in another checkout, e.g. `git archive main | tar -x -C DIR`, for a before/after).
On a busy machine the minimum is the steadier figure; both are printed.

Each case is a fresh process on a pseudo-terminal of its own (so imports, start-up and the
real Textual driver all count), timed from just before it is started to the moment the
terminal receives the bytes of a frame showing the case's marker text. Cases:

- `bare textual`: an `App` with one `Static`: the floor any Textual app pays.
- `bare textual, home's widgets`: two `DataTable`s and an `Input`, as on the home screen: what
  those widgets cost in any app.
- `home, 0 sessions` and `home, 1000 sessions`: `escalatui` with an empty / a full session
  directory (each log: a short two-attempt run).
- `demo run screen`: `escalatui demo` (the embedded model loads in its own process; the frame
  must not wait for it).
- `replay, 10k attempts`: `escalatui replay` of a session log with 10,000 attempts.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

PY = sys.executable
TIMEOUT_S = 60.0
BARE = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare-app-ready")
        yield Footer()

Bare().run()
"""

BARE_TABLES = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header, Input, Label

class BareTables(App):
    def compose(self):
        yield Header()
        yield Label("bare-tables-ready")
        yield Input(placeholder="filter")
        for columns in (("task", "file", "from", "description"), ("task", "when", "status")):
            table = DataTable()
            table.add_columns(*columns)
            yield table
        yield Footer()

BareTables().run()
"""
"""The same Textual widgets as the home screen (two tables, an input): what they cost alone."""


# Runs escalatui from the checkout in argv[1] (not the installed one): for --before.
FROM_CHECKOUT = """
import runpy, sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, sys.argv[1])
sys.argv = ["escalatui", *sys.argv[2:]]
runpy.run_module("escalatui", run_name="__main__", alter_sys=True)
"""


def first_frame(argv: list[str], marker: bytes, env: dict[str, str], cwd: Path, size: str) -> float:
    """Seconds from start until `marker` reaches the terminal."""
    cols, rows = (int(x) for x in size.split("x"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    t0 = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=cwd,
        start_new_session=True,  # its own process group: the cleanup below reaches its children
    )
    os.close(slave)
    seen = b""
    elapsed: float | None = None
    try:
        deadline = t0 + TIMEOUT_S
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            seen = (seen + chunk)[-200_000:]
            if marker in seen:
                elapsed = time.perf_counter() - t0
                break
    finally:
        with _suppress():
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with _suppress():
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        os.close(master)
    if elapsed is None:
        tail = seen[-400:].decode("utf-8", "replace")
        raise SystemExit(f"{argv}: {marker!r} never shown; last output: {tail!r}")
    return elapsed


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]


def session_lines(run_id: str, attempts: int) -> list[str]:
    """A session log of one step with `attempts` attempts, the last accepted, written the way
    the session writer writes one (the records of the engine's events)."""
    from escalatui.engine.events import (
        AttemptDecided,
        AttemptEnded,
        AttemptStarted,
        Delta,
        Event,
        RunFinished,
        RunStarted,
        StepFinished,
        StepStarted,
        Tier,
        to_record,
    )

    now = "2025-01-01T12:00:00.000Z"
    tier = Tier(
        index=0, model="m", provider="sim", provider_model="(default)", label="m", simulated=True
    )
    events: list[Event] = [
        RunStarted(
            run_id=run_id,
            task_name="bench",
            task_path="bench.toml",
            started_at=now,
            input="",
            approval="auto",
            budget_usd=None,
            steps=("s",),
        ),
        StepStarted(step="s", step_index=0, chain=(tier,)),
    ]
    for n in range(1, attempts + 1):
        last = n == attempts
        events += [
            AttemptStarted(
                step="s", step_index=0, attempt=n, tier=tier, warm=True, started_at=now, prompt="p"
            ),
            Delta(step_index=0, attempt=n, text="ok"),
            AttemptEnded(
                step_index=0,
                attempt=n,
                output="ok",
                complete=True,
                error=None,
                duration_ms=10,
                ttft_ms=5,
            ),
            AttemptDecided(
                step="s",
                step_index=0,
                attempt=n,
                tier=0,
                model="m",
                provider="sim",
                provider_model="(default)",
                warm=True,
                started_at=now,
                duration_ms=10,
                ttft_ms=5,
                prompt_tokens=10,
                completion_tokens=2,
                cost_usd=0.0,
                output="ok",
                complete=True,
                error=None,
                verdict="accept" if last else "retry",
                feedback=None if last else "- try again",
                decided_by="checks",
                next="done" if last else "retry",
                simulated=True,
            ),
        ]
    events += [
        StepFinished(step="s", step_index=0, output="ok", accepted=True),
        RunFinished(
            status="accepted", output="ok", cost_usd=0.0, duration_ms=10, attempts=attempts
        ),
    ]
    lines = []
    for event in events:
        record = to_record(event)
        if isinstance(event, RunStarted):
            record = {"type": "session", "schema": 1, **record}
            record["type"] = "session"
        lines.append(json.dumps(record))
    return lines


def write_sessions(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        path = directory / f"20250101-120000-bench-{i:012x}.jsonl"
        path.write_text("\n".join(session_lines(f"{i:012x}", 2)) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=7, help="runs of each case")
    parser.add_argument("--size", default="120x36", help="terminal COLSxROWS")
    parser.add_argument("--before", type=Path, help="another checkout to time alongside")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-open-") as tmp:
        root = Path(tmp)
        empty, full, here = root / "empty", root / "full", root / "here"
        empty.mkdir()
        here.mkdir()
        write_sessions(full, 1000)
        big = root / "big.jsonl"
        big.write_text("\n".join(session_lines("big", 10_000)) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
        env |= {"TERM": "xterm-256color", "ESCALATUI_CONFIG": str(root / "config.toml")}
        env.pop("OPENROUTER_API_KEY", None)
        # An installed package has its bytecode cached; with this set (some CI images do), every
        # run would compile escalatui's modules again, a cost no user pays.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cases: dict[str, tuple[list[str], bytes, dict[str, str]]] = {
            "bare textual (baseline)": ([PY, "-c", BARE], b"bare-app-ready", env),
            "bare textual, home's widgets": ([PY, "-c", BARE_TABLES], b"bare-tables-ready", env),
        }
        launchers = {"": [PY, "-m", "escalatui"]}
        if args.before:
            launchers["before: "] = [PY, "-c", FROM_CHECKOUT, str(args.before.resolve())]
        for label, escalatui in launchers.items():
            cases |= escalatui_cases(label, escalatui, root, empty, full, big, env)
        for argv, marker, case_env in cases.values():  # warm the OS file cache (and write bytecode)
            first_frame(argv, marker, case_env, here, args.size)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.n):  # interleaved, so drift hits all alike
            for name, (argv, marker, case_env) in cases.items():
                times[name].append(first_frame(argv, marker, case_env, here, args.size))
    base = statistics.median(times["bare textual (baseline)"])
    base_min = min(times["bare textual (baseline)"])
    print(
        f"python {sys.version.split()[0]}; terminal {args.size}; {args.n} runs each "
        "(process start to the first frame on the terminal)"
    )
    for name, samples in times.items():
        median, least = statistics.median(samples), min(samples)
        print(
            f"  {name:34}: median {median * 1000:7.1f} ms ({median / base:4.2f}x bare)"
            f"   min {least * 1000:7.1f} ms ({least / base_min:4.2f}x bare)"
        )


def escalatui_cases(
    label: str,
    escalatui: list[str],
    root: Path,
    empty: Path,
    full: Path,
    big: Path,
    env: dict[str, str],
) -> dict[str, tuple[list[str], bytes, dict[str, str]]]:
    demo_dir = root / f"demo-sessions{len(label)}"
    return {
        f"{label}home, 0 sessions": (
            [*escalatui, "--session-dir", str(empty)],
            b"Past sessions",
            env,
        ),
        f"{label}home, 1000 sessions": (
            [*escalatui, "--session-dir", str(full)],
            b"Past sessions",
            env,
        ),
        f"{label}demo run screen": (
            [*escalatui, "demo", "--session-dir", str(demo_dir)],
            b"chain",
            env,
        ),
        f"{label}replay, 10k attempts": ([*escalatui, "replay", str(big)], b"replay", env),
    }


if __name__ == "__main__":
    main()
