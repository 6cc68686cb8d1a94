"""The home screen: which task files are listed, running one, a broken one's errors, replaying a
session; and the catalog that finds them."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Label, Static
from tui_helpers import run_screen, sim, wait_for, write_task

from escalatui import paths
from escalatui.config import UserConfig
from escalatui.session import reader as session_reader
from escalatui.tui.app import make_app
from escalatui.tui.catalog import find_tasks
from escalatui.tui.display import one_line
from escalatui.tui.screens import home as home_module
from escalatui.tui.screens.confirm import ConfirmScreen
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
        await wait_for(pilot, lambda: home.sessions_loaded, "the sessions")
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


def home_of(app: object) -> HomeScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, HomeScreen)
    return screen


async def validated(pilot: Pilot[Any]) -> HomeScreen:
    """The home screen once every listed task file has been checked (and drawn)."""
    home = home_of(pilot.app)
    await wait_for(pilot, lambda: len(home.checked) == len(home.tasks), "validation")
    await pilot.pause()
    return home


def cells(table: DataTable[Any], column: str) -> list[str]:
    return [str(table.get_cell(row, column)) for row in table.rows]


def drawn(table: DataTable[Any]) -> list[str]:
    """The table's lines as they are drawn (cut and wrapped cells as a person sees them)."""
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_a_broken_task_is_marked_in_its_row_before_it_is_opened(
    places: dict[str, Path], session_dir: Path
) -> None:
    write_task(places["here"], {"m": sim("RIGHT")}, name="good", description="fine")
    (places["here"] / "broken.toml").write_text(BROKEN)
    # valid TOML, but a check of a kind that does not exist
    bad_kind = write_task(places["here"], {"m": sim("RIGHT")}, name="odd", filename="odd.toml")
    bad_kind.write_text(bad_kind.read_text().replace('kind = "contains"', 'kind = "nope"'))
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        home = await validated(pilot)
        table = home.query_one("#tasks", DataTable)
        shown = dict(zip(cells(table, "file"), cells(table, "description"), strict=True))
        assert shown["broken.toml"].startswith("invalid: 5:")
        assert "TOML syntax" in shown["broken.toml"]
        assert shown["odd.toml"].startswith("invalid: ") and "nope" in shown["odd.toml"]
        assert shown["task.toml"] == "fine"
        await pilot.press("q")


async def test_home_opens_at_the_top_wraps_descriptions_and_fits_80_columns(
    places: dict[str, Path], session_dir: Path
) -> None:
    long = "Summarise the meeting notes into action items with owners and dates " * 2
    for i in range(12):
        write_task(
            places["here"],
            {"m": sim("RIGHT")},
            name=f"t{i:02}",
            filename=f"t{i:02}.toml",
            description=long,
        )
    session_dir.mkdir()
    for i in range(30):
        write_session_file(session_dir / f"s{i:03}.jsonl", f"task-{i}")
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        home = home_of(app)
        await wait_for(
            pilot, lambda: home.sessions_loaded and len(home.checked) == len(home.tasks), "load"
        )
        await pilot.pause()
        tasks = home.query_one("#tasks", DataTable)
        sessions = home.query_one("#sessions", DataTable)
        assert app.focused is tasks and tasks.cursor_row == 0
        assert home.scroll_y == 0 and tasks.scroll_y == 0
        # the whole description, over several lines of its row
        first = next(iter(tasks.rows.values()))
        assert first.height > 1
        assert str(tasks.get_cell_at((0, 3))) == one_line(long, 120)
        for table in (tasks, sessions):
            assert not table.show_horizontal_scrollbar
            assert table.virtual_size.width <= table.size.width + 1
        await pilot.press("q")


async def test_slash_filters_tasks_and_sessions(places: dict[str, Path], session_dir: Path) -> None:
    write_task(places["here"], {"m": sim("R")}, name="notes-summary", filename="a.toml")
    write_task(places["here"], {"m": sim("R")}, name="translate", filename="b.toml")
    session_dir.mkdir()
    write_session_file(session_dir / "x.jsonl", "notes-summary")
    write_session_file(session_dir / "y.jsonl", "translate")
    app = make_app(
        user=UserConfig(), session_dir=session_dir, task_sources=[("here", places["here"])]
    )
    async with app.run_test(size=(100, 30)) as pilot:
        home = home_of(app)
        await wait_for(pilot, lambda: home.sessions_loaded, "the sessions")
        await pilot.press("slash")
        await pilot.press(*"NOTES")  # case does not matter; q-like keys are text here
        tasks = home.query_one("#tasks", DataTable)
        sessions = home.query_one("#sessions", DataTable)
        assert cells(tasks, "task") == ["notes-summary"]
        assert cells(sessions, "task") == ["notes-summary"]
        await pilot.press("q")  # typed into the filter, not quitting
        assert cells(tasks, "task") == [] and app.is_running
        assert "No tasks match" in str(home.query_one("#tasks-empty", Label).render())
        await pilot.press("escape")
        assert cells(tasks, "task") == ["notes-summary", "translate"]
        assert len(cells(sessions, "task")) == 2
        await pilot.press("q")


async def test_a_session_is_deleted_after_a_confirmation_that_fits_60x15(
    places: dict[str, Path], session_dir: Path
) -> None:
    session_dir.mkdir()
    keep, gone = session_dir / "keep.jsonl", session_dir / "gone.jsonl"
    write_session_file(keep, "keep-me")
    write_session_file(gone, "delete-me")
    os.utime(keep, (1, 1))  # older: listed second
    app = make_app(user=UserConfig(), session_dir=session_dir, task_sources=[])
    async with app.run_test(size=(60, 15)) as pilot:
        home = home_of(app)
        await wait_for(pilot, lambda: home.sessions_loaded, "the sessions")
        sessions = home.query_one("#sessions", DataTable)
        sessions.focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        for button in app.screen.query(Button):  # both buttons whole on a 60x15 screen
            region = button.region
            assert region.width >= len(str(button.label)) + 2
            assert app.screen.region.contains_region(region)
        await pilot.press("enter")  # Cancel has the focus: Enter is the safe choice
        assert gone.exists() and isinstance(app.screen, HomeScreen)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: not gone.exists(), "the file to go")
        assert keep.exists() and cells(sessions, "task") == ["keep-me"]
        assert [s.task for s in home.sessions] == ["keep-me"]
        await pilot.press("q")


async def test_sessions_are_read_after_the_first_paint(
    places: dict[str, Path], session_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_dir.mkdir()
    for i in range(120):
        write_session_file(session_dir / f"s{i:03}.jsonl", f"task-{i}")
    release = threading.Event()
    real = session_reader.summarize

    def slow(path: Path) -> Any:
        release.wait(10)  # a slow disk: nothing is read until released
        return real(path)

    monkeypatch.setattr(session_reader, "summarize", slow)
    write_task(places["here"], {"m": sim("R")}, name="ready")
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        home = home_of(app)
        await pilot.pause()
        # drawn and usable while no session has been read
        assert cells(home.query_one("#tasks", DataTable), "task")[0] == "ready"
        assert "Reading sessions" in str(home.query_one("#sessions-empty", Label).render())
        release.set()
        await wait_for(pilot, lambda: home.sessions_loaded, "the sessions")
        assert len(cells(home.query_one("#sessions", DataTable), "task")) == 120
        await pilot.press("q")


def write_session_file(path: Path, task_name: str) -> None:
    """A small session log: its head record and a finished run."""
    head = {"type": "session", "run_id": "r" + path.stem, "task_name": task_name}
    head["started_at"] = "2025-01-01T12:00:00.000Z"
    run = {"type": "run", "status": "accepted", "cost_usd": 0.0}
    path.write_text(json.dumps(head) + "\n" + json.dumps(run) + "\n", encoding="utf-8")


async def test_long_file_and_task_names_are_cut_not_broken_mid_word_at_80_columns(
    places: dict[str, Path], session_dir: Path
) -> None:
    write_task(
        places["here"],
        {"m": sim("RIGHT")},
        name="summarise-quarterly-meeting-notes",
        filename="summarise-quarterly-meeting-notes.toml",
        description="Action items.",
    )
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        home = await validated(pilot)
        tasks = home.query_one("#tasks", DataTable)
        shown = drawn(tasks)
        row = next(line for line in shown if "summar" in line)
        # the file keeps its start and its extension on one line, the name ends in "…"
        assert " summarise-quarter…  summaris…es.toml  here " in row, shown
        assert not any(line.strip().startswith(("rly", "notes", "meeting")) for line in shown)
        await pilot.press("q")


async def test_opening_reads_the_task_folders_once(
    places: dict[str, Path], session_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first frame waits for the task folders: they are read once, not again on showing."""
    write_task(places["here"], {"m": sim("RIGHT")}, name="one")
    calls = []
    real = home_module.find_tasks

    def counted(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(home_module, "find_tasks", counted)
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        home = home_of(app)
        await wait_for(pilot, lambda: home.sessions_loaded, "the sessions")
        assert len(calls) == 1
        await pilot.press("ctrl+r")  # asked for: read again
        await pilot.pause()
        assert len(calls) == 2
        await pilot.press("q")


async def test_under_80_columns_the_description_keeps_room_for_why_a_file_is_invalid(
    places: dict[str, Path], session_dir: Path
) -> None:
    (places["here"] / "broken.toml").write_text(BROKEN)
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(60, 15)) as pilot:
        home = await validated(pilot)
        tasks = home.query_one("#tasks", DataTable)
        shown = "\n".join(drawn(tasks))
        assert "invalid: 5:" in shown and "TOML syntax" in shown, shown
        await pilot.press("q")
