"""Approval policies through the Decider protocol: who decided each attempt, and when."""

from __future__ import annotations

import pytest
from engine_helpers import (
    ScriptedDecider,
    contains,
    decided,
    finished,
    make_runner,
    make_task,
    run_all,
    sim,
    started,
)

from escalatui.engine.decisions import Decision
from escalatui.engine.events import AttemptDecided, AwaitingDecision, ChecksDone, Notice
from escalatui.engine.policy import PolicyDecider

pytestmark = pytest.mark.timeout(30)


def ladder_task(**fields: object) -> object:
    """Chain a -> b, one retry; `a` is always wrong, `b` right."""
    return make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("good", "say good")]}],
        {"a": sim("bad"), "b": sim("good")},
        chain=["a", "b"],
        retries=1,
        **fields,
    )


async def test_auto_never_asks_and_checks_decide() -> None:
    decider = ScriptedDecider([])  # raises if it is ever asked
    events = await run_all(make_runner(ladder_task(approval="auto"), decider))
    assert decider.requests == []
    assert [(d.verdict, d.decided_by) for d in decided(events)] == [
        ("retry", "checks"),
        ("escalate", "checks"),
        ("accept", "checks"),
    ]
    assert not any(isinstance(e, AwaitingDecision) for e in events)


async def test_manual_asks_every_attempt_even_a_passing_one() -> None:
    decider = ScriptedDecider(["retry", Decision("escalate", "HUMAN-NOTE: be brief"), "approve"])
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("good")]}],
        {"a": sim("good a"), "b": sim("good b")},
        chain=["a", "b"],
        approval="manual",
    )
    events = await run_all(make_runner(task, decider))
    assert [(r.attempt, r.proposed, r.reason) for r in decider.requests] == [
        (1, "accept", "manual"),
        (2, "accept", "manual"),
        (3, "accept", "manual"),
    ]
    assert decider.requests[0].output == "good a" and decider.requests[0].complete
    assert decider.requests[0].can_escalate and not decider.requests[2].can_escalate
    records = decided(events)
    assert [(d.model, d.verdict, d.decided_by) for d in records] == [
        ("a", "retry", "human"),
        ("a", "escalate", "human"),
        ("b", "accept", "human"),
    ]
    # The person's feedback replaces the checks' and reaches the next prompt.
    assert records[1].feedback == "HUMAN-NOTE: be brief"
    assert "HUMAN-NOTE: be brief" in started(events)[2].prompt
    # Each request is also an event, right before the attempt's record.
    kinds = [type(e).__name__ for e in events if not isinstance(e, Notice)]
    i = kinds.index("AwaitingDecision")
    assert kinds[i - 1 : i + 2] == ["ChecksDone", "AwaitingDecision", "AttemptDecided"]
    assert sum(isinstance(e, AwaitingDecision) for e in events) == 3
    notes = [e.message for e in events if isinstance(e, Notice)]
    assert notes[1] == "decided by a person: escalate: HUMAN-NOTE: be brief"
    assert finished(events).status == "accepted"


async def test_escalation_asks_only_before_moving_up() -> None:
    decider = ScriptedDecider(["escalate"])
    events = await run_all(make_runner(ladder_task(approval="escalation"), decider))
    assert [(r.attempt, r.proposed, r.reason) for r in decider.requests] == [
        (2, "escalate", "escalation")
    ]
    assert decider.requests[0].feedback == "- say good"
    assert [(d.verdict, d.decided_by) for d in decided(events)] == [
        ("retry", "checks"),
        ("escalate", "human"),
        ("accept", "checks"),
    ]


async def test_escalation_person_can_keep_retrying_instead() -> None:
    decider = ScriptedDecider(["retry", "abort"])
    events = await run_all(make_runner(ladder_task(approval="escalation"), decider))
    assert [r.attempt for r in decider.requests] == [2, 3]
    assert [(d.model, d.verdict, d.decided_by) for d in decided(events)] == [
        ("a", "retry", "checks"),
        ("a", "retry", "human"),
        ("a", "rejected", "human"),
    ]
    run = finished(events)
    assert run.status == "failed" and run.error == "aborted by a person"


async def test_policy_decider_is_logged_as_policy() -> None:
    events = await run_all(make_runner(ladder_task(approval="manual"), PolicyDecider()))
    assert [(d.verdict, d.decided_by) for d in decided(events)] == [
        ("retry", "policy"),
        ("escalate", "policy"),
        ("accept", "policy"),
    ]
    scripted = ScriptedDecider([Decision("approve", by_human=False)])
    task = make_task([{"name": "s", "prompt": "p"}], {"a": sim("x")}, chain=["a"])
    events = await run_all(make_runner(task, scripted, approval="manual"))
    assert decided(events)[0].decided_by == "policy"


async def test_approval_precedence_override_then_step_then_task() -> None:
    task = make_task(
        [
            {"name": "one", "prompt": "p", "approval": "manual"},
            {"name": "two", "prompt": "p"},
        ],
        {"a": sim("x")},
        chain=["a"],
        approval="auto",
    )
    decider = ScriptedDecider(["approve"])
    events = await run_all(make_runner(task, decider))
    assert [r.step for r in decider.requests] == ["one"]  # step wins over task
    assert [d.decided_by for d in decided(events)] == ["human", "checks"]

    decider = ScriptedDecider(["approve", "approve"])
    events = await run_all(make_runner(task, decider, approval="manual"))
    assert [r.step for r in decider.requests] == ["one", "two"]  # the run's override wins

    events = await run_all(make_runner(task, ScriptedDecider([]), approval="auto"))
    assert [d.decided_by for d in decided(events)] == ["checks", "checks"]


async def test_person_approves_an_answer_the_checks_failed() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("good")]}],
        {"a": sim("not what the check wants")},
        chain=["a"],
        approval="manual",
    )
    events = await run_all(make_runner(task, ScriptedDecider(["approve"])))
    checks = next(e for e in events if isinstance(e, ChecksDone))
    assert checks.proposed == "rejected"
    record = next(e for e in events if isinstance(e, AttemptDecided))
    assert (record.verdict, record.decided_by) == ("accept", "human")
    assert finished(events).status == "accepted"
    assert finished(events).output == "not what the check wants"


async def test_a_key_pressed_while_checks_run_decides_that_attempt() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("good")]}],
        {"a": sim("good a"), "b": sim("good b")},
        chain=["a", "b"],
    )
    runner = make_runner(task, ScriptedDecider([]))
    events = []
    async for event in runner.events():
        events.append(event)
        if type(event).__name__ == "AttemptEnded" and event.attempt == 1:
            assert not runner.control.streaming
            runner.control.interrupt("escalate", "PERSON: try the other one")
    await runner.pool.aclose()
    first, second = decided(events)
    assert first.complete is True and [o.passed for o in first.checks] == [True]
    assert (first.verdict, first.decided_by, first.feedback) == (
        "escalate",
        "human",
        "PERSON: try the other one",
    )
    assert second.model == "b" and second.decided_by == "checks"
    assert "PERSON: try the other one" in second.prompt
