"""The live batch screen: a cascade where the cheap tier is right only on some inputs runs to
the end on screen; pause, cancel, quit, opening an item, and the queue of items that wait for a
person."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets.data_table import ColumnKey
from tui_helpers import wait_for

sys.path.insert(0, str(Path(__file__).parents[1] / "batch"))  # the sim cascade's functions

from batch_helpers import cascade_task, loaded, user  # noqa: E402

from escalatui.batch.inputs import Item  # noqa: E402
from escalatui.batch.results import ResultsWriter, read_results  # noqa: E402
from escalatui.batch.scheduler import Batch, BatchOptions  # noqa: E402
from escalatui.config.models import Task  # noqa: E402
from escalatui.run_session import RunRequest  # noqa: E402
from escalatui.tui.app import EscalatuiApp, make_app  # noqa: E402
from escalatui.tui.screens.batch import BatchScreen  # noqa: E402
from escalatui.tui.screens.batch_item import BatchItemScreen  # noqa: E402
from escalatui.tui.screens.confirm import ConfirmScreen  # noqa: E402
from escalatui.tui.screens.replay import ReplayScreen  # noqa: E402
from escalatui.tui.widgets.batch_figures import BatchFigures  # noqa: E402

pytestmark = pytest.mark.timeout(90)
SIZE = (120, 36)


def items(n: int) -> list[Item]:
    return [Item(f"i{k}", str(k), k) for k in range(1, n + 1)]


def slow_task(delay_s: float = 0.05) -> Task:
    """The cascade, each chunk of the cheap tier's answer taking `delay_s`."""
    task = cascade_task()
    slow = task.models["tiny"].model_copy(update={"delay_s": delay_s})
    return task.model_copy(update={"models": {**task.models, "tiny": slow}})


def make_batch(
    tmp_path: Path,
    n: int,
    *,
    task: Task | None = None,
    concurrency: int = 3,
    approval: Any = None,
) -> Batch:
    request = RunRequest(
        loaded(task or cascade_task(), tmp_path),
        user(),
        tmp_path / "sessions",
        approval=approval,
    )
    results = ResultsWriter(tmp_path / "results.jsonl")
    return Batch(request, items(n), BatchOptions(concurrency=concurrency), results=results)


def batch_app(batch: Batch, tmp_path: Path, **kw: Any) -> EscalatuiApp:
    return make_app(
        user=kw.pop("user", user()), session_dir=tmp_path / "sessions", batch=batch, **kw
    )


def batch_screen(app: EscalatuiApp) -> BatchScreen:
    return next(s for s in app.screen_stack if isinstance(s, BatchScreen))


def cell(screen: BatchScreen, item_id: str, column: str) -> str:
    return str(screen.table.get_cell(item_id, column))


def statuses(screen: BatchScreen) -> dict[str, str]:
    return {row: cell(screen, row, "status") for row in screen.table.rows_by_id}


async def wait_finished(pilot: Pilot[Any]) -> BatchScreen:
    screen = batch_screen(pilot.app)  # type: ignore[arg-type]
    await wait_for(pilot, lambda: screen.finished is not None, "the batch to end")
    await wait_for(pilot, lambda: not screen.running, "the batch worker to end")
    await pilot.pause(0.2)  # one flush of the table and the figures
    return screen


def result_lines(tmp_path: Path) -> list[dict[str, Any]]:
    text = (tmp_path / "results.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


async def test_a_batch_runs_to_the_end_with_status_model_figures_and_savings(
    tmp_path: Path,
) -> None:
    batch = make_batch(tmp_path, 9)
    app = batch_app(batch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_finished(pilot)
        for k in range(1, 10):
            assert cell(screen, f"i{k}", "status") == "accepted"
            assert cell(screen, f"i{k}", "model") == ("big" if k % 3 == 0 else "tiny")
            assert cell(screen, f"i{k}", "att") == ("2" if k % 3 == 0 else "1")
        text = screen.query_one(BatchFigures).text
        assert "9/9 done" in text and "finished" in text
        lines = text.splitlines()
        tiny = next(line for line in lines if line.startswith("1    tiny"))
        big = next(line for line in lines if line.startswith("2    big"))
        assert tiny.split()[2:5] == ["9", "6", "67%"]
        assert big.split()[2:5] == ["3", "3", "100%"]
        assert "cost $0.039 · top tier only ≈ $0.09 · saved 57% (observed, 3 samples)" in text
        assert "escalation rate 33%" in text and "break-even at" in text
        await pilot.press("q")
    assert app.return_value == 0
    assert [r["status"] for r in result_lines(tmp_path)] == ["accepted"] * 9


async def test_a_cascade_that_costs_more_says_so_plainly(tmp_path: Path) -> None:
    # every cheap answer is wrong: each item pays for tiny and big
    task = cascade_task()
    wrong = task.models["tiny"].model_copy(update={"respond": None, "responses": ["0"]})
    task = task.model_copy(update={"models": {**task.models, "tiny": wrong}})
    app = batch_app(make_batch(tmp_path, 4, task=task), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_finished(pilot)
        text = screen.query_one(BatchFigures).text
        assert "MORE than the top tier alone" in text
        assert "escalation rate 100%" in text and "break-even at" in text
        await pilot.press("q")


async def test_pause_stops_new_items_from_starting_and_resume_goes_on(tmp_path: Path) -> None:
    batch = make_batch(tmp_path, 4, task=slow_task(1.0), concurrency=1)
    app = batch_app(batch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = batch_screen(app)
        await wait_for(pilot, lambda: "i1" in batch.sessions, "the first item to start")
        await pilot.press("p")
        assert batch.paused
        await wait_for(pilot, lambda: screen.progress.done == 1, "the first item to end")
        await pilot.pause(0.5)
        assert batch.sessions == {}
        await pilot.pause(0.2)
        assert list(statuses(screen).values()) == ["accepted", "queued", "queued", "queued"]
        assert "PAUSED" in screen.query_one(BatchFigures).text
        await pilot.press("p")
        await wait_finished(pilot)
        assert set(statuses(screen).values()) == {"accepted"}
        await pilot.press("q")
    assert app.return_value == 0


async def test_cancel_asks_then_records_the_running_items(tmp_path: Path) -> None:
    batch = make_batch(tmp_path, 6, task=slow_task(5.0), concurrency=2)
    app = batch_app(batch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = batch_screen(app)
        await wait_for(pilot, lambda: len(batch.sessions) == 2, "two running items")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("n")  # keep running
        await pilot.pause(0.1)
        assert screen.running
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await wait_finished(pilot)
        assert screen.finished is not None and screen.finished.status == "cancelled"
        assert list(statuses(screen).values()).count("cancelled") == 2
        assert "cancelled" in screen.query_one(BatchFigures).text
        await pilot.press("q")
    assert app.return_value == 130
    assert_cancelled_records(tmp_path, 2)


def assert_cancelled_records(tmp_path: Path, n: int) -> None:
    """`n` items recorded as cancelled in a valid results file, their sessions closed so."""
    previous = read_results(tmp_path / "results.jsonl")
    assert previous.problems == []
    assert sorted(previous.status.values()) == ["cancelled"] * n
    for record in result_lines(tmp_path):
        last = Path(record["session"]).read_text(encoding="utf-8").splitlines()[-1]
        assert json.loads(last)["type"] == "run"
        assert json.loads(last)["status"] == "cancelled"


async def test_quit_cancels_running_items_cleanly_and_exits_130(tmp_path: Path) -> None:
    batch = make_batch(tmp_path, 6, task=slow_task(5.0), concurrency=3)
    app = batch_app(batch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(batch.sessions) == 3, "three running items")
        await pilot.press("q")
    assert app.return_value == 130
    assert batch.finished is not None and batch.finished.status == "cancelled"
    assert batch.finished.counts == {"cancelled": 3, "not started": 3}
    assert_cancelled_records(tmp_path, 3)


async def test_enter_opens_a_running_item_live_and_a_finished_one_as_a_replay(
    tmp_path: Path,
) -> None:
    batch = make_batch(tmp_path, 2, task=slow_task(1.0), concurrency=1)
    app = batch_app(batch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = batch_screen(app)
        await wait_for(pilot, lambda: "i1" in batch.sessions, "the first item to start")
        await pilot.press("enter")  # the cursor is on the first row
        await wait_for(pilot, lambda: isinstance(app.screen, BatchItemScreen), "the item")
        item = app.screen
        assert isinstance(item, BatchItemScreen) and item.item_id == "i1"
        await wait_for(pilot, lambda: item.view.state.finished is not None, "the item's end")
        state = item.view.state
        assert state.started is not None and state.started.input == "1"
        assert state.finished is not None and state.finished.status == "accepted"
        assert "i1" not in screen.events  # an ended item keeps no events
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "the batch screen")
        assert screen.watchers == {}
        await wait_finished(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), "the replay")
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        assert replay.result.path == Path(result_lines(tmp_path)[0]["session"])
        await pilot.press("escape")
        await pilot.press("q")


async def test_items_waiting_for_a_person_are_decided_one_after_another(
    tmp_path: Path,
) -> None:
    batch = make_batch(tmp_path, 2, concurrency=2, approval="manual")
    app = batch_app(batch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = batch_screen(app)
        await wait_for(pilot, lambda: len(screen.queue.waiting()) == 2, "two waiting items")
        await pilot.pause(0.2)
        assert "2 items wait for you" in str(screen.query_one("#batch-waiting").content)
        assert set(statuses(screen).values()) == {"waiting"}
        first = screen.queue.waiting()[0]
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchItemScreen), "the first")
        assert app.screen.item_id == first  # type: ignore[attr-defined]
        await pilot.press("a")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, BatchItemScreen) and app.screen.item_id != first,
            "the second item",
        )
        second = app.screen.item_id  # type: ignore[attr-defined]
        view = app.screen.view  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: view.state.awaiting is not None, "its question shown")
        await pilot.press("a")
        await wait_for(pilot, lambda: app.screen is screen, "back to the batch")
        await wait_finished(pilot)
        await pilot.press("q")
    assert app.return_value == 0
    assert {first, second} == {"i1", "i2"}
    for record in result_lines(tmp_path):
        assert record["status"] == "accepted"
        lines = Path(record["session"]).read_text(encoding="utf-8").splitlines()
        decided = [json.loads(line) for line in lines if json.loads(line)["type"] == "attempt"]
        assert [a["decided_by"] for a in decided] == ["human"]


async def test_item_ids_and_inputs_show_as_text(tmp_path: Path) -> None:
    """Ids and inputs come from the inputs file: markup and escape bytes stay inert text."""
    hostile = "[bold]n[/bold]\x1b[2J"
    batch = make_batch(tmp_path, 1, concurrency=1, approval="manual")
    batch.items = [Item(hostile, f"2 [@click=app.quit]x[/] {hostile}", 1)]
    app = batch_app(batch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = batch_screen(app)
        await wait_for(pilot, lambda: screen.queue.waiting() == [hostile], "the item to ask")
        await pilot.pause(0.3)
        bar = str(screen.query_one("#batch-waiting").render())
        assert "[bold]n[/bold]\\x1b[2J" in bar
        assert cell(screen, hostile, "id") == "[bold]n[/bold]\\x1b[2J"
        assert cell(screen, hostile, "input").startswith("2 [@click=app.quit]x[/]")
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchItemScreen), "the item")
        await pilot.press("a")
        await wait_finished(pilot)
        assert cell(screen, hostile, "status") == "accepted"
        await pilot.press("q")
    assert app.return_value == 0


async def test_batch_keys_have_ids_and_move_with_the_keymap(tmp_path: Path) -> None:
    bindings = {b.id: b for b in BatchScreen.BINDINGS}  # type: ignore[union-attr]
    assert {"batch-pause", "batch-next", "batch-cancel"} <= set(bindings)
    assert all(b.description for b in bindings.values())  # type: ignore[union-attr]
    batch = make_batch(tmp_path, 3, task=slow_task(5.0), concurrency=1)
    app = batch_app(
        batch, tmp_path, user=user().model_copy(update={"keymap": {"batch-pause": "z"}})
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "i1" in batch.sessions, "the first item to start")
        await pilot.press("p")  # no longer bound
        await pilot.pause(0.1)
        assert not batch.paused
        await pilot.press("z")
        assert batch.paused
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Pause / resume", "Cancel batch", "Next waiting"} <= titles
        await pilot.press("q")


async def test_ten_thousand_rows_are_built_once(tmp_path: Path) -> None:
    """Bounded by the test's timeout, not timed: the speed is in tests/bench."""
    batch = make_batch(tmp_path, 10_000)
    batch.pause()  # nothing runs: only the table
    app = batch_app(batch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = batch_screen(app)
        await wait_for(pilot, lambda: screen.table.row_count == 10_000, "10,000 rows")
        assert cell(screen, "i10000", "status") == "queued"
        assert cell(screen, "i10000", "input") == "10000"
        screen.table.move_cursor(row=9_999)
        await pilot.pause(0.1)
        await pilot.press("q")
    assert batch.finished is not None and batch.finished.counts == {"not started": 10_000}


async def test_every_column_fits_80_columns(tmp_path: Path) -> None:
    app = batch_app(make_batch(tmp_path, 9), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_finished(pilot)
        table = batch_screen(app).table
        assert table.virtual_size.width <= table.size.width, (table.virtual_size, table.size)
        header = table.render_line(0).text
        for column in ("id", "input", "status", "step", "model", "att", "cost", "time"):
            assert f" {column} " in f"{header} ", header
        await pilot.press("q")


async def test_the_columns_follow_a_resize(tmp_path: Path) -> None:
    app = batch_app(make_batch(tmp_path, 9), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_finished(pilot)
        table = batch_screen(app).table
        wide_input = table.columns[ColumnKey("input")].width
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert table.virtual_size.width <= table.size.width, (table.virtual_size, table.size)
        assert "$0.001" in table.render_line(1).text  # the cost column, drawn at its new place
        await pilot.resize_terminal(120, 36)
        await pilot.pause(0.2)
        assert table.columns[ColumnKey("input")].width == wide_input
        await pilot.press("q")


SNAPSHOT_SIZES = [(80, 24), (120, 36)]


@pytest.mark.parametrize("size", SNAPSHOT_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_batch_finished(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    app = batch_app(make_batch(tmp_path, 9), tmp_path, frozen=True)

    async def finished(pilot: Pilot[Any]) -> None:
        await wait_finished(pilot)

    assert snap_compare(app, terminal_size=size, run_before=finished)


@pytest.mark.parametrize("size", SNAPSHOT_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_batch_waiting_for_a_person(
    snap_compare: Any, tmp_path: Path, size: tuple[int, int]
) -> None:
    batch = make_batch(tmp_path, 5, concurrency=1, approval="manual")
    app = batch_app(batch, tmp_path, frozen=True)

    async def waiting(pilot: Pilot[Any]) -> None:
        screen = batch_screen(pilot.app)  # type: ignore[arg-type]
        await wait_for(pilot, lambda: screen.queue.waiting() == ["i1"], "i1 to ask")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=waiting)
