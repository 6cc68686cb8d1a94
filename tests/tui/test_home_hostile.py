"""The home screen with hostile files around: a FIFO, a link to /dev/zero and a directory named
like a session or a task file are left out; the home opens, lists the rest, and quits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tui_helpers import sim, write_task

from escalatui import paths
from escalatui.config import UserConfig
from escalatui.tui.app import make_app
from escalatui.tui.screens.home import HomeScreen

pytestmark = pytest.mark.timeout(60)


def plant(directory: Path, suffix: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    os.mkfifo(directory / f"fifo{suffix}")
    (directory / f"zero{suffix}").symlink_to("/dev/zero")
    (directory / f"dir{suffix}").mkdir()


async def test_home_skips_special_files(
    tmp_path: Path, session_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    plant(here, ".toml")
    plant(session_dir, ".jsonl")
    (session_dir / "deep.jsonl").write_text("[" * 200_000 + "\n")
    (session_dir / "typed.jsonl").write_text('{"type": "session", "task_name": ["a"]}\n')
    write_task(here, {"m": sim("RIGHT")}, name="kept")
    monkeypatch.chdir(here)
    monkeypatch.setattr(paths, "tasks_dir", lambda: tmp_path / "no-tasks")
    app = make_app(user=UserConfig(), session_dir=session_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert [t.name for t in home.tasks if t.source == "here"] == ["kept"]
        await app.workers.wait_for_complete()  # sessions are read after the first paint
        await pilot.pause()
        assert sorted(s.path.name for s in home.sessions) == ["deep.jsonl", "typed.jsonl"]
        assert {s.task for s in home.sessions} == {"?"}
        await pilot.press("q")
    assert app.return_value == 0
