"""The run screen's answer, checks, steps and copy: Markdown rendered but inert, `m` for raw,
each check on screen, every step in the chain panel, `c` to copy, and every size usable."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from test_safety import HOSTILE, RAW_CONTROL, shown_text
from textual.widgets import Button
from textual.widgets._markdown import MarkdownBlock
from tui_helpers import run_app, run_screen, sim, task, two_tiers, wait_for, wait_phase

from escalatui.config import UserConfig, load_task
from escalatui.tui.screens.attempt import AttemptScreen
from escalatui.tui.screens.feedback import FeedbackScreen
from escalatui.tui.widgets.answer_view import (
    LIVE_CHARS,
    STEADY_CHARS,
    as_markdown,
    frame_delay,
)
from escalatui.tui.widgets.history import History
from escalatui.tui.widgets.run_view import RunView
from escalatui.tui.widgets.steps import Steps
from escalatui.tui.widgets.stream_view import FRAME_S, StreamView

pytestmark = pytest.mark.timeout(60)

LINKS = "[first](app.quit) [js](javascript:alert(1)) [web](https://example.invalid) RIGHT\n"


def view(app: Any) -> RunView:
    return run_screen(app).view


def markdown_text(app: Any) -> str:
    """What the rendered blocks hold, as text."""
    blocks = view(app).answer.markdown.query(MarkdownBlock)
    return "\n".join(str(b._content) for b in blocks)


async def test_markdown_is_rendered_and_m_shows_the_raw_text(
    tmp_path: Path, session_dir: Path
) -> None:
    answer = "# Title\n\nSome **bold** text.\n\n```python\nx = 1\n```\nRIGHT\n"
    app = run_app(task(tmp_path, {"m": sim(answer)}, approval="manual"), session_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.pause(0.2)
        answer_view = view(app).answer
        assert answer_view.has_class("-rendered")
        screen = shown_text(app.export_screenshot())
        assert "Title" in screen and "# Title" not in screen and "**bold**" not in screen
        assert "```python" not in screen and "RIGHT" in screen
        await pilot.press("m")
        await pilot.pause(0.1)
        assert not answer_view.has_class("-rendered")
        raw = shown_text(app.export_screenshot())
        assert "# Title" in raw and "**bold**" in raw and "```python" in raw
        keys = {b.binding.id: key for key, b in app.screen.active_bindings.items()}
        assert keys["markdown"] == "m" and keys["copy"] == "c"
        await pilot.press("m")
        await pilot.pause(0.1)
        assert answer_view.has_class("-rendered")
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")


async def test_the_markdown_key_is_remappable(tmp_path: Path, session_dir: Path) -> None:
    user = UserConfig(keymap={"markdown": "w"})
    app = run_app(task(tmp_path, {"m": sim("RIGHT")}, approval="manual"), session_dir, user=user)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("w")
        await pilot.pause(0.1)
        assert not view(app).answer.has_class("-rendered")
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.press("q")


def test_a_json_answer_is_rendered_as_highlighted_json() -> None:
    assert as_markdown('{"answer": 391}').startswith("```json\n")
    assert as_markdown("{not json") == "{not json"
    assert as_markdown("plain") == "plain"


async def test_hostile_text_stays_inert_when_rendered(tmp_path: Path, session_dir: Path) -> None:
    answer = HOSTILE + "\n\n" + LINKS
    app = run_app(task(tmp_path, {"m": sim(answer)}, approval="manual"), session_dir)
    opened: list[str] = []
    async with app.run_test(size=(160, 50)) as pilot:
        app.open_url = lambda url, **kw: opened.append(url)  # type: ignore[method-assign]
        await wait_phase(pilot, "awaiting")
        await pilot.pause(0.3)
        assert view(app).answer.has_class("-rendered")
        screen = shown_text(app.export_screenshot())
        assert "[@click=app.quit]click me[/]" in screen
        assert "\\x1b]52;c;SGVsbG8=\\x07" in screen and "\\x1b[2J" in screen
        assert "\\x9b" in screen and "\\x85" in screen
        assert not RAW_CONTROL.search(screen)
        assert not RAW_CONTROL.search(markdown_text(app))
        # Click every rendered block at every column of its first rows: links are drawn,
        # never followed, and no markup in the text becomes an action.
        for block in view(app).answer.markdown.query(MarkdownBlock):
            for x in range(0, min(block.size.width, 80), 2):
                for y in range(min(block.size.height, 3)):
                    await pilot.click(block, offset=(x, y))
        await pilot.pause(0.1)
        assert app.is_running and opened == []
        assert isinstance(app.screen, type(run_screen(app)))
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.press("q")


async def test_c_copies_the_answer_and_the_attempt_screen_copies_answer_and_prompt(
    tmp_path: Path, session_dir: Path
) -> None:
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("c")
        assert app.clipboard == "a wrong answer"
        assert any("Copied" in n.message for n in app._notifications)
        await pilot.press("e")
        await wait_phase(pilot, "awaiting", decided=1)
        await pilot.press("c")
        assert app.clipboard == "the RIGHT answer"
        view(app).query_one(History).move_cursor(row=0)
        view(app).query_one(History).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen), "the attempt")
        await pilot.press("c")
        assert app.clipboard == "a wrong answer"
        await pilot.press("p")
        assert app.clipboard.startswith("Say it: hello")
        await pilot.press("escape")
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")


async def test_each_check_shows_on_the_run_screen(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.pause(0.1)
        screen = shown_text(app.export_screenshot())
        assert "✗ fail" in screen and "contains: Must say RIGHT." in screen
        await pilot.press("e")
        await wait_phase(pilot, "awaiting", decided=1)
        await pilot.pause(0.1)
        assert "✓ pass" in shown_text(app.export_screenshot())
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")


async def test_a_step_without_checks_says_no_checks(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(task(tmp_path, {"m": sim("anything")}, check=None), session_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        screen = shown_text(app.export_screenshot())
        assert "no checks" in screen
        history = view(app).query_one(History)
        assert "no checks" in str(history.get_row_at(0)[4])
        await pilot.press("q")


def two_steps(directory: Path) -> Path:
    data = {
        "name": "two-steps",
        "input": "hello",
        "chain": ["cheap", "strong"],
        "models": {
            "cheap": sim("draft one RIGHT", "draft two wrong"),
            "strong": sim("strong two RIGHT"),
        },
        "steps": [
            {"name": "draft", "prompt": "Draft: {input}", "checks": [_right()]},
            {"name": "polish", "prompt": "Polish: {previous}", "checks": [_right()]},
        ],
    }
    path = directory / "task.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _right() -> dict[str, str]:
    return {"kind": "contains", "text": "RIGHT", "feedback": "Must say RIGHT."}


async def test_the_chain_panel_lists_every_step_and_enter_opens_its_output(
    tmp_path: Path, session_dir: Path
) -> None:
    app = run_app(load_task(two_steps(tmp_path)), session_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        steps = view(app).query_one(Steps)
        rows = [str(steps.get_option_at_index(i).prompt) for i in range(steps.option_count)]
        assert rows == ["✓ 1 draft · cheap", "✓ 2 polish · strong"]
        steps.focus()
        steps.highlighted = 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen), "step 1")
        assert app.screen.attempt.output == "draft one RIGHT"  # type: ignore[attr-defined]
        await pilot.press("escape")
        steps.highlighted = 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen), "step 2")
        assert app.screen.attempt.output == "strong two RIGHT"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.press("q")


def inside(widget: Any, app: Any) -> bool:
    region = widget.region
    return region.height > 0 and app.screen.region.contains_region(region)


async def test_80x24_keeps_every_essential(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(two_tiers(tmp_path, "manual", cheap=sim("line\n" * 40)), session_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("r")
        await wait_phase(pilot, "awaiting", decided=1)
        await pilot.pause(0.2)
        v = view(app)
        assert v.answer.markdown.parent.region.height >= 8  # type: ignore[union-attr]
        assert inside(v.query_one("#decision"), app) and inside(v.query_one(History), app)
        screen = shown_text(app.export_screenshot())
        assert "verdict" in screen and "by" in screen and "retry" in screen
        assert "human" in screen
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.press("q")


async def test_60x15_folds_panels_never_the_answer_or_the_buttons(
    tmp_path: Path, session_dir: Path
) -> None:
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test(size=(60, 15)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.pause(0.2)
        v = view(app)
        assert inside(v.query_one("#ladder-line"), app)
        assert not v.query_one("#run-side").display and not v.query_one(History).display
        assert v.answer.markdown.parent.region.height >= 3  # type: ignore[union-attr]
        assert inside(v.query_one("#decision"), app)
        assert "Your decision" in shown_text(app.export_screenshot())
        await pilot.press("h")
        await pilot.pause(0.1)
        assert inside(v.query_one(History), app)
        await pilot.press("h")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen), "the editor")
        await pilot.pause(0.1)
        for button in app.screen.query(Button):
            assert inside(button, app), button.id
        await pilot.press("escape")
        await pilot.resize_terminal(120, 36)
        await pilot.pause(0.1)
        assert v.query_one("#run-side").display and not v.query_one("#ladder-line").display
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.press("q")


async def test_raw_view_keeps_its_width_while_hidden(tmp_path: Path, session_dir: Path) -> None:
    """The raw view is hidden while the rendered one shows; it must not fold a row a char."""
    app = run_app(task(tmp_path, {"m": sim("word " * 50 + "RIGHT")}), session_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        stream = view(app).query_one(StreamView)
        assert len(stream.rows) < 10
        await pilot.press("q")


def test_a_long_rendered_answer_is_redrawn_less_often() -> None:
    """Each redraw of the rendered view re-parses up to the whole answer (one long paragraph or
    code block is one Markdown block): redrawing it every frame made streaming cost grow with
    the answer (quadratic overall). Redrawn in proportion to its length, the characters
    re-parsed per second stay those of a short answer at full frame rate."""
    assert frame_delay(0) == frame_delay(STEADY_CHARS) == FRAME_S
    assert frame_delay(10 * STEADY_CHARS) == pytest.approx(10 * FRAME_S)
    budget = STEADY_CHARS / FRAME_S
    for chars in range(0, LIVE_CHARS + 1, 500):
        assert chars / frame_delay(chars) <= budget + 1e-6


async def test_quitting_mid_stream_leaves_no_markdown_stream_running(
    tmp_path: Path, session_dir: Path
) -> None:
    """A rendered answer's stream task stops with its view (else "Task was destroyed but it is
    pending" is printed on the terminal after quitting)."""
    slow = sim("word " * 400, chunk_chars=5, delay_s=0.01)
    app = run_app(task(tmp_path, {"m": slow}), session_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        answer_view = view(app).answer
        await wait_for(pilot, lambda: answer_view._markdown_stream is not None, "a live stream")
        stream = answer_view._markdown_stream
        await pilot.press("q")
    assert stream is not None and answer_view._markdown_stream is None
    assert all(t.done() for t in asyncio.all_tasks() if "MarkdownStream" in repr(t.get_coro()))
