"""The network layer seen through the engine: context errors escalate, retries show in the
attempt record and the headless output, TTFT is recorded, a person's escalation closes the
stream, probes and long error bodies reach the record."""

from __future__ import annotations

import io
from typing import Any

import pytest
from client_helpers import serve
from fakeserver import CONTEXT_ERRORS, FakeServer, Reply

from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.events import (
    AttemptDecided,
    AttemptStarted,
    Delta,
    Event,
    Notice,
    RunFinished,
)
from escalatui.engine.runner import Runner
from escalatui.headless import HeadlessPrinter

pytestmark = pytest.mark.timeout(30)
server = pytest.fixture(serve, name="server")


def served(server: FakeServer, model: str, provider: str = "openai", **kw: Any) -> dict[str, Any]:
    return {
        "provider": provider,
        "base_url": server.base_url,
        "model": model,
        "timeout_s": 5,
        "idle_timeout_s": 2,
        "max_retries": 2,
        **kw,
    }


def task(models: dict[str, Any], chain: list[str], **kw: Any) -> Task:
    step = {"name": "s", "prompt": "p", "checks": [{"kind": "contains", "text": "answer"}]}
    return Task.model_validate(
        {"name": "t", "chain": chain, "models": models, "steps": [step], **kw}
    )


async def run(t: Task, runner_hook: Any = None) -> list[Event]:
    runner = Runner(t, ClientPool(t.models), run_id="r1")
    events: list[Event] = []
    try:
        async for event in runner.events():
            events.append(event)
            if runner_hook is not None:
                runner_hook(runner, event)
    finally:
        await runner.pool.aclose()
    return events


def decided(events: list[Event]) -> list[AttemptDecided]:
    return [e for e in events if isinstance(e, AttemptDecided)]


@pytest.mark.parametrize("style", sorted(CONTEXT_ERRORS))
async def test_context_window_error_escalates_instead_of_retrying(
    server: FakeServer, style: str
) -> None:
    server.enqueue(Reply.context_exceeded(style), model="small")  # type: ignore[arg-type]
    server.enqueue(Reply.text("the answer"), model="big")
    models = {"small": served(server, "small"), "big": served(server, "big")}
    events = await run(task(models, ["small", "big"], retries=2))
    first, second = decided(events)
    assert (first.model, first.verdict, first.next) == ("small", "error", "escalate")
    assert first.error is not None and "too long" in first.error
    assert (second.model, second.verdict) == ("big", "accept")
    assert [r.model for r in server.chat_requests] == ["small", "big"]
    assert isinstance(events[-1], RunFinished) and events[-1].status == "accepted"


async def test_midstream_context_error_escalates_too(server: FakeServer) -> None:
    error = '{"error": {"message": "context_length_exceeded", "code": 400}}'
    server.enqueue(Reply.raw(f"data: {error}\n\n"), model="small")
    server.enqueue(Reply.text("the answer"), model="big")
    models = {"small": served(server, "small"), "big": served(server, "big")}
    first, second = decided(await run(task(models, ["small", "big"], retries=2)))
    assert (first.verdict, first.next, second.model) == ("error", "escalate", "big")


async def test_retries_are_in_the_record_and_the_headless_output(server: FakeServer) -> None:
    server.enqueue(Reply.rate_limited("0.05"), Reply.text("the answer"))
    events = await run(task({"m": served(server, "m")}, ["m"]))
    (record,) = decided(events)
    assert record.verdict == "accept"
    assert len(record.retries) == 1 and "HTTP 429" in record.retries[0]
    out = io.StringIO()
    printer = HeadlessPrinter(out)
    for event in events:
        printer(event)
    assert "retry 1/2" in out.getvalue() and "HTTP 429" in out.getvalue()


async def test_time_to_first_token_is_recorded(server: FakeServer) -> None:
    server.enqueue(Reply.text("the answer", first_byte_delay_s=0.3))
    (record,) = decided(await run(task({"m": served(server, "m")}, ["m"])))
    assert record.ttft_ms is not None and record.ttft_ms >= 300
    assert record.duration_ms >= record.ttft_ms


async def test_watchdog_ends_an_attempt_kept_alive_by_comments(server: FakeServer) -> None:
    server.enqueue(Reply.keepalives_forever(every_s=0.05, max_s=20, content="partial answer"))
    spec = served(server, "m", idle_timeout_s=0.3, timeout_s=20)
    (record,) = decided(await run(task({"m": spec}, ["m"])))
    assert record.complete is False and record.output == "partial answer"
    assert record.checks == ()  # never checked as an answer, though it contains "answer"
    assert record.error is not None and "no content for 0.3s" in record.error


async def test_finish_reason_length_is_incomplete(server: FakeServer) -> None:
    server.enqueue(Reply.text("an answer cut", finish_reason="length"))
    (record,) = decided(await run(task({"m": served(server, "m")}, ["m"])))
    assert record.complete is False and record.checks == ()
    assert record.error is not None and "length" in record.error


async def test_escalating_mid_stream_closes_the_connection(server: FakeServer) -> None:
    server.enqueue(Reply.drip("answer " * 200, delay_s=0.02), model="small")
    server.enqueue(Reply.text("the answer"), model="big")
    models = {"small": served(server, "small"), "big": served(server, "big")}

    def escalate_on_first_delta(runner: Runner, event: Event) -> None:
        if isinstance(event, Delta) and not runner.control.pending:
            if event.attempt == 1:
                runner.control.interrupt("escalate")

    events = await run(task(models, ["small", "big"]), escalate_on_first_delta)
    first, second = decided(events)
    assert first.decided_by == "human" and first.complete is False
    assert second.model == "big" and second.verdict == "accept"
    assert await server.await_until(lambda: server.disconnects == 1, timeout=3)
    assert server.chat_requests[0].completed is False


async def test_probe_results_and_loading_notice_reach_the_events(server: FakeServer) -> None:
    server.set_state(running_states={"m": "starting"})
    server.enqueue(Reply.text("the answer"))
    events = await run(task({"m": served(server, "m", provider="llama-swap")}, ["m"]))
    (start,) = [e for e in events if isinstance(e, AttemptStarted)]
    assert start.warm is False
    infos = [e for e in events if isinstance(e, Notice) and e.level == "info"]
    assert any("starting (loading)" in n.message for n in infos)
    assert decided(events)[0].retries == ()


@pytest.mark.parametrize(("loaded", "warm"), [(["m"], True), ([], False)])
async def test_ollama_warm_or_cold_in_the_record(
    server: FakeServer, loaded: list[str], warm: bool
) -> None:
    server.set_state(loaded=loaded)
    server.enqueue(Reply.text("the answer"))
    events = await run(task({"m": served(server, "m", provider="ollama")}, ["m"]))
    assert decided(events)[0].warm is warm


async def test_long_error_body_is_kept_for_the_log(server: FakeServer) -> None:
    body = "<html>" + "x" * 20_000 + "</html>"
    server.enqueue(Reply.error(400, body, content_type="text/plain"))
    (record,) = decided(await run(task({"m": served(server, "m")}, ["m"])))
    assert record.error is not None and len(record.error) < 600
    assert record.error_body == body
