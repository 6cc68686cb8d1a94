"""What each screenshot shows, and the task files and past sessions the scenes need.

Every model here is simulated (`provider = "sim"`) and labelled SIMULATED on screen. The demo
task keeps the bundled demo's prompt, checks and chain shape; its answers are ones SmolLM2 and a
stronger model typically give to "What is 17 * 23?".
"""

from __future__ import annotations

import asyncio
import calendar
import os
import time
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import tomli_w
from textual.coordinate import Coordinate
from textual.widgets import DataTable, TextArea

from escalatui import paths
from escalatui.clients.registry import known_secrets
from escalatui.config import LoadedTask, UserConfig, load_task
from escalatui.engine.drive import drive
from escalatui.engine.events import AttemptEnded
from escalatui.run_headless import make_runner
from escalatui.session import SessionWriter, read_session
from escalatui.tui.app import make_app
from escalatui.tui.screens.feedback import FeedbackScreen
from escalatui.tui.screens.replay import ReplayScreen
from escalatui.tui.screens.run import RunScreen
from escalatui.tui.widgets.stream_view import StreamView

SMALL_ANSWERS = [
    '{"answer": 23}',
    '17 * 23 = 17 * 20 + 17 * 3 = 340 + 41 = 381\n{"answer": 381}',
]
STRONG_ANSWER = """```json
{
  "steps": [
    "17 * 23 = 17 * 20 + 17 * 3",
    "17 * 20 = 340",
    "17 * 3 = 51",
    "340 + 51 = 391"
  ],
  "answer": 391
}
```"""
HUMAN_NOTE = "- Your working said 17 * 3 = 41; it is 51. Show each step, then the number."
SIZE = (120, 36)
THEMES = ("escalatui-dark", "escalatui-light", "escalatui-high-contrast")


async def until(pilot: Any, predicate: Callable[[], bool], what: str, limit: float = 20) -> None:
    """Poll `predicate` while the app runs; give up after `limit` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await pilot.pause(0.02)


async def settle(pilot: Any) -> None:
    """Let the last frame paint, without toasts (they time out, so they would vary)."""
    await pilot.pause(0.2)
    pilot.app.clear_notifications()
    remeasure_tables(pilot.app)
    await pilot.pause(0.1)


def remeasure_tables(app: Any) -> None:
    """Redraw every table with its settled column widths. Works around a Textual DataTable
    race (8.2.8): `add_row` bumps the render cache key but the widths are only widened on the
    next idle, so a row painted in between stays cached at the old width ("escalat")."""
    for table in app.screen.query(DataTable):
        if table.row_count and table.columns:
            origin = Coordinate(0, 0)
            table.update_cell_at(origin, table.get_cell_at(origin))  # bumps the cache key
            table.refresh()


Shoot = Callable[[str], None]
Scene = Callable[[Any, Shoot], Awaitable[None]]


async def film(app: Any, scene: Scene, svg_dir: Path) -> list[Path]:
    """Run `app` headless at SIZE; `scene` drives it and calls `shoot(name)` for each image."""
    taken: list[Path] = []

    def shoot(name: str) -> None:
        path = svg_dir / f"{name}.svg"
        path.write_text(app.export_screenshot(title="escalatui"), encoding="utf-8")
        taken.append(path)
        print(f"  {name}.svg", flush=True)

    async with app.run_test(size=SIZE) as pilot:
        await scene(pilot, shoot)
        await app.action_quit()
    return taken


def demo_task(directory: Path, approval: str, strong_delay_s: float = 0.0) -> LoadedTask:
    """The bundled demo task with simulated stand-ins for both tiers."""
    data = tomllib.loads((paths.examples_dir() / "demo.toml").read_text(encoding="utf-8"))
    data.update(
        description="The bundled demo with SIMULATED stand-ins for SmolLM2 and the strong tier",
        approval=approval,
        chain=["local-sim", "strong-sim"],
        models={
            "local-sim": sim("SmolLM2 stand-in (SIMULATED)", SMALL_ANSWERS, 0.0, 3, 0.0),
            "strong-sim": sim(
                "strong model (SIMULATED)", [STRONG_ANSWER], strong_delay_s, 20, 2e-4
            ),
        },
    )
    path = directory / "demo-arithmetic.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_task(path)


def sim(label: str, answers: list[str], delay: float, chunk: int, cost: float) -> dict[str, Any]:
    return {
        "provider": "sim",
        "label": label,
        "responses": answers,
        "delay_s": delay,
        "chunk_chars": chunk,
        "cost_usd": cost,
    }


def other_task(directory: Path, name: str, description: str, answers: list[list[str]]) -> Path:
    """A one-step task over simulated tiers (one answer list per tier) for the home screen."""
    models = {
        f"tier{i + 1}-sim": sim(f"tier {i + 1} (SIMULATED)", a, 0.0, 40, 0.0 if i == 0 else 4e-4)
        for i, a in enumerate(answers)
    }
    data = {
        "name": name,
        "description": description,
        "input": "notes.txt",
        "chain": list(models),
        "models": models,
        "steps": [
            {
                "name": "answer",
                "prompt": "{input}",
                "checks": [{"kind": "regex", "pattern": r"^- ", "feedback": "Use bullet points."}],
            }
        ],
    }
    path = directory / f"{name}.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


async def record(loaded: LoadedTask, session_dir: Path, run_id: str, when: str) -> None:
    """Run `loaded` headless into `session_dir`, as if started at `when` (ISO, UTC)."""
    runner = make_runner(loaded, UserConfig(), None, None, run_id=run_id, now=lambda: when)
    writer = SessionWriter(session_dir, known_secrets({}, loaded.task.models))
    try:
        await drive(runner, [writer.handle])
    finally:
        writer.close()
    stamp = calendar.timegm(time.strptime(when[:19], "%Y-%m-%dT%H:%M:%S"))
    for path in session_dir.glob(f"*{run_id}.jsonl"):
        os.utime(path, (stamp, stamp))  # the home screen lists newest first, by mtime


async def make_all(work: Path, out: Path) -> list[Path]:
    """Every scene, in README order; returns the SVGs written to `out`."""
    here, sessions = work / "here", work / "home-sessions"
    for directory in (here, sessions, work / "demo"):
        directory.mkdir()
    demo = demo_task(work / "demo", "auto")
    notes = other_task(
        here,
        "summarise-notes",
        "Meeting notes as five bullet points",
        [["Here is a summary of the notes."], ["The meeting covered the release."]],
    )
    invoice = other_task(
        here,
        "extract-invoice",
        "Supplier, date and total from an invoice",
        [["- supplier: ACME\n- date: 2025-03-02\n- total: 1,240.00 EUR"]],
    )
    other_task(
        here,
        "rust-to-rhai",
        "Rhai wrappers for Rust functions, then tests",
        [["- fn add"]],
    )
    await record(load_task(notes), sessions, "7c2e91d04a6b", "2025-03-13T17:05:12.000Z")
    await record(load_task(invoice), sessions, "b51f08e3c9d2", "2025-03-14T08:47:40.000Z")
    await record(demo, sessions, "4f1c9a2e7b30", "2025-03-14T09:12:03.000Z")

    shots: list[Path] = []
    home = make_app(
        user=UserConfig(),
        session_dir=sessions,
        frozen=True,
        task_sources=[("here", here), ("example", paths.examples_dir())],
    )
    shots += await film(home, home_scene, out)

    for name, approval, delay in (("stream", "auto", 1.0), ("ask", "manual", 0.0)):
        (work / name).mkdir()
        loaded = demo_task(work / name, approval, strong_delay_s=delay)
        app = make_app(user=UserConfig(), session_dir=work / name, loaded=loaded, frozen=True)
        shots += await film(app, streaming_scene if name == "stream" else awaiting_scene, out)

    finished_dir = work / "finished"
    finished_dir.mkdir()
    loaded = demo_task(finished_dir, "escalation")
    app = make_app(user=UserConfig(), session_dir=finished_dir, loaded=loaded, frozen=True)
    shots += await film(app, finished_scene, out)

    log = read_session(next(finished_dir.glob("*.jsonl")))
    app = make_app(
        user=UserConfig(), session_dir=finished_dir, replay=log, frozen=True, replay_speed=0.001
    )
    shots += await film(app, replay_scene, out)
    return shots


async def home_scene(pilot: Any, shoot: Any) -> None:
    await settle(pilot)
    shoot("home")


def run_screen(pilot: Any) -> RunScreen:
    return next(s for s in pilot.app.screen_stack if isinstance(s, RunScreen))


async def streaming_scene(pilot: Any, shoot: Any) -> None:
    """Tier 1 failed twice (retry, then escalate); the strong tier is streaming."""
    screen = run_screen(pilot)
    stream = screen.view.query_one(StreamView)

    def third_attempt_half_done() -> bool:
        attempt = screen.view.state.attempt
        return attempt is not None and attempt.attempt == 3 and len(stream.text) >= 80

    await until(pilot, third_attempt_half_done, "the strong tier to stream")
    # The simulated strong tier sends 20 characters a second: nothing arrives while it settles.
    await settle(pilot)
    shoot("run-streaming")


async def awaiting_scene(pilot: Any, shoot: Any) -> None:
    """Manual approval: `r` on the first answer, then the second answer waits for a person."""
    state = run_screen(pilot).view.state
    await until(pilot, lambda: state.phase == "awaiting", "the first question")
    await pilot.press("r")
    await until(pilot, lambda: state.phase == "awaiting" and len(state.decided) == 1, "a question")
    await settle(pilot)
    shoot("run-awaiting")


async def finished_scene(pilot: Any, shoot: Any) -> None:
    """Approval `escalation`: the checks retry, a person adds feedback and escalates, the strong
    tier is accepted. Then the same finished run in each theme."""
    screen = run_screen(pilot)
    state = screen.view.state
    await until(pilot, lambda: state.phase == "awaiting" and len(state.decided) == 1, "a question")
    await pilot.press("f")
    await until(pilot, lambda: isinstance(pilot.app.screen, FeedbackScreen), "the feedback editor")
    area = pilot.app.screen.query_one(TextArea)
    area.cursor_blink = False  # a blinking cursor would be on in some images, off in others
    area.insert("\n" + HUMAN_NOTE)
    await settle(pilot)
    shoot("feedback")
    await pilot.press("ctrl+g")
    await until(pilot, lambda: not screen.running, "the run to finish")
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)
    shoot("run-finished")
    for theme in THEMES:
        pilot.app.theme = theme
        await settle(pilot)
        shoot("theme-" + theme.removeprefix("escalatui-"))


async def replay_scene(pilot: Any, shoot: Any) -> None:
    """The finished run's log, paused (space) and stepped (n) to where the strong tier's answer
    is in and its checks are running."""
    screen = pilot.app.screen
    assert isinstance(screen, ReplayScreen)
    await pilot.press("space")

    def strong_answer_in() -> bool:
        last = screen.events[screen.position - 1] if screen.position else None
        return isinstance(last, AttemptEnded) and last.attempt == 3

    for _ in range(len(screen.events)):
        if strong_answer_in():
            break
        await pilot.press("n")
        await pilot.pause(0.05)
    await until(pilot, strong_answer_in, "the replay to reach attempt 3")
    await settle(pilot)
    shoot("replay")
