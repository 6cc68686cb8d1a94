"""A reply that is only a tool call is not an (empty) answer; text plus a tool call keeps the
text and says the call was dropped. A `usage.cost` that is not a finite cost >= 0 is unknown,
with a notice, never NaN or negative."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from client_helpers import client_for, collect, serve
from fakeserver import FakeServer, Reply

from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.events import AttemptDecided, Event
from escalatui.engine.runner import Runner

pytestmark = pytest.mark.timeout(30)
server = pytest.fixture(serve, name="server")
TOOL_ERROR = "the model answered with a tool call (get_weather), which this task did not ask for"


def plain(body: dict[str, Any]) -> Reply:
    return Reply.error(200, body)


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "plain-json"])
async def test_a_tool_call_only_reply_is_incomplete(server: FakeServer, stream: bool) -> None:
    reply = Reply.tool_call("get_weather")
    if not stream:  # a server that answers with one JSON body although we asked for a stream
        message = {"role": "assistant", "content": None}
        call = {"id": "c1", "type": "function"}
        call["function"] = {"name": "get_weather", "arguments": "{}"}  # type: ignore[assignment]
        message["tool_calls"] = [call]  # type: ignore[assignment]
        reply = plain(
            {"choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}
        )
    server.enqueue(reply)
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.text == ""
    assert out.error is not None and TOOL_ERROR in str(out.error)
    assert str(out.error).endswith(TOOL_ERROR)


async def test_the_legacy_function_call_shape_is_a_tool_call_too(server: FakeServer) -> None:
    delta = {"function_call": {"name": "lookup", "arguments": "{}"}}
    data = json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": "function_call"}]})
    server.enqueue(Reply.raw(f"data: {data}\n\ndata: [DONE]\n\n"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and "a tool call (lookup)" in str(out.error)


async def test_text_plus_a_tool_call_keeps_the_text_and_says_so(server: FakeServer) -> None:
    server.enqueue(Reply.tool_call("get_weather", content="It is sunny in Paris."))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is None
    assert out.text == "It is sunny in Paris."
    assert any("tool call (get_weather)" in i and "dropped" in i for i in out.infos)


async def test_the_engine_moves_on_after_a_tool_call_only_reply(server: FakeServer) -> None:
    server.enqueue(Reply.tool_call("get_weather"), model="tooly")
    server.enqueue(Reply.text("the answer"), model="plain")
    models = {
        name: {"provider": "openai", "base_url": server.base_url, "model": name, "timeout_s": 5}
        for name in ("tooly", "plain")
    }
    step = {"name": "s", "prompt": "p", "checks": [{"kind": "contains", "text": "answer"}]}
    task = Task.model_validate(
        {"name": "t", "chain": ["tooly", "plain"], "models": models, "steps": [step]}
    )
    runner = Runner(task, ClientPool(task.models), run_id="r1")
    events: list[Event] = []
    try:
        events = [event async for event in runner.events()]
    finally:
        await runner.pool.aclose()
    decided = [e for e in events if isinstance(e, AttemptDecided)]
    assert [d.model for d in decided] == ["tooly", "plain"]
    assert decided[0].complete is False
    assert TOOL_ERROR in (decided[0].error or "")
    assert decided[1].complete is True and decided[1].output == "the answer"


@pytest.mark.parametrize(
    "cost",
    ["NaN", "Infinity", "-Infinity", "-1", '"0.1"', "true", "[]", "{}", "1e999"],
)
async def test_a_cost_that_is_not_a_cost_is_unknown(server: FakeServer, cost: str) -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}
    usage = f'{{"prompt_tokens": 3, "completion_tokens": 1, "cost": {cost}}}'
    body = f'data: {json.dumps(chunk)}\n\ndata: {{"choices": [], "usage": {usage}}}\n\n'
    server.enqueue(Reply.raw(body + "data: [DONE]\n\n"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.text == "hi"
    assert out.usage is not None and out.usage.cost_usd is None
    assert out.usage.prompt_tokens == 3  # the rest of usage still counts
    assert any("usage.cost" in i and "unknown" in i for i in out.infos)


@pytest.mark.parametrize("cost", [0, 0.0, 1.62e-05, 3])
async def test_a_real_cost_is_kept_exactly(server: FakeServer, cost: float) -> None:
    server.enqueue(Reply.text("hi", usage={"prompt_tokens": 1, "cost": cost}))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.usage is not None and out.usage.cost_usd == cost
    assert out.usage.cost_usd is not None and math.isfinite(out.usage.cost_usd)
    assert not any("usage.cost" in i for i in out.infos)


async def test_a_bad_cost_in_a_plain_json_answer(server: FakeServer) -> None:
    choice = {"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}
    server.enqueue(
        Reply.error(200, '{"choices": [' + json.dumps(choice) + '], "usage": {"cost": NaN}}')
    )
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.usage is not None and out.usage.cost_usd is None
    assert any("usage.cost NaN" in i for i in out.infos)
