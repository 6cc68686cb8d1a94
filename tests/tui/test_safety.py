"""Hostile model output stays inert text, tiny terminals do not crash the app, a fast stream is
painted a frame at a time, and a slow real stream can be escalated in the middle."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fakeserver import FakeServer, Reply
from textual.widgets import TextArea
from tui_helpers import (
    LONG,
    approve_until_done,
    attempts,
    run_app,
    run_record,
    run_screen,
    sim,
    task,
    two_tiers,
    wait_for,
    wait_phase,
    wait_streaming,
)

from escalatui.config import LoadedTask
from escalatui.config.models import CommandCheck
from escalatui.tui.screens.attempt import AttemptScreen
from escalatui.tui.screens.feedback import FeedbackScreen
from escalatui.tui.widgets.stream_view import StreamView

pytestmark = pytest.mark.timeout(60)

HOSTILE = (
    "[bold]loud[/bold] [@click=app.quit]click me[/] [link=https://x.invalid]l[/link]\n"
    "\x1b[2J\x1b[H cleared? \x1b]52;c;SGVsbG8=\x07 clipboard? \x1b[6n query? "
    "\x1b]0;pwned\x07 title? \x9b31m C1 CSI \x85 NEL \u202e reversed \r\n"
    "tab\there bell\x07 backspace\x08 end"
)
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown_text(svg: str) -> str:
    """The characters of an SVG screenshot (spaces restored)."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return "".join(texts).replace("&#160;", " ").replace("&amp;", "&").replace("&lt;", "<")


async def test_hostile_output_is_shown_as_literal_text(tmp_path: Path, session_dir: Path) -> None:
    loaded = task(tmp_path, {"m": sim(HOSTILE)}, check="end", approval="manual")
    app = run_app(loaded, session_dir)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.pause(0.1)
        stream = run_screen(app).view.query_one(StreamView)
        for literal in ("[bold]loud[/bold]", "[@click=app.quit]click me[/]", "\\x1b[2J", "\\x9b"):
            assert literal in stream.text
        assert "\\u202e" in stream.text and "tab    here" in stream.text
        assert not RAW_CONTROL.search("".join(stream.rows))
        screen = shown_text(app.export_screenshot())
        assert "[@click=app.quit]click me[/]" in screen
        assert "\\x1b]52;c;SGVsbG8=\\x07" in screen
        assert not RAW_CONTROL.search(screen)
        await pilot.press("a")
        await app.workers.wait_for_complete()
        # The attempt in full (Enter on the history row) is inert too.
        run_screen(app).view.query_one("#history").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen), "the attempt")
        await pilot.pause(0.1)
        detail = shown_text(app.export_screenshot())
        assert "[bold]loud[/bold]" in detail and "\\x1b[6n" in detail
        assert not RAW_CONTROL.search(detail)
        await pilot.press("escape")
        assert app.is_running  # the [@click=app.quit] never became a link
        await pilot.press("q")
    assert attempts(session_dir)[0]["output"] == HOSTILE  # the log keeps the real bytes


@pytest.mark.parametrize("sizes", [[(10, 5), (120, 40)], [(1, 1), (40, 10), (3, 2), (100, 30)]])
async def test_tiny_terminals_mid_stream_do_not_crash(
    tmp_path: Path, session_dir: Path, sizes: list[tuple[int, int]]
) -> None:
    loaded = two_tiers(tmp_path, "manual", cheap=sim("a wrong " * 40, delay_s=0.01))
    app = run_app(loaded, session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_streaming(pilot)
        for size in sizes:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.05)
        await wait_phase(pilot, "awaiting")
        await pilot.resize_terminal(10, 5)
        await pilot.press("f")
        await pilot.pause(0.05)
        await pilot.resize_terminal(80, 24)
        await pilot.press("escape")
        await approve_until_done(pilot)
        await pilot.press("q")
    assert run_record(session_dir)["status"] == "accepted"


async def test_a_fast_stream_is_painted_in_frames_not_per_delta(
    tmp_path: Path, session_dir: Path
) -> None:
    answer = "x" * 30_000 + "\nRIGHT"
    loaded = task(tmp_path, {"m": sim(answer, chunk_chars=1)})
    app = run_app(loaded, session_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        stream = run_screen(app).view.query_one(StreamView)
        assert stream.text == answer
        assert stream.paints < 1_000  # 30,006 deltas
        await pilot.press("q")
    assert attempts(session_dir)[0]["output"] == answer


async def test_e_cuts_a_slow_server_stream_mid_way(tmp_path: Path, session_dir: Path) -> None:
    with FakeServer() as server:
        server.enqueue(Reply.drip(LONG, delay_s=0.02), model="small")
        server.enqueue(Reply.text("the RIGHT answer"), model="big")
        models = {
            "cheap": {"provider": "openai", "base_url": server.base_url, "model": "small"},
            "strong": {"provider": "openai", "base_url": server.base_url, "model": "big"},
        }
        app = run_app(task(tmp_path, models, approval="manual"), session_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_streaming(pilot, 30)
            await pilot.press("e")
            await wait_phase(pilot, "awaiting", decided=1)
            await pilot.press("a")
            await app.workers.wait_for_complete()
            await pilot.press("q")
        assert server.wait_until(lambda: server.disconnects >= 1)
        assert [r.model for r in server.chat_requests] == ["small", "big"]
    first, second = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["complete"]) == (
        "escalate",
        "human",
        False,
    )
    assert 30 <= len(first["output"]) < len(LONG)
    assert (second["model"], second["output"], second["decided_by"]) == (
        "strong",
        "the RIGHT answer",
        "human",
    )
    assert run_record(session_dir)["status"] == "accepted"


async def test_feedback_quoting_model_output_stays_inert(tmp_path: Path, session_dir: Path) -> None:
    """A command check that echoes the answer puts escape sequences into the feedback."""
    echo = [sys.executable, "-c", "import sys; print(sys.stdin.read()); sys.exit(1)"]
    loaded = task(tmp_path, {"m": sim(HOSTILE)}, check=None, approval="manual")
    step = loaded.task.steps[0].model_copy(
        update={"checks": [CommandCheck(kind="command", run=echo)]}
    )
    loaded = LoadedTask(loaded.path, loaded.task.model_copy(update={"steps": [step]}))
    app = run_app(loaded, session_dir)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_phase(pilot, "awaiting")
        assert "\x1b" in (run_screen(app).view.state.awaiting.feedback or "")  # type: ignore[union-attr]
        await pilot.pause(0.1)
        bar = shown_text(app.export_screenshot())
        assert "\\x1b[2J" in bar and not RAW_CONTROL.search(bar)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen), "the dialog")
        area = app.screen.query_one(TextArea)
        assert "\\x1b]52;" in area.text and not RAW_CONTROL.search(area.text.replace("\n", ""))
        await pilot.press("escape")
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.press("q")
