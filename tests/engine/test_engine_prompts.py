"""Prompts as the server receives them: placeholders, literal braces, system prompts, feedback."""

from __future__ import annotations

import pytest
from engine_helpers import (
    contains,
    decided,
    finished,
    make_runner,
    make_task,
    run_all,
    served,
    sim,
    started,
    user_prompt,
)
from fakeserver import FakeServer, Reply

pytestmark = pytest.mark.timeout(30)


async def test_steps_run_in_order_with_every_placeholder(server: FakeServer) -> None:
    server.enqueue(Reply.text("ALPHA"), Reply.text("BETA"), Reply.text("GAMMA"))
    task = make_task(
        [
            {"name": "draft", "prompt": 'Q: {input} as {{"json": true}}'},
            {"name": "review", "prompt": "prev={previous} draft={steps.draft} }}{{"},
            {"name": "final", "prompt": "{previous}|{steps.draft}|{steps.review}|{input}"},
        ],
        {"m": served(server.base_url, "model-x", temperature=0.3, max_tokens=77)},
        chain=["m"],
        input="default input",
    )
    events = await run_all(make_runner(task, input="hello {x}"))

    bodies = [r.json for r in server.chat_requests]
    assert [user_prompt(b) for b in bodies] == [
        'Q: hello {x} as {"json": true}',
        "prev=ALPHA draft=ALPHA }{",
        "BETA|ALPHA|BETA|hello {x}",
    ]
    assert all(b["model"] == "model-x" and b["stream"] is True for b in bodies)
    assert bodies[0]["temperature"] == 0.3 and bodies[0]["max_tokens"] == 77
    run = finished(events)
    assert run.status == "accepted"
    assert run.output == "GAMMA"
    assert run.outputs == {"draft": "ALPHA", "review": "BETA", "final": "GAMMA"}
    assert [d.step for d in decided(events)] == ["draft", "review", "final"]
    assert [d.step_index for d in decided(events)] == [0, 1, 2]


async def test_task_default_input_and_system_prompts(server: FakeServer) -> None:
    server.enqueue(Reply.text("one"), Reply.text("two"))
    task = make_task(
        [
            {"name": "a", "prompt": "{input}"},
            {"name": "b", "prompt": "{previous}", "system": "step system"},
        ],
        {"m": served(server.base_url, "m")},
        chain=["m"],
        input="the default",
        system="task system",
    )
    await run_all(make_runner(task))
    first, second = (r.json["messages"] for r in server.chat_requests)
    assert first == [
        {"role": "system", "content": "task system"},
        {"role": "user", "content": "the default"},
    ]
    assert second[0] == {"role": "system", "content": "step system"}
    assert second[1]["content"] == "one"


async def test_tier1_feedback_reaches_tier2_prompt(server: FakeServer) -> None:
    server.enqueue(Reply.text("I think it is 41"), model="cheap-model")
    server.enqueue(Reply.text("It is 42"), model="strong-model")
    task = make_task(
        [
            {
                "name": "answer",
                "prompt": "What is 6*7? {input}",
                "checks": [contains("42", "CANARY-FEEDBACK: the answer must be 42")],
            }
        ],
        {
            "cheap": served(server.base_url, "cheap-model"),
            "strong": served(server.base_url, "strong-model"),
        },
        chain=["cheap", "strong"],
    )
    events = await run_all(make_runner(task))

    tier1, tier2 = server.chat_requests
    assert tier1.json["model"] == "cheap-model" and tier2.json["model"] == "strong-model"
    assert "CANARY" not in user_prompt(tier1.json)
    prompt2 = user_prompt(tier2.json)
    assert prompt2.startswith("What is 6*7? \n\nPrevious attempt failed:\n")
    assert "- CANARY-FEEDBACK: the answer must be 42" in prompt2
    assert "I think it is 41" in prompt2  # the previous answer, so the model can fix it
    first, second = decided(events)
    assert (first.model, first.verdict, first.decided_by) == ("cheap", "escalate", "checks")
    assert first.feedback == "- CANARY-FEEDBACK: the answer must be 42"
    assert (second.model, second.tier, second.verdict) == ("strong", 1, "accept")
    assert second.prompt == prompt2
    assert finished(events).status == "accepted"


async def test_feedback_template_override() -> None:
    task = make_task(
        [{"name": "s", "prompt": "P", "checks": [contains("ok", "say ok")]}],
        {"m": sim("bad", "ok")},
        chain=["m"],
        retries=1,
        feedback_template="FIX {{this}}: {feedback} / WAS: {answer}",
    )
    events = await run_all(make_runner(task))
    prompts = [s.prompt for s in started(events)]
    assert prompts == ["P", "P\n\nFIX {this}: - say ok / WAS: bad"]
    assert finished(events).status == "accepted"


async def test_answer_with_braces_is_not_reparsed(server: FakeServer) -> None:
    # A previous answer full of braces goes into the next prompt verbatim.
    server.enqueue(Reply.text("{steps.x} {input} }{"), Reply.text("done"))
    task = make_task(
        [{"name": "a", "prompt": "go"}, {"name": "b", "prompt": "<{previous}>"}],
        {"m": served(server.base_url, "m")},
        chain=["m"],
    )
    await run_all(make_runner(task))
    assert user_prompt(server.chat_requests[1].json) == "<{steps.x} {input} }{>"
