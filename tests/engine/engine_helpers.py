"""Building tasks and running them in engine tests (sim models, FakeServer, scripted deciders)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.decisions import Action, Decider, Decision
from escalatui.engine.events import (
    AttemptDecided,
    AttemptStarted,
    AwaitingDecision,
    Event,
    RunFinished,
)
from escalatui.engine.runner import Runner


def make_task(steps: list[dict[str, Any]], models: dict[str, Any], **fields: Any) -> Task:
    """A validated Task (the schema's own checks apply)."""
    return Task.model_validate({"name": "t", "steps": steps, "models": models, **fields})


def sim(*responses: str, **fields: Any) -> dict[str, Any]:
    """A simulated model answering `responses` in turn (the last repeats)."""
    return {"provider": "sim", "responses": list(responses), **fields}


def served(base_url: str, model: str, **fields: Any) -> dict[str, Any]:
    """An OpenAI-compatible model on a FakeServer."""
    return {"provider": "openai", "base_url": base_url, "model": model, **fields}


def contains(text: str, feedback: str | None = None) -> dict[str, Any]:
    check: dict[str, Any] = {"kind": "contains", "text": text}
    if feedback is not None:
        check["feedback"] = feedback
    return check


class ScriptedDecider:
    """Answers from a fixed list; records every request it saw."""

    def __init__(self, decisions: Iterable[Decision | Action]) -> None:
        self._decisions = [d if isinstance(d, Decision) else Decision(d) for d in decisions]
        self.requests: list[AwaitingDecision] = []

    async def decide(self, request: AwaitingDecision) -> Decision:
        self.requests.append(request)
        if not self._decisions:
            raise AssertionError(f"no scripted decision left for {request}")
        return self._decisions.pop(0)


def make_runner(task: Task, decider: Decider | None = None, **kw: Any) -> Runner:
    return Runner(task, ClientPool(task.models), decider=decider, run_id="r1", **kw)


async def run_all(runner: Runner) -> list[Event]:
    """Every event of the run, in order; clients closed afterwards."""
    try:
        return [event async for event in runner.events()]
    finally:
        await runner.pool.aclose()


def decided(events: list[Event]) -> list[AttemptDecided]:
    return [e for e in events if isinstance(e, AttemptDecided)]


def started(events: list[Event]) -> list[AttemptStarted]:
    return [e for e in events if isinstance(e, AttemptStarted)]


def finished(events: list[Event]) -> RunFinished:
    last = events[-1]
    assert isinstance(last, RunFinished), last
    return last


def user_prompt(request_json: dict[str, Any]) -> str:
    """The user message a FakeServer received."""
    return str(next(m["content"] for m in request_json["messages"] if m["role"] == "user"))
