"""The budget cap: checked before each paid attempt, never after the money is gone."""

from __future__ import annotations

import pytest
from engine_helpers import contains, decided, finished, make_runner, make_task, run_all, served, sim
from fakeserver import FakeServer, Reply

from escalatui.engine.events import AttemptStarted

pytestmark = pytest.mark.timeout(30)


async def test_budget_stops_before_the_attempt_that_would_exceed_it() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("good")]}],
        {"paid": sim("bad", cost_usd=0.03)},
        chain=["paid"],
        retries=5,
        budget_usd=0.05,
    )
    events = await run_all(make_runner(task))
    assert len(decided(events)) == 2  # 0.00 -> 0.03 -> 0.06: the third is never started
    assert sum(isinstance(e, AttemptStarted) for e in events) == 2
    run = finished(events)
    assert run.status == "budget"
    assert run.cost_usd == pytest.approx(0.06)
    assert run.attempts == 2
    assert run.error is not None and "budget" in run.error and "paid" in run.error


async def test_free_local_models_are_not_stopped_by_a_zero_budget() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("good")]}],
        {"local": sim("bad", "good")},
        chain=["local"],
        retries=1,
        budget_usd=0.0,
    )
    events = await run_all(make_runner(task))
    assert finished(events).status == "accepted"
    assert [d.cost_usd for d in decided(events)] == [0.0, 0.0]


async def test_budget_counts_the_providers_reported_cost(server: FakeServer) -> None:
    usage = {"prompt_tokens": 12, "completion_tokens": 3, "cost": 0.02}
    server.enqueue(Reply.text("wrong", usage=usage), Reply.text("wrong", usage=usage))
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("right")]}],
        {"cloud": served(server.base_url, "m")},
        chain=["cloud"],
        retries=3,
        budget_usd=0.03,
    )
    events = await run_all(make_runner(task))
    records = decided(events)
    assert [(d.prompt_tokens, d.completion_tokens, d.cost_usd) for d in records] == [
        (12, 3, 0.02),
        (12, 3, 0.02),
    ]
    assert len(server.chat_requests) == 2  # no third request once $0.04 >= $0.03
    assert finished(events).status == "budget"


async def test_zero_budget_stops_a_paid_model_before_any_request(server: FakeServer) -> None:
    task = make_task(
        [{"name": "s", "prompt": "p"}],
        {"cloud": served(server.base_url, "m", price_in_per_mtok=1.0)},
        chain=["cloud"],
        budget_usd=0.0,
    )
    events = await run_all(make_runner(task))
    assert finished(events).status == "budget"
    assert decided(events) == []
    assert server.chat_requests == []


async def test_cost_from_prices_times_tokens(server: FakeServer) -> None:
    server.enqueue(Reply.text("ok", usage={"prompt_tokens": 1000, "completion_tokens": 500}))
    task = make_task(
        [{"name": "s", "prompt": "p"}],
        {"m": served(server.base_url, "m", price_in_per_mtok=2.0, price_out_per_mtok=10.0)},
        chain=["m"],
    )
    events = await run_all(make_runner(task))
    assert decided(events)[0].cost_usd == pytest.approx(0.002 + 0.005)
    assert finished(events).cost_usd == pytest.approx(0.007)
