"""The app opens on its first screen (home, run or replay) as the bottom of the stack, with no
empty screen drawn before it, and counts as started only once that screen is composed."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.screen import Screen
from textual.widgets import Footer
from tui_helpers import run_app, sim, task

from escalatui.config import UserConfig
from escalatui.session import read_session
from escalatui.tui.app import EscalatuiApp, make_app
from escalatui.tui.screens.home import HomeScreen
from escalatui.tui.screens.replay import ReplayScreen
from escalatui.tui.screens.run import RunScreen

pytestmark = pytest.mark.timeout(60)


async def home(tmp_path: Path) -> EscalatuiApp:
    return make_app(user=UserConfig(), session_dir=tmp_path / "sessions", task_sources=[])


def slow_run(tmp_path: Path, delay_s: float) -> EscalatuiApp:
    """A run whose answer starts `delay_s` after it does: until then nothing is being added to
    the screen (an answer streaming in mounts new widgets as it goes)."""
    return run_app(task(tmp_path, {"m": sim("RIGHT", delay_s=delay_s)}), tmp_path / "sessions")


async def run(tmp_path: Path) -> EscalatuiApp:
    return slow_run(tmp_path, 60)


async def replay(tmp_path: Path) -> EscalatuiApp:
    sessions = tmp_path / "sessions"
    app = slow_run(tmp_path, 1.5)  # a finished run leaves a log to replay, its answer late
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("q")
    (log,) = sessions.glob("*.jsonl")
    return make_app(user=UserConfig(), session_dir=sessions, replay=read_session(log))


@pytest.mark.parametrize(
    ("opening", "kind"),
    [(home, HomeScreen), (run, RunScreen), (replay, ReplayScreen)],
    ids=["home", "run", "replay"],
)
async def test_the_first_screen_is_the_only_one_and_whole_once_started(
    tmp_path: Path, opening: object, kind: type[Screen[object]]
) -> None:
    app = await opening(tmp_path)  # type: ignore[operator]
    async with app.run_test(size=(80, 24)) as pilot:
        # no empty default screen under it (that one was drawn first, then replaced)
        assert [type(s) for s in app.screen_stack] == [kind]
        # started means composed: every widget of the screen is mounted already (but the
        # footer's keys: the footer makes them again whenever the keys in force change)
        footer = app.screen.query_one(Footer)
        widgets = [w for w in app.screen.query("*") if footer not in w.ancestors_with_self]
        assert app.screen.is_mounted and footer.is_mounted
        assert [w for w in widgets if not w.is_mounted] == []
        await pilot.press("q")
