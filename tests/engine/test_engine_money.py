"""Money a person can trust: a cost that is not a cost is unknown, never NaN or negative in a
total, and with a budget set an unknown cost on a paid model ends the paid attempts."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from engine_helpers import contains, decided, finished, make_task, run_all, served, sim
from fakeserver import FakeServer, Reply
from pydantic import ValidationError

from escalatui.clients.base import ChatClient, ChatRequest, Chunk, Usage
from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.drive import drive
from escalatui.engine.events import AttemptDecided, Delta, Event, Notice, RunFinished
from escalatui.engine.runner import Runner
from escalatui.formatting import usd, usd_total

pytestmark = pytest.mark.timeout(30)

GARBAGE = [float("nan"), float("inf"), -0.5]
GARBAGE_IDS = ["nan", "infinity", "negative"]
UNKNOWN_MESSAGE = (
    "cost of attempt 1 on cheap is unknown; with a budget set it counts as the rest of the budget"
)


def two_tiers(server: FakeServer, **fields: Any) -> Task:
    return make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("42")]}],
        {"cheap": served(server.base_url, "cheap"), "strong": served(server.base_url, "strong")},
        chain=["cheap", "strong"],
        **fields,
    )


def runner(task: Task, pool: ClientPool | None = None) -> Runner:
    return Runner(task, pool or ClientPool(task.models), run_id="r1")


def notices(events: list[Event]) -> list[str]:
    return [e.message for e in events if isinstance(e, Notice)]


@pytest.mark.parametrize("garbage", GARBAGE, ids=GARBAGE_IDS)
async def test_a_garbage_cost_is_unknown_and_never_reaches_the_total(
    server: FakeServer, garbage: float
) -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "cost": garbage}
    server.enqueue(Reply.text("41", usage=usage), model="cheap")
    server.enqueue(Reply.text("42", usage={**usage, "cost": 0.01}), model="strong")
    events = await run_all(runner(two_tiers(server)))  # no budget: the run goes on
    first, second = decided(events)
    assert first.cost_usd is None and second.cost_usd == 0.01
    run = finished(events)
    assert run.status == "accepted"
    assert run.cost_usd == pytest.approx(0.01) and math.isfinite(run.cost_usd)
    assert run.cost_unknown is True  # 0.01 is only the known part
    assert any("which is not a cost" in n for n in notices(events))


@pytest.mark.parametrize("garbage", [*GARBAGE, None], ids=[*GARBAGE_IDS, "no-cost"])
async def test_with_a_budget_an_unknown_cost_counts_as_the_rest_of_it(
    server: FakeServer, garbage: float | None
) -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "cost": garbage}
    server.enqueue(Reply.text("41", usage=usage), model="cheap")
    server.enqueue(Reply.text("42"), model="strong")
    events = await run_all(runner(two_tiers(server, budget_usd=5.0)))
    (only,) = decided(events)
    assert only.model == "cheap" and only.cost_usd is None
    assert [r.json["model"] for r in server.chat_requests] == ["cheap"]  # strong never called
    run = finished(events)
    assert run.status == "budget" and run.cost_unknown is True
    assert run.error is not None and run.error.startswith(UNKNOWN_MESSAGE)
    assert "strong is not called" in run.error
    assert run.output == "41"  # the last answer stays in the record


@pytest.mark.parametrize("garbage", GARBAGE, ids=GARBAGE_IDS)
async def test_a_client_that_passes_garbage_through_is_guarded_by_the_engine(
    garbage: float,
) -> None:
    """Whatever a provider adapter does, a NaN or negative cost stops at the engine."""

    class Garbage(ChatClient):
        provider = "openrouter"

        async def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
            yield Chunk(text="41")
            yield Chunk(finish_reason="stop", usage=Usage(-7, 2, garbage))

    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("42")]}],
        {"cheap": {"provider": "openrouter"}, "local": sim("42")},
        chain=["cheap", "local"],
        budget_usd=1.0,
    )
    pool = ClientPool(task.models, factories={"openrouter": lambda spec, keys: Garbage()})
    events = await run_all(runner(task, pool))
    cheap, local = decided(events)
    assert (cheap.cost_usd, cheap.prompt_tokens) == (None, None)  # -7 tokens is no count either
    assert local.cost_usd == 0.0  # past the budget, a free local model still runs
    run = finished(events)
    assert run.status == "accepted" and run.cost_usd == 0.0 and run.cost_unknown is True


async def test_prices_estimate_a_cost_the_provider_garbled(server: FakeServer) -> None:
    usage = {"prompt_tokens": 1000, "completion_tokens": 500, "cost": float("nan")}
    server.enqueue(Reply.text("41", usage=usage), Reply.text("42", usage=usage))
    priced = served(server.base_url, "m", price_in_per_mtok=2.0, price_out_per_mtok=10.0)
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("42")]}],
        {"m": priced},
        chain=["m"],
        retries=1,
        budget_usd=1.0,
    )
    events = await run_all(runner(task))
    assert [d.cost_usd for d in decided(events)] == [pytest.approx(0.007)] * 2
    run = finished(events)
    assert (run.status, run.cost_unknown) == ("accepted", False)
    assert run.cost_usd == pytest.approx(0.014)


async def test_prices_without_token_counts_cannot_estimate(server: FakeServer) -> None:
    server.enqueue(Reply.text("41"), Reply.text("42"))  # no usage at all
    priced = served(server.base_url, "m", price_in_per_mtok=2.0, price_out_per_mtok=10.0)
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("42")]}],
        {"m": priced},
        chain=["m"],
        retries=1,
        budget_usd=1.0,
    )
    events = await run_all(runner(task))
    assert [d.cost_usd for d in decided(events)] == [None]
    assert finished(events).status == "budget"
    assert len(server.chat_requests) == 1


async def test_a_refused_request_spent_nothing_and_the_chain_goes_on(server: FakeServer) -> None:
    server.enqueue(Reply.error(401, {"error": {"message": "bad key"}}), model="cheap")
    server.enqueue(Reply.text("42", usage={"cost": 0.02}), model="strong")
    events = await run_all(runner(two_tiers(server, budget_usd=1.0)))
    first, second = decided(events)
    assert first.complete is False and first.cost_usd == 0.0
    run = finished(events)
    assert (run.status, run.cost_usd, run.cost_unknown) == ("accepted", 0.02, False)


async def test_a_paid_judge_with_an_unknown_cost_counts_too(server: FakeServer) -> None:
    server.enqueue(Reply.text('{"verdict": "fail", "reason": "no"}'), model="reviewer")
    task = make_task(
        [
            {
                "name": "s",
                "prompt": "p",
                "checks": [{"kind": "judge", "model": "reviewer", "criteria": "right"}],
            }
        ],
        {
            "local": sim("an answer"),
            "reviewer": served(server.base_url, "reviewer"),
            "strong": sim("better", cost_usd=0.01),
        },
        chain=["local", "strong"],
        budget_usd=1.0,
    )
    events = await run_all(runner(task))
    (only,) = decided(events)
    assert only.model == "local" and only.checks[0].cost_usd is None
    run = finished(events)
    assert run.status == "budget" and run.cost_unknown is True
    assert run.error is not None
    assert run.error.startswith(
        "cost of the judge check by reviewer of attempt 1 on local is unknown"
    )


async def test_free_local_models_never_make_the_cost_unknown() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("good")]}],
        {"local": sim("bad", "good")},
        chain=["local"],
        retries=1,
        budget_usd=0.0,
    )
    events = await run_all(runner(task))
    run = finished(events)
    assert (run.status, run.cost_usd, run.cost_unknown) == ("accepted", 0.0, False)


async def test_tiny_costs_add_up_unrounded() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("good")]}],
        {"paid": sim("bad", "good", cost_usd=1.62e-07)},
        chain=["paid"],
        retries=1,
    )
    run = finished(await run_all(runner(task)))
    assert run.cost_usd == pytest.approx(3.24e-07, rel=1e-9)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0, "$0.0000"),
        (0.0123, "$0.0123"),
        (0.0143, "$0.0143"),
        (1.62e-05, "$0.0000162"),
        (0.00123, "$0.00123"),
        (0.001, "$0.0010"),
        (0.00012345, "$0.000123"),
        (1.5, "$1.5000"),
        (5e-324, "$4.94e-324"),
        (None, "cost unknown"),
        (float("nan"), "cost unknown"),
        (float("inf"), "cost unknown"),
        (-0.01, "cost unknown"),
        (True, "cost unknown"),
    ],
)
def test_costs_are_written_without_rounding_them_away(value: object, shown: str) -> None:
    assert usd(value) == shown


def test_budgets_show_two_places_unless_that_hides_the_amount() -> None:
    assert (usd(0.05, 2), usd(0.005, 2), usd(1.62e-05, 2)) == ("$0.05", "$0.005", "$0.0000162")


def test_a_total_says_which_part_is_unknown() -> None:
    assert usd_total(0.0123, False) == "$0.0123"
    assert usd_total(0.0123, True) == "$0.0123 + unknown"
    assert usd_total(0.0, True) == "cost unknown"
    assert usd_total(float("nan"), False) == "cost unknown"


@pytest.mark.parametrize(("cost", "unknown"), [(None, True), (0.02, False)], ids=["paid", "sim"])
async def test_a_run_cancelled_mid_stream_counts_the_cut_attempt(
    cost: float | None, unknown: bool, server: FakeServer
) -> None:
    """The attempt cut by Ctrl+C was under way on a paid model: the run's total says its cost
    is unknown (a simulated cost, known at once, is counted)."""
    server.enqueue(Reply.drip("x" * 400, delay_s=0.02))
    model = served(server.base_url, "m") if cost is None else sim("x" * 400, cost_usd=cost)
    if cost is not None:
        model.update(delay_s=0.02, chunk_chars=1)
    task = make_task([{"name": "s", "prompt": "p"}], {"m": model}, chain=["m"])
    run_ = runner(task)
    streaming = asyncio.Event()
    events: list[Event] = []

    def sink(event: Event) -> None:
        events.append(event)
        if isinstance(event, Delta):
            streaming.set()

    job = asyncio.create_task(drive(run_, [sink]))
    await asyncio.wait_for(streaming.wait(), 10)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    await run_.pool.aclose()
    record, run = events[-2:]
    assert isinstance(record, AttemptDecided) and isinstance(run, RunFinished)
    assert run.status == "cancelled" and record.output
    assert (record.cost_usd is None, run.cost_unknown) == (unknown, unknown)
    assert run.cost_usd == (cost or 0.0)


@pytest.mark.parametrize("cap", [float("inf"), float("nan")], ids=["inf", "nan"])
def test_a_budget_must_be_a_finite_number(cap: float) -> None:
    with pytest.raises(ValidationError, match="finite number"):
        make_task([{"name": "s", "prompt": "p"}], {"m": sim("x")}, chain=["m"], budget_usd=cap)
