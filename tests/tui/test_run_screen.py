"""The run screen beyond keys: several steps, a session dir that cannot be written, the ladder's
states, the attempt details, and the stream text folding."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from tui_helpers import (
    attempts,
    run_app,
    run_record,
    run_screen,
    sim,
    task,
    two_tiers,
    wait_for,
    wait_phase,
)

from escalatui.tui.screens.attempt import AttemptScreen
from escalatui.tui.widgets.folded_text import FoldedText, wrap
from escalatui.tui.widgets.ladder import ladder_content
from escalatui.tui.widgets.stream_view import StreamView

pytestmark = pytest.mark.timeout(60)


async def test_two_steps_show_in_the_ladder_and_the_history(
    tmp_path: Path, session_dir: Path
) -> None:
    path = tmp_path / "two.toml"
    path.write_text(
        'name = "two-steps"\nchain = ["m"]\n[models.m]\nprovider = "sim"\n'
        'responses = ["first", "second"]\n'
        '[[steps]]\nname = "draft"\nprompt = "draft it"\n'
        '[[steps]]\nname = "polish"\nprompt = "polish {previous}"\n'
    )
    from escalatui.config import load_task

    app = run_app(load_task(path), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        view = run_screen(app).view
        assert "step 2/2 polish" in ladder_content(view.state).plain
        assert [(d.step, d.output) for d in view.state.decided] == [
            ("draft", "first"),
            ("polish", "second"),
        ]
        await pilot.press("q")
    assert app.return_value == 0


async def test_a_failed_run_exits_1(tmp_path: Path, session_dir: Path) -> None:
    models = {"cheap": sim("wrong"), "strong": sim("also wrong")}
    app = run_app(task(tmp_path, models), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("q")
    assert run_record(session_dir)["status"] == "failed"
    assert app.return_value == 1


async def test_an_unwritable_session_dir_is_said_at_once(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the session dir should be")
    app = run_app(two_tiers(tmp_path, "auto"), blocker / "sessions")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        messages = [str(n.message) for n in app._notifications]
        assert any("cannot write sessions" in m for m in messages), messages
        assert not run_screen(app).running
        # The header names the task even though no run started: it is set with the screen,
        # never while the app may be quitting (that left the header's update unawaited).
        assert "tui-test" in str(run_screen(app).query_one("HeaderTitle").render())
        await pilot.press("q")
    assert app.return_value == 2


async def test_the_ladder_follows_the_run(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        view = run_screen(app).view
        assert [r.state for r in view.state.rungs] == ["awaiting", "waiting"]
        await pilot.press("e")
        await wait_phase(pilot, "awaiting", decided=1)
        assert [r.state for r in view.state.rungs] == ["escalated", "awaiting"]
        await pilot.press("a")
        await app.workers.wait_for_complete()
        assert [r.state for r in view.state.rungs] == ["escalated", "accepted"]
        await pilot.press("q")


async def test_enter_on_an_attempt_shows_it_in_full(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(two_tiers(tmp_path, "auto"), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        history = run_screen(app).view.query_one("#history")
        history.focus()
        await pilot.press("up", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen), "the details")
        shown = "\n".join(str(s.render()) for s in app.screen.query(Static))
        assert "a wrong answer" in shown and "Must say RIGHT." in shown and "Say it: hello" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, AttemptScreen)
        await pilot.press("q")
    assert [a["model"] for a in attempts(session_dir)] == ["cheap", "strong"]


def test_wrap_breaks_between_words_and_folds_long_ones() -> None:
    assert wrap("hello world this is", 11) == ["hello world", "this is"]
    assert wrap("hello world this is", 10) == ["hello ", "world this", "is"]
    assert wrap("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert wrap("宽字符宽字符", 5) == ["宽字", "符宽", "字符"]


def test_folded_text_appends_and_refolds() -> None:
    folded = FoldedText(10)
    for piece in ["hello wor", "ld, how are", " you\r", "\ndoing\ttoday"]:
        folded.append(piece)
    assert folded.text == "hello world, how are you\ndoing    today"
    assert folded.rows == ["hello ", "world, how", "are you", "doing    "]
    assert folded.tail == "today"
    folded.refold(40)
    assert [folded.row(i) for i in range(folded.row_count)] == [
        "hello world, how are you",
        "doing    today",
    ]


def test_folded_text_cost_does_not_grow_with_length() -> None:
    """Appending keeps only the open row to re-wrap: the tail never outgrows the width."""
    folded = FoldedText(20)
    for _ in range(20_000):
        folded.append("word ")
        assert len(folded.tail) <= 25
    assert folded.row_count > 4_000


async def test_a_long_stream_keeps_its_newest_text_in_view(
    tmp_path: Path, session_dir: Path
) -> None:
    """An answer taller than the view scrolls along as it streams (it used to stick at the top
    once the scrollbar appeared, hiding the newest text)."""
    lines = "".join(f"line {i}\n" for i in range(120))
    loaded = task(tmp_path, {"m": sim(lines, chunk_chars=40, delay_s=0.01)}, check=None)
    app = run_app(loaded, session_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        stream = app.screen.query_one("#stream", StreamView)
        await wait_for(pilot, lambda: "line 60" in stream.text, "half the answer")
        await pilot.pause(0.2)
        assert stream.max_scroll_y > 0
        # following: within a frame's worth of rows of the end, not stuck at the top
        assert stream.scroll_y >= stream.max_scroll_y - 10, (stream.scroll_y, stream.max_scroll_y)
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert stream.is_vertical_scroll_end
        await pilot.press("q")
