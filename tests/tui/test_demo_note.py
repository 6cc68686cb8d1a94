"""The TUI demo says how to get a real second tier, as the headless demo does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from escalatui import cli
from escalatui.config import UserConfig
from escalatui.demo import demo_note, demo_task
from escalatui.tui import app as app_module
from escalatui.tui.app import make_app


class FakeApp:
    def run(self) -> int:
        return 0

    def exit_summaries(self) -> list[str]:
        return []

    def end_if_signalled(self, code: object) -> None:

        pass


def test_the_tui_demo_gets_the_note(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []

    def fake_make_app(**kw: Any) -> FakeApp:
        made.append(kw)
        return FakeApp()

    monkeypatch.setattr(app_module, "make_app", fake_make_app)
    assert cli.main(["demo"]) == 0
    (kw,) = made
    assert "set the key" in kw["notice"] and "OPENROUTER_API_KEY" in kw["notice"]


async def test_the_note_is_shown_on_screen(tmp_path: Path) -> None:
    note = demo_note(demo_task())
    app = make_app(user=UserConfig(), session_dir=tmp_path, task_sources=[], notice=note)
    async with app.run_test() as pilot:
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        await pilot.press("q")
    assert any("OPENROUTER_API_KEY" in m and "SIMULATED" in m for m in shown)


@pytest.mark.parametrize(("size", "timeout"), [((120, 36), 20), ((80, 24), 8), ((60, 15), 8)])
async def test_the_note_stays_up_less_where_it_covers_the_decision_bar(
    tmp_path: Path, size: tuple[int, int], timeout: float
) -> None:
    note = demo_note(demo_task())
    app = make_app(user=UserConfig(), session_dir=tmp_path, task_sources=[], notice=note)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        shown = {str(n.message): n.timeout for n in app._notifications}
        await pilot.press("q")
    assert shown == {note: timeout}
