"""Per-step chains and retries, the order of events, and verdicts on the way up a chain."""

from __future__ import annotations

import pytest
from engine_helpers import (
    contains,
    decided,
    finished,
    make_runner,
    make_task,
    run_all,
    sim,
    started,
)

from escalatui.engine.events import (
    AttemptDecided,
    AttemptEnded,
    AttemptStarted,
    ChecksDone,
    Delta,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)

pytestmark = pytest.mark.timeout(30)


async def test_per_step_chain_and_retries() -> None:
    task = make_task(
        [
            {"name": "s1", "prompt": "one", "checks": [contains("good")]},
            {
                "name": "s2",
                "prompt": "two",
                "chain": ["b"],
                "retries": 2,
                "checks": [contains("good")],
            },
        ],
        {"a": sim("bad a"), "b": sim("good b1", "bad b", "bad b", "good b2")},
        chain=["a", "b"],
        retries=1,
    )
    events = await run_all(make_runner(task))
    got = [(d.step, d.attempt, d.model, d.tier, d.verdict, d.next) for d in decided(events)]
    assert got == [
        ("s1", 1, "a", 0, "retry", "retry"),
        ("s1", 2, "a", 0, "escalate", "escalate"),
        ("s1", 3, "b", 1, "accept", "done"),
        ("s2", 1, "b", 0, "retry", "retry"),
        ("s2", 2, "b", 0, "retry", "retry"),
        ("s2", 3, "b", 0, "accept", "done"),
    ]
    run = finished(events)
    assert run.status == "accepted" and run.attempts == 6
    assert run.outputs == {"s1": "good b1", "s2": "good b2"}
    # A retry on the same model carries the feedback and the answer it replaces.
    s1_prompts = [s.prompt for s in started(events) if s.step == "s1"]
    assert s1_prompts[0] == "one"
    assert s1_prompts[1] == (
        "one\n\nPrevious attempt failed:\n- The answer must contain 'good'.\n\n"
        "Your previous answer was:\nbad a\n\nAnswer again, fixing these problems."
    )


async def test_chain_exhausted_fails_the_run_and_skips_later_steps() -> None:
    task = make_task(
        [
            {"name": "s1", "prompt": "x", "checks": [contains("good", "needs good")]},
            {"name": "s2", "prompt": "{previous}"},
        ],
        {"a": sim("bad"), "b": sim("worse")},
        chain=["a", "b"],
    )
    events = await run_all(make_runner(task))
    records = decided(events)
    assert [(d.model, d.verdict, d.next) for d in records] == [
        ("a", "escalate", "escalate"),
        ("b", "rejected", "stop"),
    ]
    assert records[-1].feedback == "- needs good"
    run = finished(events)
    assert run.status == "failed"
    # the last answer stays in the run record, though it was not accepted
    assert (run.output, run.outputs) == ("worse", {"s1": "worse"})
    assert run.error is not None and "s1" in run.error and "every model" in run.error
    assert not any(isinstance(e, StepStarted) and e.step == "s2" for e in events)
    assert [e for e in events if isinstance(e, StepFinished)][-1].accepted is False


async def test_events_come_in_order_and_deltas_add_up() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("yes")]}],
        {"a": sim("no, no", chunk_chars=2, delay_s=0.005), "b": sim("yes it is", chunk_chars=3)},
        chain=["a", "b"],
    )
    events = await run_all(make_runner(task))
    kinds: list[str] = []
    for e in events:
        name = type(e).__name__
        if not (kinds and kinds[-1] == name == "Delta"):
            kinds.append(name)
    assert kinds == [
        "RunStarted",
        "StepStarted",
        "AttemptStarted",
        "Delta",
        "AttemptEnded",
        "ChecksDone",
        "AttemptDecided",
        "AttemptStarted",
        "Delta",
        "AttemptEnded",
        "ChecksDone",
        "AttemptDecided",
        "StepFinished",
        "RunFinished",
    ]
    assert isinstance(events[0], RunStarted) and events[0].steps == ("s",)
    assert isinstance(events[-1], RunFinished)
    step = next(e for e in events if isinstance(e, StepStarted))
    assert [(t.model, t.provider, t.simulated) for t in step.chain] == [
        ("a", "sim", True),
        ("b", "sim", True),
    ]
    for attempt in (1, 2):
        text = "".join(e.text for e in events if isinstance(e, Delta) and e.attempt == attempt)
        ended = next(e for e in events if isinstance(e, AttemptEnded) and e.attempt == attempt)
        record = next(e for e in events if isinstance(e, AttemptDecided) and e.attempt == attempt)
        assert text == ended.output == record.output
        assert ended.complete and record.complete
    deltas_a = [e.text for e in events if isinstance(e, Delta) and e.attempt == 1]
    assert deltas_a == ["no", ", ", "no"]  # streamed piece by piece as they arrive
    deltas_b = [e.text for e in events if isinstance(e, Delta) and e.attempt == 2]
    assert deltas_b == ["yes it is"]  # pieces that arrived together: one Delta
    checks = [e for e in events if isinstance(e, ChecksDone)]
    assert [(c.proposed, [o.passed for o in c.outcomes]) for c in checks] == [
        ("escalate", [False]),
        ("accept", [True]),
    ]
    first = next(e for e in events if isinstance(e, AttemptStarted))
    assert first.warm is False  # a sim model is cold until its first call
    assert decided(events)[0].simulated is True


async def test_a_provider_error_escalates_with_verdict_error() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p"}],
        {"broken": sim(respond="no_such_module_xyz:answer"), "ok": sim("fine")},
        chain=["broken", "ok"],
        retries=1,
    )
    events = await run_all(make_runner(task))
    first, *rest = decided(events)
    assert first.verdict == "error" and first.complete is False
    assert first.error is not None and "no_such_module_xyz" in first.error
    # A configuration error is not retried on the same model: it moves up at once.
    assert first.next == "escalate"
    assert [d.model for d in rest] == ["ok"]
    assert finished(events).status == "accepted"
