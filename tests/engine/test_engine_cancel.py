"""Stopping an attempt mid-stream (a person's key) and cancelling the whole run (Ctrl+C)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from engine_helpers import (
    contains,
    decided,
    finished,
    make_runner,
    make_task,
    served,
    sim,
    started,
)
from fakeserver import FakeServer, Reply

from escalatui.engine.decisions import Decision
from escalatui.engine.drive import drive
from escalatui.engine.events import (
    AttemptDecided,
    AttemptEnded,
    AwaitingDecision,
    Delta,
    Event,
    RunFinished,
)
from escalatui.engine.runner import Runner
from escalatui.session import SessionWriter, read_session

pytestmark = pytest.mark.timeout(30)

LONG = "0123456789" * 40
SLOW = {"delay_s": 0.01, "chunk_chars": 1}


async def run_interrupting(runner: Runner, after_deltas: int, *args: str | None) -> list[Event]:
    """Run, calling `runner.control.interrupt(*args)` once `after_deltas` deltas arrived."""
    events: list[Event] = []
    seen = 0
    try:
        async for event in runner.events():
            events.append(event)
            if isinstance(event, Delta):
                seen += 1
                if seen == after_deltas:
                    runner.control.interrupt(*args)  # type: ignore[arg-type]
    finally:
        await runner.pool.aclose()
    return events


async def test_escalate_mid_stream_keeps_partial_output_marked_incomplete() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("0123")]}],
        {"slow": sim(LONG, **SLOW), "fast": sim("0123 done")},
        chain=["slow", "fast"],
        retries=3,
    )
    events = await run_interrupting(make_runner(task), 5, "escalate", "PERSON: too slow")
    first, second = decided(events)
    assert first.output == "01234"  # exactly what had streamed; the stream stopped at once
    assert first.complete is False
    assert first.error == "stopped by a person (escalate)"
    assert (first.verdict, first.decided_by, first.next) == ("escalate", "human", "escalate")
    assert first.checks == ()  # the partial output was never checked, though it would pass
    assert first.feedback == "PERSON: too slow"
    ended = next(e for e in events if isinstance(e, AttemptEnded))
    assert ended.complete is False and ended.output == "01234"
    # Escalated straight away, despite retries left, with the person's feedback in the prompt.
    assert second.model == "fast" and second.verdict == "accept"
    assert "PERSON: too slow" in started(events)[1].prompt
    assert finished(events).status == "accepted"


async def test_retry_mid_stream_on_a_server_closes_the_connection(server: FakeServer) -> None:
    server.enqueue(Reply.drip("abcdefghijklmnopqrstuvwxyz" * 4, delay_s=0.02), Reply.text("ok"))
    task = make_task(
        [{"name": "s", "prompt": "p"}], {"m": served(server.base_url, "m")}, chain=["m"]
    )
    events = await run_interrupting(make_runner(task), 3, "retry")
    first, second = decided(events)
    assert first.output == "abc" and first.complete is False
    assert (first.verdict, first.decided_by, first.next) == ("retry", "human", "retry")
    assert second.output == "ok" and second.verdict == "accept"
    # The cut stream's connection was closed, so the server stops generating.
    assert await server.await_until(lambda: server.disconnects >= 1)
    assert server.chat_requests[0].completed is False


async def test_abort_mid_stream_fails_the_run() -> None:
    task = make_task([{"name": "s", "prompt": "p"}], {"slow": sim(LONG, **SLOW)}, chain=["slow"])
    events = await run_interrupting(make_runner(task), 2, "abort")
    (record,) = decided(events)
    assert (record.output, record.complete, record.verdict) == ("01", False, "rejected")
    run = finished(events)
    # a person's abort fails the run; the partial answer is kept, never thrown away
    assert (run.status, run.error, run.output) == ("failed", "aborted by a person", "01")


async def test_approve_mid_stream_accepts_the_partial_answer() -> None:
    task = make_task([{"name": "s", "prompt": "p"}], {"slow": sim(LONG, **SLOW)}, chain=["slow"])
    events = await run_interrupting(make_runner(task), 4, "approve")
    (record,) = decided(events)
    assert (record.output, record.complete, record.verdict) == ("0123", False, "accept")
    assert finished(events).output == "0123"


async def test_interrupt_before_the_stream_starts_stops_that_attempt() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p"}],
        {"a": sim(LONG, **SLOW), "b": sim("b answer")},
        chain=["a", "b"],
    )
    runner = make_runner(task)
    events: list[Event] = []
    async for event in runner.events():
        events.append(event)
        if type(event).__name__ == "AttemptStarted" and len(events) < 4:
            runner.control.interrupt("escalate")  # before the first delta of tier 1
    await runner.pool.aclose()
    first, second = decided(events)
    assert first.model == "a" and first.complete is False and first.decided_by == "human"
    assert len(first.output) < len(LONG)
    assert second.model == "b" and second.verdict == "accept"


async def test_cancelling_the_run_through_drive_logs_a_consistent_end(tmp_path: Path) -> None:
    task = make_task([{"name": "s", "prompt": "p"}], {"slow": sim(LONG, **SLOW)}, chain=["slow"])
    runner = make_runner(task)
    writer = SessionWriter(tmp_path)
    events: list[Event] = []
    streaming = asyncio.Event()

    def sink(event: Event) -> None:
        events.append(event)
        if isinstance(event, Delta) and len(events) > 5:
            streaming.set()

    job = asyncio.create_task(drive(runner, [writer.handle, sink]))
    await asyncio.wait_for(streaming.wait(), 10)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    writer.close()

    record, run = events[-2:]
    assert isinstance(record, AttemptDecided) and isinstance(run, RunFinished)
    assert run.status == "cancelled" and run.error == "interrupted"
    assert record.complete is False and record.verdict == "rejected"
    streamed = "".join(e.text for e in events if isinstance(e, Delta))
    assert record.output == streamed and 0 < len(streamed) < len(LONG)
    assert record.error == "stopped by a person (abort)"
    assert record.duration_ms >= 0
    assert runner.cancelled_events() == []  # only once

    assert writer.path is not None
    logged = read_session(writer.path)
    assert logged.problems == []
    kinds = [r["type"] for r in logged.records]
    assert kinds[0] == "session" and kinds[-2:] == ["attempt", "run"]
    assert logged.records[-1]["status"] == "cancelled"
    assert logged.records[-2]["output"] == streamed
    assert logged.records[-2]["complete"] is False


async def test_cancel_while_waiting_for_a_person_keeps_a_complete_answer_complete() -> None:
    class NeverDecides:
        async def decide(self, request: AwaitingDecision) -> Decision:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    task = make_task(
        [{"name": "s", "prompt": "p"}], {"a": sim("full answer")}, chain=["a"], approval="manual"
    )
    runner = make_runner(task, NeverDecides())
    events: list[Event] = []
    asking = asyncio.Event()

    def sink(event: Event) -> None:
        events.append(event)
        if isinstance(event, AwaitingDecision):
            asking.set()

    job = asyncio.create_task(drive(runner, [sink]))
    await asyncio.wait_for(asking.wait(), 10)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    record, run = events[-2:]
    assert isinstance(record, AttemptDecided) and isinstance(run, RunFinished)
    assert (record.output, record.complete, record.error) == ("full answer", True, None)
    assert record.verdict == "rejected" and run.status == "cancelled"


async def test_a_key_pressed_while_the_decider_asks_does_not_cut_the_next_attempt() -> None:
    class PressesAKeyToo:
        def __init__(self) -> None:
            self.runner: Runner | None = None
            self.answers = ["retry", "approve"]

        async def decide(self, request: AwaitingDecision) -> Decision:
            if request.attempt == 1:
                assert self.runner is not None
                self.runner.control.interrupt("escalate")  # a stray key during the prompt
            return Decision(self.answers.pop(0))  # type: ignore[arg-type]

    decider = PressesAKeyToo()
    task = make_task(
        [{"name": "s", "prompt": "p"}],
        {"a": sim("first", "second answer", **SLOW), "b": sim("b")},
        chain=["a", "b"],
        approval="manual",
    )
    runner = make_runner(task, decider)
    decider.runner = runner
    events = [e async for e in runner.events()]
    await runner.pool.aclose()
    assert [(d.model, d.verdict, d.complete) for d in decided(events)] == [
        ("a", "retry", True),
        ("a", "accept", True),
    ]


async def test_a_failing_sink_stops_the_stream_and_the_others_get_a_consistent_end() -> None:
    task = make_task([{"name": "s", "prompt": "p"}], {"slow": sim(LONG, **SLOW)}, chain=["slow"])
    runner = make_runner(task)
    kept: list[Event] = []
    deltas = 0

    def broken(event: Event) -> None:
        nonlocal deltas
        if isinstance(event, Delta):
            deltas += 1
            if deltas == 3:
                raise BrokenPipeError("stdout closed")

    with pytest.raises(BrokenPipeError):
        await drive(runner, [kept.append, broken])
    await asyncio.sleep(0)
    # nothing keeps streaming in the background once the consumer is gone
    assert asyncio.all_tasks() == {asyncio.current_task()}
    record, run = kept[-2:]
    assert isinstance(record, AttemptDecided) and record.output == "012"
    assert isinstance(run, RunFinished) and run.status == "cancelled"
