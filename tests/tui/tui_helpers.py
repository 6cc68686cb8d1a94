"""Building task files and apps for TUI tests, waiting on them (always bounded), reading logs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w
from textual.pilot import Pilot

from escalatui.config import LoadedTask, UserConfig, load_task
from escalatui.run_session import RunRequest
from escalatui.session.resolve import resolved
from escalatui.tui.app import EscalatuiApp, make_app
from escalatui.tui.screens.run import RunScreen
from escalatui.tui.widgets.stream_view import StreamView

WAIT_S = 15.0
LONG = "".join(f"word{i} " for i in range(400))
"""A long answer: streamed 1 character every 20 ms it takes minutes, so keys land mid-stream."""


def sim(*responses: str, **fields: Any) -> dict[str, Any]:
    """A simulated model answering `responses` in turn (the last repeats)."""
    return {"provider": "sim", "responses": list(responses), **fields}


def write_task(
    directory: Path,
    models: dict[str, dict[str, Any]],
    *,
    name: str = "tui-test",
    check: str | None = "RIGHT",
    filename: str = "task.toml",
    **fields: Any,
) -> Path:
    """A task file with one step over `models` (cheapest first); passes when the answer
    contains `check`."""
    step: dict[str, Any] = {"name": "answer", "prompt": "Say it: {input}"}
    if check is not None:
        step["checks"] = [{"kind": "contains", "text": check, "feedback": f"Must say {check}."}]
    data = {
        "name": name,
        "input": "hello",
        "chain": list(models),
        "models": models,
        "steps": [step],
        **fields,
    }
    path = directory / filename
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def task(directory: Path, models: dict[str, dict[str, Any]], **fields: Any) -> LoadedTask:
    return load_task(write_task(directory, models, **fields))


def two_tiers(directory: Path, approval: str, cheap: dict[str, Any] | None = None) -> LoadedTask:
    """cheap answers wrong (the check wants RIGHT), strong answers right."""
    return task(
        directory,
        {
            "cheap": cheap or sim("a wrong answer", "still wrong", cost_usd=0.001),
            "strong": sim("the RIGHT answer", cost_usd=0.01),
        },
        approval=approval,
    )


def run_app(loaded: LoadedTask, session_dir: Path, **kw: Any) -> EscalatuiApp:
    request = RunRequest(loaded, kw.pop("user", UserConfig()), session_dir)
    return make_app(request, **kw)


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], what: str) -> None:
    """Poll until `predicate()`; fail after WAIT_S seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def run_screen(app: EscalatuiApp) -> RunScreen:
    screen = next(s for s in reversed(app.screen_stack) if isinstance(s, RunScreen))
    return screen


async def wait_phase(pilot: Pilot[Any], phase: str, decided: int | None = None) -> None:
    """Wait until the run screen shows `phase` (and `decided` attempts, if given)."""
    screen = run_screen(pilot.app)  # type: ignore[arg-type]
    state = screen.view.state

    def ready() -> bool:
        return state.phase == phase and (decided is None or len(state.decided) == decided)

    await wait_for(pilot, ready, f"phase {phase!r} with {decided} decided")


async def wait_streaming(pilot: Pilot[Any], chars: int = 5) -> None:
    """Wait until the current attempt has shown `chars` characters of text."""
    stream = run_screen(pilot.app).view.query_one(StreamView)  # type: ignore[arg-type]
    await wait_for(pilot, lambda: len(stream.text) >= chars, f"{chars} streamed characters")


def records(session_dir: Path) -> list[dict[str, Any]]:
    """Every record of the one session log in `session_dir`, each text put back where the file
    holds it once (what a reader sees)."""
    files = sorted(session_dir.glob("*.jsonl"))
    assert len(files) == 1, files
    # Split on newlines only: model text may hold U+0085 or U+2028, which splitlines() breaks on.
    lines = files[0].read_text(encoding="utf-8").split("\n")
    return resolved([json.loads(line) for line in lines if line])


def attempts(session_dir: Path) -> list[dict[str, Any]]:
    return [r for r in records(session_dir) if r["type"] == "attempt"]


def run_record(session_dir: Path) -> dict[str, Any]:
    last = records(session_dir)[-1]
    assert last["type"] == "run", last
    return last


async def approve_until_done(pilot: Pilot[Any]) -> None:
    """Press `a` at every question until the run ends (manual mode asks about every answer)."""
    screen = run_screen(pilot.app)  # type: ignore[arg-type]
    for _ in range(10):
        await wait_for(
            pilot,
            lambda: not screen.running or screen.live.decider.waiting,
            "the run to end or ask",
        )
        if not screen.running:
            break
        ask = screen.view.state.awaiting
        # overriding failed checks takes a second press
        await pilot.press(*("a" if ask is not None and ask.proposed == "accept" else "aa"))
    await pilot.app.workers.wait_for_complete()
