"""After a TUI run the terminal says what happened: status, attempts, cost, the session file,
and the answer (the accepted one, else the last, marked), model text made inert."""

from __future__ import annotations

from pathlib import Path

from fakeserver import FakeServer, Reply
from test_tmux import Pane, exit_code, pane  # noqa: F401 (the fixture)
from tui_helpers import run_app, sim, task, two_tiers, wait_phase

from escalatui.tui.app import EscalatuiApp


def summary(app: EscalatuiApp) -> str:
    (text,) = app.exit_summaries()
    return text


async def test_an_accepted_run_prints_status_cost_session_and_answer(
    tmp_path: Path, session_dir: Path
) -> None:
    app = run_app(two_tiers(tmp_path, "auto"), session_dir)
    async with app.run_test() as pilot:
        await wait_phase(pilot, "finished")
        await pilot.press("q")
    text = summary(app)
    [log] = session_dir.glob("*.jsonl")
    lines = text.split("\n")
    assert lines[0].startswith("escalatui run tui-test: accepted · ")
    assert " attempt(s) · $0.01" in lines[0]
    assert f"  session: {log}" in lines
    assert lines[-2].startswith("--- answer: answer of #") and "(strong)" in lines[-2]
    assert "(not accepted)" not in text
    assert lines[-1] == "the RIGHT answer"


async def test_quitting_mid_run_prints_the_last_answer_marked_not_accepted(
    tmp_path: Path, session_dir: Path
) -> None:
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test() as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("q")
    text = summary(app)
    assert text.startswith("escalatui run tui-test: cancelled · 1 attempt(s) · ")
    assert "(cheap) (not accepted) ---\na wrong answer" in text


async def test_model_text_is_inert_in_the_summary(tmp_path: Path, session_dir: Path) -> None:
    hostile = "RIGHT \x1b]0;pwned\x07\x1b[2J [bold]x[/bold]"
    app = run_app(task(tmp_path, {"m": sim(hostile)}), session_dir)
    async with app.run_test() as pilot:
        await wait_phase(pilot, "finished")
        await pilot.press("q")
    text = summary(app)
    assert "\x1b" not in text and "\x07" not in text
    assert text.endswith("RIGHT \\x1b]0;pwned\\x07\\x1b[2J [bold]x[/bold]")


async def test_a_home_screen_visit_without_a_run_prints_nothing(tmp_path: Path) -> None:
    from escalatui.config import UserConfig
    from escalatui.tui.app import make_app

    app = make_app(user=UserConfig(), session_dir=tmp_path, task_sources=[])
    async with app.run_test() as pilot:
        await pilot.press("q")
    assert app.exit_summaries() == []


def test_the_summary_shows_in_a_real_terminal_after_quitting(
    pane: Pane,  # noqa: F811
    tmp_path: Path,
    session_dir: Path,
) -> None:
    answer = "the RIGHT answer \x1b]0;pwned\x07 done"
    with FakeServer() as server:
        server.enqueue(Reply.text(answer))
        model = {"provider": "openai", "base_url": server.base_url, "model": "m"}
        path = write_task_file(tmp_path, model)
        pane.start("app", f"run {path} --session-dir {session_dir}", tmp_path / "exit")
        pane.wait_for("app", lambda s: "run accepted" in s, "the run to be accepted")
        pane.tmux("send-keys", "-t", "app", "q")
        assert exit_code(tmp_path / "exit") == "0"
        shown = pane.screen("app")
    [log] = session_dir.glob("*.jsonl")
    assert "escalatui run summary-task: accepted · 1 attempt(s) · cost unknown" in shown
    assert f"session: {log}" in shown.replace("\n", "")
    assert "the RIGHT answer \\x1b]0;pwned\\x07 done" in shown
    assert pane.tmux("display", "-p", "-t", "app", "#{pane_title}").strip() != "pwned"


def write_task_file(directory: Path, model: dict[str, object]) -> Path:
    from tui_helpers import write_task

    return write_task(directory, {"m": model}, name="summary-task")


def test_plain_words_for_unknown_figures() -> None:
    from escalatui.formatting import tokens, usd, warm_word

    assert tokens(None, None) == "–"
    assert tokens(12, None) == "12+–"
    assert tokens(12, 3) == "12+3"
    assert usd(None) == "cost unknown"
    assert usd(0.5) == "$0.5000"
    assert warm_word(None) == "warm: unknown"
