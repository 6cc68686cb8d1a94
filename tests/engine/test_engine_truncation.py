"""An answer cut at the token limit: kept in the run record when the run fails there, and
checked like any other answer when the task sets `accept_truncated`."""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import contains, decided, finished, make_runner, make_task, run_all, served
from fakeserver import FakeServer, Reply

from escalatui.engine.events import ChecksDone, Notice

pytestmark = pytest.mark.timeout(30)

CUT = "PASS and then the answer stops mid"


def task(server: FakeServer, retries: int = 0, step: dict[str, Any] | None = None, **fields: Any):
    return make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("PASS")], **(step or {})}],
        {"m": served(server.base_url, "m")},
        chain=["m"],
        retries=retries,
        **fields,
    )


async def test_a_cut_answer_stays_in_the_failed_runs_record(server: FakeServer) -> None:
    server.enqueue(Reply.text(CUT, finish_reason="length"))
    events = await run_all(make_runner(task(server)))
    (record,) = decided(events)
    assert (record.output, record.complete, record.checks) == (CUT, False, ())
    assert record.error is not None and "token limit" in record.error
    run = finished(events)
    assert run.status == "failed"
    assert (run.output, run.outputs) == (CUT, {"s": CUT})


async def test_accept_truncated_checks_the_cut_answer_and_may_accept_it(
    server: FakeServer,
) -> None:
    server.enqueue(Reply.text(CUT, finish_reason="length"))
    events = await run_all(make_runner(task(server, accept_truncated=True)))
    (record,) = decided(events)
    assert record.verdict == "accept"
    assert [c.kind for c in record.checks] == ["contains"] and record.checks[0].passed
    # still marked as cut: accepted, yet not complete, and the record says why
    assert record.complete is False
    assert record.error is not None
    assert "token limit" in record.error and "accept_truncated" in record.error
    assert any(isinstance(e, Notice) and "cut off at the token limit" in e.message for e in events)
    run = finished(events)
    assert (run.status, run.output) == ("accepted", CUT)


async def test_a_cut_answer_that_fails_its_checks_gets_both_feedbacks(server: FakeServer) -> None:
    server.enqueue(Reply.text("nope, cut", finish_reason="length"), Reply.text("PASS"))
    events = await run_all(make_runner(task(server, retries=1, accept_truncated=True)))
    first, second = decided(events)
    assert first.verdict == "retry" and first.checks[0].passed is False
    assert first.feedback is not None
    assert "must contain 'PASS'" in first.feedback and "token limit" in first.feedback
    assert second.verdict == "accept" and second.complete is True


@pytest.mark.parametrize(
    ("on_task", "on_step", "checked"),
    [(True, False, False), (False, True, True), (True, None, True), (False, None, False)],
    ids=["step-off", "step-on", "task-on", "default-off"],
)
async def test_the_step_setting_wins_over_the_tasks(
    server: FakeServer, on_task: bool, on_step: bool | None, checked: bool
) -> None:
    server.enqueue(Reply.text(CUT, finish_reason="length"))
    step = {} if on_step is None else {"accept_truncated": on_step}
    events = await run_all(make_runner(task(server, step=step, accept_truncated=on_task)))
    (done,) = [e for e in events if isinstance(e, ChecksDone)]
    assert bool(done.outcomes) is checked
    assert finished(events).status == ("accepted" if checked else "failed")


async def test_accept_truncated_does_not_let_a_broken_stream_through(server: FakeServer) -> None:
    server.enqueue(Reply.cut(after_chunks=2, content="PASS PASS PASS PASS"))
    events = await run_all(make_runner(task(server, accept_truncated=True)))
    (record,) = decided(events)
    assert record.checks == () and record.verdict != "accept"
    assert finished(events).status == "failed"
