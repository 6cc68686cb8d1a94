"""Replay: the same widgets show the same run; pause, step and speed; a torn or unfinished log
opens too; recorded timing is turned into a timeline."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from tui_helpers import run_app, run_screen, two_tiers, wait_for, wait_phase

from escalatui import cli
from escalatui.config import UserConfig
from escalatui.engine.events import (
    AttemptDecided,
    AttemptEnded,
    AttemptStarted,
    Delta,
    RunFinished,
    RunStarted,
    Tier,
)
from escalatui.session import read_session
from escalatui.tui import app as app_module
from escalatui.tui.app import EscalatuiApp, make_app
from escalatui.tui.screens import replay as replay_module
from escalatui.tui.screens.problems import ProblemsScreen
from escalatui.tui.screens.replay import ReplayScreen
from escalatui.tui.timeline import timeline
from escalatui.tui.widgets.ladder import ladder_content
from escalatui.tui.widgets.run_view import RunView
from escalatui.tui.widgets.stream_view import StreamView


def what_is_shown(view: RunView) -> dict[str, Any]:
    """The parts of a run view that must not differ between a live run and its replay."""
    table = view.query_one("#history", DataTable)
    return {
        "history": [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)],
        "ladder": ladder_content(view.state).plain,
        "stream": view.query_one(StreamView).text,
        "status": view.state.finished.status if view.state.finished else None,
        "cost": view.state.cost_usd,
    }


async def live_run(tmp_path: Path, session_dir: Path) -> dict[str, Any]:
    """Run a task with two human decisions; what the screen showed at the end."""
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting", decided=0)
        await pilot.press("r")
        await wait_phase(pilot, "awaiting", decided=1)
        await pilot.press("e")
        await wait_phase(pilot, "awaiting", decided=2)
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        shown = what_is_shown(run_screen(app).view)
        await pilot.press("q")
    return shown


def replay_app(path: Path, **kw: Any) -> EscalatuiApp:
    return make_app(user=UserConfig(), session_dir=path.parent, replay=read_session(path), **kw)


def replay_screen(pilot: Pilot[Any]) -> ReplayScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ReplayScreen)
    return screen


@contextlib.asynccontextmanager
async def paused_replay(
    tmp_path: Path, session_dir: Path
) -> AsyncIterator[tuple[Pilot[Any], ReplayScreen]]:
    """The replay of a live run with two human decisions, paused (space) once it opens."""
    await live_run(tmp_path, session_dir)
    [path] = session_dir.glob("*.jsonl")
    app = replay_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = replay_screen(pilot)
        await pilot.press("space")
        yield pilot, screen


async def step(pilot: Pilot[Any], screen: ReplayScreen) -> int:
    """Press `n` and wait until the replay has moved on; the position it moved from."""
    before = screen.position
    await pilot.press("n")
    await wait_for(pilot, lambda: screen.position > before, "a step")
    return before


async def test_replay_shows_what_the_live_run_showed(tmp_path: Path, session_dir: Path) -> None:
    live = await live_run(tmp_path, session_dir)
    [path] = session_dir.glob("*.jsonl")
    app = replay_app(path, replay_speed=None)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = replay_screen(pilot)
        await wait_for(pilot, lambda: screen.finished, "the replay to end")
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert what_is_shown(screen.view) == live
        assert len(live["history"]) == 3 and live["status"] == "accepted"
        await pilot.press("q")
    assert app.return_value == 0


async def test_pause_step_and_speed(tmp_path: Path, session_dir: Path) -> None:
    async with paused_replay(tmp_path, session_dir) as (pilot, screen):
        assert screen.paused
        held = screen.position
        await pilot.pause(0.3)
        assert screen.position == held  # paused means paused
        steps = 0
        text_steps = 0
        unplayed = len(screen.events) - held
        while not screen.finished:
            before = await step(pilot, screen)
            await pilot.pause(0.05)
            # One step plays one event: a chunk of text is a step of its own.
            assert screen.position == before + 1
            text_steps += isinstance(screen.events[before], Delta)
            steps += 1
        assert steps == unplayed and text_steps >= 2
        assert screen.view.state.finished is not None
        await pilot.press("q")


async def test_next_attempt_and_the_position_as_step_and_attempt(
    tmp_path: Path, session_dir: Path
) -> None:
    async with paused_replay(tmp_path, session_dir) as (pilot, screen):
        starts = [i for i, e in enumerate(screen.events) if isinstance(e, AttemptStarted)]
        assert len(starts) == 3
        for number, start in enumerate(starts, 1):
            if start < screen.position:
                continue  # played before the pause
            await pilot.press("N")
            await wait_for(pilot, lambda: screen.position > start, "the next attempt")  # noqa: B023
            await pilot.pause(0.05)
            assert screen.position == start + 1  # stopped right at the attempt's start
            status = str(screen.query_one("#replay-status").render())
            assert f"step 1/1 · attempt {number}/3 · event {start + 1}/" in status
        await pilot.press("N")  # no attempt left: plays to the end
        await wait_for(pilot, lambda: screen.finished, "the end")
        await pilot.press("q")


async def test_speed_cycles_to_instant(tmp_path: Path, session_dir: Path) -> None:
    async with paused_replay(tmp_path, session_dir) as (pilot, screen):
        for expected in (2.0, 10.0, None):
            await pilot.press("s")
            assert screen.speed == expected
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.finished, "the instant replay")
        status = str(screen.query_one("#replay-status").render())
        assert "end of session" in status
        await pilot.press("q")


async def test_a_torn_unfinished_log_replays_with_a_notice(
    tmp_path: Path, session_dir: Path
) -> None:
    await live_run(tmp_path, session_dir)
    [path] = session_dir.glob("*.jsonl")
    lines = path.read_bytes().split(b"\n")
    cut = [line for line in lines if b'"type": "run"' not in line and line]
    # As if the run was killed while writing: no run record, half a line at the end.
    path.write_bytes(b"\n".join(cut) + b'\n{"type": "delta", "step_ind')
    app = replay_app(path, replay_speed=None)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = replay_screen(pilot)
        await wait_for(pilot, lambda: screen.finished, "the replay to end")
        notices = [str(n.message) for n in app._notifications]
        assert any("torn last line" in n for n in notices), notices
        assert len(screen.view.state.decided) == 3
        assert screen.view.state.finished is None
        status = str(screen.query_one("#replay-status").render())
        assert "no run record" in status
        await pilot.press("q")


def test_timeline_follows_the_recorded_timing() -> None:
    tier = Tier(index=0, model="m", provider="sim", provider_model="m", label="m")
    start = RunStarted(
        run_id="r",
        task_name="t",
        task_path=None,
        started_at="2025-01-01T00:00:00.000Z",
        input="",
        approval="auto",
        budget_usd=None,
        steps=("s",),
    )
    began = AttemptStarted(
        step="s",
        step_index=0,
        attempt=1,
        tier=tier,
        warm=None,
        started_at="2025-01-01T00:00:01.000Z",
        prompt="p",
    )
    deltas = [
        Delta(step_index=0, attempt=1, text="a"),
        Delta(step_index=0, attempt=1, text="b"),
        Delta(step_index=0, attempt=1, text="c"),
    ]
    ended = AttemptEnded(
        step_index=0,
        attempt=1,
        output="abc",
        complete=True,
        error=None,
        duration_ms=2000,
        ttft_ms=500,
    )
    decided = AttemptDecided(
        step="s",
        step_index=0,
        attempt=1,
        tier=0,
        model="m",
        provider="sim",
        provider_model="m",
        warm=None,
        started_at=began.started_at,
        duration_ms=2000,
        ttft_ms=500,
        prompt_tokens=None,
        completion_tokens=None,
        cost_usd=0.0,
        output="abc",
        complete=True,
        error=None,
        verdict="retry",
        feedback=None,
        decided_by="human",
        next="retry",
    )
    again = AttemptStarted(
        step="s",
        step_index=0,
        attempt=2,
        tier=tier,
        warm=True,
        started_at="2025-01-01T00:00:10.000Z",
        prompt="p",
    )
    done = RunFinished(status="failed", output="", cost_usd=0.0, duration_ms=12_000, attempts=2)
    events = [start, began, *deltas, ended, decided, again, done]
    times = timeline(events)
    assert times == [0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 10.0, 10.0, 12.0]


def test_timeline_without_times_never_goes_backwards() -> None:
    events = [
        Delta(step_index=0, attempt=1, text="x"),
        RunFinished(status="failed", output="", cost_usd=0.0, duration_ms=0, attempts=0),
    ]
    assert timeline(events) == [0.0, 0.0]


async def test_a_replay_given_a_path_is_drawn_first_then_read(
    tmp_path: Path, session_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await live_run(tmp_path, session_dir)
    [path] = session_dir.glob("*.jsonl")
    release = threading.Event()
    real = replay_module.read_session

    def slow(p: Path) -> Any:
        release.wait(10)  # a long log on a slow disk
        return real(p)

    monkeypatch.setattr(replay_module, "read_session", slow)
    app = make_app(user=None, session_dir=tmp_path, replay_path=path, replay_speed=None)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = replay_screen(pilot)
        await pilot.pause()
        status = str(screen.query_one("#replay-status").render())
        assert "reading the session log" in status and not screen.finished
        release.set()
        await wait_for(pilot, lambda: screen.finished, "the replay to end")
        # the view folds fed events at its next frame
        await wait_for(pilot, lambda: screen.view.state.finished is not None, "the view")
        await pilot.press("q")


async def test_a_replay_path_with_nothing_to_replay_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("not json\n")
    app = make_app(user=None, session_dir=tmp_path, replay_path=path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen), "the problems")
        screen = app.screen
        assert isinstance(screen, ProblemsScreen) and "nothing to replay" in screen.heading
        assert screen.problems  # what was wrong with the file
        await pilot.press("escape")
        await pilot.press("q")


def test_the_cli_hands_the_tui_the_path_not_a_read_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[dict[str, Any]] = []

    class FakeApp:
        def run(self) -> int:
            return 0

        def exit_summaries(self) -> list[str]:
            return []

        def end_if_signalled(self, code: object) -> None:

            pass

    def fake_make_app(**kw: Any) -> FakeApp:
        made.append(kw)
        return FakeApp()

    monkeypatch.setattr(app_module, "make_app", fake_make_app)
    path = tmp_path / "s.jsonl"
    path.write_text("")
    assert cli.main(["replay", str(path)]) == 0
    assert made[0]["replay_path"] == path and "replay" not in made[0]
    assert cli.main(["replay", str(tmp_path / "gone.jsonl")]) == 2


async def test_a_replayed_decision_lists_no_keys(tmp_path: Path, session_dir: Path) -> None:
    # the live bar lists the keys that answer it; a replay cannot answer, so it lists none
    async with paused_replay(tmp_path, session_dir) as (pilot, screen):
        while screen.view.state.awaiting is None and not screen.finished:
            await step(pilot, screen)
        await pilot.pause(0.05)
        bar = screen.view.query_one("#decision", Static)
        shown = str(bar.render())
        assert "Your decision" in shown
        assert "Approve" not in shown and "Abort" not in shown
        await pilot.press("q")
