"""The home screen: which task files are listed, running one, a broken one's errors, replaying a
session; and the catalog that finds them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from tui_helpers import run_screen, sim, wait_for, write_task

from escalatui import paths
from escalatui.config import UserConfig
from escalatui.tui.app import make_app
from escalatui.tui.catalog import find_tasks
from escalatui.tui.screens.home import HomeScreen
from escalatui.tui.screens.problems import ProblemsScreen
from escalatui.tui.screens.replay import ReplayScreen
from escalatui.tui.screens.run import RunScreen

pytestmark = pytest.mark.timeout(60)
BROKEN = '# a task with a typo\nname = "broken"\n[[steps]]\nname = "a"\nprompt = "x\n'


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A current directory and a user tasks dir of our own."""
    here, tasks = tmp_path / "here", tmp_path / "tasks"
    here.mkdir()
    tasks.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setattr(paths, "tasks_dir", lambda: tasks)
    return {"here": here, "tasks": tasks}


def test_catalog_lists_tasks_not_other_toml(places: dict[str, Path]) -> None:
    write_task(places["here"], {"m": sim("RIGHT")}, name="mine", description="d")
    (places["here"] / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (places["here"] / "broken.toml").write_text(BROKEN)
    write_task(places["tasks"], {"m": sim("RIGHT")}, name="kept", filename="kept.toml")
    entries = find_tasks()
    found = [(e.source, e.path.name, e.name) for e in entries]
    assert found[:3] == [
        ("here", "broken.toml", "broken"),
        ("here", "task.toml", "mine"),
        ("tasks", "kept.toml", "kept"),
    ]
    assert ("example", "demo.toml", "demo-arithmetic") in found
    assert not entries[0].readable and entries[1].description == "d"


async def test_enter_runs_a_task_and_escape_comes_back(
    places: dict[str, Path], session_dir: Path
) -> None:
    write_task(places["here"], {"m": sim("the RIGHT answer")}, name="home-run")
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        home = app.screen
        assert home.tasks[0].name == "home-run"
        assert home.query_one("#sessions-empty", Static).display
        home.query_one("#tasks", DataTable).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the run screen")
        await app.workers.wait_for_complete()
        assert run_screen(app).view.state.finished.status == "accepted"  # type: ignore[union-attr]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home again")
        assert [s.task for s in home.sessions] == ["home-run"]
        assert [s.status for s in home.sessions] == ["accepted"]
        home.query_one("#sessions", DataTable).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), "the replay")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home again")
        await pilot.press("q")
    assert app.return_value == 0


async def test_a_broken_task_shows_its_errors(places: dict[str, Path], session_dir: Path) -> None:
    (places["here"] / "broken.toml").write_text(BROKEN)
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.query_one("#tasks", DataTable).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen), "the problems")
        text = str(app.screen.query_one("#problems-text", Static).render())
        assert "broken.toml:5:" in text and "TOML syntax" in text
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")
    assert app.return_value == 0
    assert not list(session_dir.glob("*.jsonl"))
