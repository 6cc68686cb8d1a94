"""Every key in every approval mode, checked in the session log the run leaves behind.

manual and escalation: the cheap model's answer fails its check, so the run waits for a person,
who answers by key. auto: nothing waits, so the keys act on the stream while it is running.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import (
    LONG,
    approve_until_done,
    attempts,
    records,
    run_app,
    run_record,
    run_screen,
    sim,
    two_tiers,
    wait_phase,
    wait_streaming,
)

pytestmark = pytest.mark.timeout(60)
PROMPT_MODES = ("manual", "escalation")


def notices(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


async def type_feedback(pilot, text: str, send: str, typed: bool = True) -> None:  # type: ignore[no-untyped-def]
    """In the feedback dialog: replace the text with `text` (typed key by key, or set: the
    pilot waits for the app to idle after each key, which it never does mid-stream), then
    send it with the key `send`."""
    await wait_for_dialog(pilot)
    area = pilot.app.screen.query_one("TextArea")
    area.text = "" if typed else text
    if typed:
        await pilot.press(*text)
    await pilot.press(send)


async def wait_for_dialog(pilot) -> None:  # type: ignore[no-untyped-def]
    from tui_helpers import wait_for

    from escalatui.tui.screens.feedback import FeedbackScreen

    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FeedbackScreen), "the dialog")


# -- at the approval prompt (manual, escalation) --------------------------------------------


@pytest.mark.parametrize("mode", PROMPT_MODES)
async def test_a_approves_the_answer_as_it_is(tmp_path: Path, session_dir: Path, mode: str) -> None:
    app = run_app(two_tiers(tmp_path, mode), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("a")
        await pilot.pause(0.1)
        # the checks failed this answer: one `a` only asks
        assert run_screen(app).view.state.phase == "awaiting"
        assert "accept although the checks failed? press a again" in notices(app)
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    [first] = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["output"]) == (
        "accept",
        "human",
        "a wrong answer",
    )
    assert run_record(session_dir)["status"] == "accepted"
    assert app.return_value == 0


@pytest.mark.parametrize("mode", PROMPT_MODES)
@pytest.mark.parametrize("other", ["r", "e", "x", "f", "z"])
async def test_any_other_key_cancels_accepting_over_failed_checks(
    tmp_path: Path, session_dir: Path, mode: str, other: str
) -> None:
    app = run_app(two_tiers(tmp_path, mode), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("a", other)
        await pilot.pause(0.1)
        assert any("cancelled" in n for n in notices(app))
        # still asking: neither the approval nor the other key decided anything
        assert run_screen(app).view.state.phase == "awaiting"
        assert run_screen(app).view.state.decided == []
        assert isinstance(app.screen, type(run_screen(app)))
        await pilot.press("a")  # asks again, from the start
        await pilot.pause(0.1)
        assert run_screen(app).view.state.decided == []
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    [first] = attempts(session_dir)
    assert (first["verdict"], first["decided_by"]) == ("accept", "human")


async def test_a_following_the_checks_is_one_key(tmp_path: Path, session_dir: Path) -> None:
    loaded = two_tiers(tmp_path, "manual", cheap=sim("RIGHT away"))
    app = run_app(loaded, session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        assert run_screen(app).view.state.awaiting.proposed == "accept"  # type: ignore[union-attr]
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    [first] = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["output"]) == (
        "accept",
        "human",
        "RIGHT away",
    )
    assert not any("again" in n for n in notices(app))
    assert app.return_value == 0


async def test_e_on_the_last_tier_says_there_is_no_stronger_model(
    tmp_path: Path, session_dir: Path
) -> None:
    app = run_app(two_tiers(tmp_path, "manual"), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("e")
        await wait_phase(pilot, "awaiting", decided=1)
        await pilot.press("e")
        await pilot.pause(0.1)
        assert "no stronger model in the chain; retry or abort" in notices(app)
        assert run_screen(app).view.state.phase == "awaiting"
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    assert [a["verdict"] for a in attempts(session_dir)] == ["escalate", "accept"]


@pytest.mark.parametrize("mode", PROMPT_MODES)
async def test_r_retries_on_the_same_model(tmp_path: Path, session_dir: Path, mode: str) -> None:
    app = run_app(two_tiers(tmp_path, mode), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting", decided=0)
        await pilot.press("r")
        await wait_phase(pilot, "awaiting", decided=1)
        await pilot.press("e")
        await approve_until_done(pilot)
        await pilot.press("q")
    first, second, third = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["next"]) == ("retry", "human", "retry")
    assert (second["tier"], second["model"], second["output"]) == (0, "cheap", "still wrong")
    assert "Must say RIGHT." in second["prompt"]  # the checks' feedback went along
    assert (second["verdict"], second["decided_by"]) == ("escalate", "human")
    assert (third["model"], third["verdict"]) == ("strong", "accept")
    assert third["decided_by"] == ("human" if mode == "manual" else "checks")
    assert run_record(session_dir)["status"] == "accepted"


@pytest.mark.parametrize("mode", PROMPT_MODES)
async def test_e_escalates_to_the_next_model(tmp_path: Path, session_dir: Path, mode: str) -> None:
    app = run_app(two_tiers(tmp_path, mode), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("e")
        await approve_until_done(pilot)
        await pilot.press("q")
    first, second = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["next"]) == (
        "escalate",
        "human",
        "escalate",
    )
    assert (second["tier"], second["verdict"]) == (1, "accept")
    assert app.return_value == 0


@pytest.mark.parametrize("mode", PROMPT_MODES)
@pytest.mark.parametrize("send", ["ctrl+r", "ctrl+g"])
async def test_f_edits_the_feedback_then_retries_or_escalates(
    tmp_path: Path, session_dir: Path, mode: str, send: str
) -> None:
    app = run_app(two_tiers(tmp_path, mode), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("f")
        await type_feedback(pilot, "Say RIGHT, please.", send)
        if send == "ctrl+r":
            await wait_phase(pilot, "awaiting", decided=1)
            await pilot.press("x")
        await approve_until_done(pilot)
        await pilot.press("q")
    first, second = attempts(session_dir)[:2]
    action = "retry" if send == "ctrl+r" else "escalate"
    assert (first["verdict"], first["decided_by"]) == (action, "human")
    assert first["feedback"] == "Say RIGHT, please."
    assert "Say RIGHT, please." in second["prompt"]
    assert second["model"] == ("cheap" if action == "retry" else "strong")


@pytest.mark.parametrize("mode", PROMPT_MODES)
async def test_x_aborts_the_run(tmp_path: Path, session_dir: Path, mode: str) -> None:
    app = run_app(two_tiers(tmp_path, mode), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    [first] = attempts(session_dir)
    assert (first["verdict"], first["decided_by"]) == ("rejected", "human")
    run = run_record(session_dir)
    assert (run["status"], run["error"]) == ("failed", "aborted by a person")
    assert app.return_value == 1


@pytest.mark.parametrize("mode", PROMPT_MODES)
async def test_q_at_the_prompt_leaves_a_consistent_log(
    tmp_path: Path, session_dir: Path, mode: str
) -> None:
    app = run_app(two_tiers(tmp_path, mode), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_phase(pilot, "awaiting")
        await pilot.press("q")
    [first] = attempts(session_dir)
    assert (first["output"], first["decided_by"], first["verdict"]) == (
        "a wrong answer",
        "human",
        "rejected",
    )
    assert run_record(session_dir)["status"] == "cancelled"
    assert app.return_value == 130


async def test_escalation_mode_does_not_ask_when_the_checks_pass(
    tmp_path: Path, session_dir: Path
) -> None:
    loaded = two_tiers(tmp_path, "escalation", cheap=sim("RIGHT away"))
    app = run_app(loaded, session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("q")
    [first] = attempts(session_dir)
    assert (first["verdict"], first["decided_by"]) == ("accept", "checks")
    assert app.return_value == 0


# -- mid-stream (auto: nothing waits, so keys interrupt the stream) --------------------------


def slow(tmp_path: Path, mode: str = "auto"):  # type: ignore[no-untyped-def]
    """cheap streams a long wrong answer slowly (retry: a short one); strong is right."""
    return two_tiers(
        tmp_path, mode, cheap=sim(LONG, "short", delay_s=0.02, chunk_chars=1, cost_usd=0.001)
    )


async def test_a_mid_stream_accepts_the_partial_answer(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(slow(tmp_path), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_streaming(pilot)
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    [first] = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["complete"]) == ("accept", "human", False)
    assert 5 <= len(first["output"]) < len(LONG)
    assert run_record(session_dir)["status"] == "accepted"


async def test_r_mid_stream_retries_on_the_same_model(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(slow(tmp_path), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_streaming(pilot)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    first, second, third = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["complete"]) == ("retry", "human", False)
    assert "stopped by a person" in first["error"]
    assert (second["model"], second["output"]) == ("cheap", "short")
    assert (third["model"], third["verdict"]) == ("strong", "accept")


async def test_e_mid_stream_escalates_at_once(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(slow(tmp_path), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_streaming(pilot)
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    first, second = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["complete"]) == (
        "escalate",
        "human",
        False,
    )
    assert len(first["output"]) < len(LONG)
    assert (second["model"], second["verdict"]) == ("strong", "accept")


async def test_f_mid_stream_sends_edited_feedback(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(slow(tmp_path), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_streaming(pilot)
        await pilot.press("f")
        await type_feedback(pilot, "Stop rambling.", "ctrl+g", typed=False)
        await app.workers.wait_for_complete()
        await pilot.press("q")
    first, second = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["feedback"]) == (
        "escalate",
        "human",
        "Stop rambling.",
    )
    assert "Stop rambling." in second["prompt"]


async def test_x_mid_stream_aborts(tmp_path: Path, session_dir: Path) -> None:
    app = run_app(slow(tmp_path), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_streaming(pilot)
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    [first] = attempts(session_dir)
    assert (first["verdict"], first["decided_by"], first["complete"]) == (
        "rejected",
        "human",
        False,
    )
    assert run_record(session_dir)["status"] == "failed"
    assert app.return_value == 1


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quitting_keys_mid_stream_cancel_the_run(
    tmp_path: Path, session_dir: Path, key: str
) -> None:
    app = run_app(slow(tmp_path), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_streaming(pilot, 20)
        await pilot.press(key)
    log = records(session_dir)
    assert [r["type"] for r in log][-2:] == ["attempt", "run"]
    assert log[-1]["status"] == "cancelled"
    assert app.return_value == 130


@pytest.mark.parametrize("mode", ["auto", "manual", "escalation"])
async def test_q_mid_stream_logs_the_partial_attempt(
    tmp_path: Path, session_dir: Path, mode: str
) -> None:
    app = run_app(slow(tmp_path, mode), session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_streaming(pilot, 20)
        await pilot.press("q")
    log = records(session_dir)
    assert [r["type"] for r in log][-2:] == ["attempt", "run"]
    first = log[-2]
    assert (first["complete"], first["decided_by"], first["verdict"]) == (
        False,
        "human",
        "rejected",
    )
    assert len(first["output"]) >= 20
    assert log[-1]["status"] == "cancelled"
    assert app.return_value == 130


async def test_keys_after_the_run_do_nothing(tmp_path: Path, session_dir: Path) -> None:
    loaded = two_tiers(tmp_path, "auto")
    app = run_app(loaded, session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("a", "r", "e", "f", "x")
        assert app.screen is run_screen(app)  # no dialog opened
        await pilot.press("q")
    assert [a["decided_by"] for a in attempts(session_dir)] == ["checks", "checks"]
    assert app.return_value == 0
