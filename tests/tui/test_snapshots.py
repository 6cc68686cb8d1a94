"""Snapshots of the screens a person sees: home, a run mid-stream, a run waiting for a decision,
a finished run, a replay. Clocks, durations, costs and ids are frozen (`make_app(frozen=True)`).

Update after an intended change: `pytest tests/tui/test_snapshots.py --snapshot-update`, then
look at the SVGs in `__snapshots__/`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeserver import END, SSE_HEADERS, Drop, FakeServer, Head, Reply
from textual.pilot import Pilot
from textual.widgets import TextArea
from tui_helpers import run_screen, sim, task, two_tiers, wait_for, wait_phase, write_task

from escalatui.config import UserConfig
from escalatui.engine.events import (
    AttemptDecided,
    AttemptEnded,
    AttemptStarted,
    ChecksDone,
    Delta,
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    Tier,
    to_record,
)
from escalatui.run_session import RunRequest
from escalatui.session import read_session
from escalatui.tui.app import make_app
from escalatui.tui.live_run import FROZEN_NOW
from escalatui.tui.screens.feedback import FeedbackScreen
from escalatui.tui.screens.home import HomeScreen
from escalatui.tui.screens.replay import ReplayScreen
from escalatui.tui.widgets.stream_view import StreamView

pytestmark = pytest.mark.timeout(60)
SIZE = (110, 34)
SIZES = [(60, 15), (80, 24), (120, 36), (160, 48)]
"""The run screen at every size a person may use: the smallest fold panels, none cuts the answer,
the decision bar or a dialog's buttons."""
MARKDOWN = (
    "The answer is **wrong**, see:\n\n```python\ndef area(w, h):\n    return w + h\n```\n\n"
    "- a [link](app.quit) stays text\n- [@click=app.quit]markup[/] too\n"
)
PARTIAL = ["Streaming ", "an answer, ", "with [bold]markup[/bold] ", "shown as text…"]


def frozen_run(loaded: Any, session_dir: Path) -> Any:
    return make_app(RunRequest(loaded, UserConfig(), session_dir), frozen=True)


def partial_then_stall(pieces: list[str]) -> Reply:
    """An SSE stream that sends `pieces`, then holds the connection open."""

    def plan(req: Any) -> Iterator[Any]:
        yield Head(200, SSE_HEADERS)
        for piece in pieces:
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
        yield 30.0
        yield Drop()
        yield END

    return Reply("partial-then-stall", plan)


async def home_loaded(pilot: Pilot[Any]) -> None:
    """Sessions read and task files validated (both happen after the first paint)."""
    screen = pilot.app.screen
    assert isinstance(screen, HomeScreen)
    await wait_for(
        pilot,
        lambda: screen.sessions_loaded and len(screen.checked) == len(screen.tasks),
        "the home screen's lists",
    )
    await pilot.pause(0.1)


def test_home(snap_compare: Any, tmp_path: Path, session_dir: Path) -> None:
    assert snap_compare(home_app(tmp_path, session_dir), terminal_size=SIZE, run_before=home_loaded)


def test_home_80x24(snap_compare: Any, tmp_path: Path, session_dir: Path) -> None:
    app = home_app(tmp_path, session_dir)
    assert snap_compare(app, terminal_size=(80, 24), run_before=home_loaded)


def home_app(tmp_path: Path, session_dir: Path) -> Any:
    here, examples = tmp_path / "here", tmp_path / "examples"
    here.mkdir()
    examples.mkdir()
    write_task(here, {"m": sim("x")}, name="summarise-notes", description="Summarise my notes")
    (here / "broken.toml").write_text('name = "broken"\n[[steps]]\nprompt = "\n')
    write_task(
        examples,
        {"m": sim("x")},
        name="demo-arithmetic",
        filename="demo.toml",
        description="SmolLM2 answers arithmetic; a stronger tier takes over",
    )
    session_dir.mkdir()
    write_session(session_dir / "20250101-120000-demo-arithmetic-0123456789ab.jsonl")
    return make_app(
        user=UserConfig(),
        session_dir=session_dir,
        frozen=True,
        task_sources=[("here", here), ("example", examples)],
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_mid_stream(
    snap_compare: Any, tmp_path: Path, session_dir: Path, size: tuple[int, int]
) -> None:
    with FakeServer() as server:
        server.enqueue(partial_then_stall(PARTIAL), model="small")
        models = {
            "cheap": {
                "provider": "openai",
                "base_url": server.base_url,
                "model": "small",
                "label": "small local model",
            },
            "strong": sim("unused"),
        }
        app = frozen_run(task(tmp_path, models, approval="manual"), session_dir)

        async def streaming(pilot: Pilot[Any]) -> None:
            stream = run_screen(pilot.app).view.query_one(StreamView)  # type: ignore[arg-type]
            await wait_for(pilot, lambda: stream.text == "".join(PARTIAL), "the partial answer")
            await pilot.pause(0.1)

        assert snap_compare(app, terminal_size=size, run_before=streaming)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_awaiting_approval(
    snap_compare: Any, tmp_path: Path, session_dir: Path, size: tuple[int, int]
) -> None:
    app = frozen_run(two_tiers(tmp_path, "manual", cheap=sim(MARKDOWN)), session_dir)

    async def awaiting(pilot: Pilot[Any]) -> None:
        await wait_phase(pilot, "awaiting")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=awaiting)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_feedback_editor(
    snap_compare: Any, tmp_path: Path, session_dir: Path, size: tuple[int, int]
) -> None:
    app = frozen_run(two_tiers(tmp_path, "manual"), session_dir)

    async def editing(pilot: Pilot[Any]) -> None:
        await wait_phase(pilot, "awaiting")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FeedbackScreen), "the editor")
        area = pilot.app.screen.query_one(TextArea)
        area.cursor_blink = False  # a blinking cursor is drawn or not at random: the picture flakes
        area.refresh()
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=editing)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_finished(
    snap_compare: Any, tmp_path: Path, session_dir: Path, size: tuple[int, int]
) -> None:
    app = frozen_run(two_tiers(tmp_path, "manual"), session_dir)

    async def finished(pilot: Pilot[Any]) -> None:
        await wait_phase(pilot, "awaiting", decided=0)
        await pilot.press("r")
        await wait_phase(pilot, "awaiting", decided=1)
        await pilot.press("e")
        await wait_phase(pilot, "awaiting", decided=2)
        await pilot.press("a")
        await pilot.app.workers.wait_for_complete()
        pilot.app.clear_notifications()  # toasts time out: never in a snapshot
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=finished)


def test_replay(snap_compare: Any, tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    write_session(path)
    app = make_app(
        user=UserConfig(),
        session_dir=tmp_path,
        replay=read_session(path),
        frozen=True,
        replay_speed=None,
    )

    async def replayed(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ReplayScreen)
        await wait_for(pilot, lambda: screen.finished, "the replay")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=replayed)


def write_session(path: Path) -> None:
    """A two-attempt session log with fixed times (the small model fails, the big one passes)."""
    cheap = Tier(
        index=0,
        model="cheap",
        provider="embedded",
        provider_model="(default)",
        label="SmolLM2-135M (local)",
    )
    strong = Tier(
        index=1,
        model="strong",
        provider="openrouter",
        provider_model="openai/gpt-4o-mini",
        label="gpt-4o-mini",
    )
    events: list[Event] = [
        RunStarted(
            run_id="0123456789ab",
            task_name="demo-arithmetic",
            task_path=None,
            started_at=FROZEN_NOW,
            input="What is 17 * 23?",
            approval="escalation",
            budget_usd=0.05,
            steps=("answer",),
        ),
        StepStarted(step="answer", step_index=0, chain=(cheap, strong)),
        AttemptStarted(
            step="answer",
            step_index=0,
            attempt=1,
            tier=cheap,
            warm=False,
            started_at=FROZEN_NOW,
            prompt="Question: 17 * 23",
        ),
        Delta(step_index=0, attempt=1, text='{"answer": 23}'),
        AttemptEnded(
            step_index=0,
            attempt=1,
            output='{"answer": 23}',
            complete=True,
            error=None,
            duration_ms=900,
            ttft_ms=800,
        ),
        ChecksDone(
            step_index=0,
            attempt=1,
            outcomes=(),
            proposed="escalate",
            feedback="- 23 is wrong. Compute step by step.",
        ),
    ]
    events += [
        decided(1, cheap, '{"answer": 23}', "escalate", "- 23 is wrong. Compute step by step."),
        AttemptStarted(
            step="answer",
            step_index=0,
            attempt=2,
            tier=strong,
            warm=None,
            started_at="2025-01-01T12:00:04.000Z",
            prompt="Question",
        ),
        Delta(step_index=0, attempt=2, text='{"answer": '),
        Delta(step_index=0, attempt=2, text="391}"),
        AttemptEnded(
            step_index=0,
            attempt=2,
            output='{"answer": 391}',
            complete=True,
            error=None,
            duration_ms=1200,
            ttft_ms=400,
        ),
        decided(2, strong, '{"answer": 391}', "accept", None),
        StepFinished(step="answer", step_index=0, output='{"answer": 391}', accepted=True),
        RunFinished(
            status="accepted",
            output='{"answer": 391}',
            cost_usd=0.00021,
            duration_ms=5300,
            attempts=2,
        ),
    ]
    lines = []
    for event in events:
        record = to_record(event)
        if isinstance(event, RunStarted):
            record = {
                "type": "session",
                "schema": 1,
                **{k: v for k, v in record.items() if k != "type"},
            }
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(path, (1_735_732_800, 1_735_732_800))


def decided(n: int, tier: Tier, output: str, verdict: str, feedback: str | None) -> AttemptDecided:
    return AttemptDecided(
        step="answer",
        step_index=0,
        attempt=n,
        tier=tier.index,
        model=tier.model,
        provider=tier.provider,
        provider_model=tier.provider_model,
        warm=False if n == 1 else None,
        started_at=FROZEN_NOW,
        duration_ms=1000,
        ttft_ms=400,
        prompt_tokens=40,
        completion_tokens=8,
        cost_usd=0.0 if n == 1 else 0.00021,
        output=output,
        complete=True,
        error=None,
        verdict=verdict,
        feedback=feedback,  # type: ignore[arg-type]
        decided_by="human" if n == 1 else "checks",
        next="escalate" if n == 1 else "done",
    )
