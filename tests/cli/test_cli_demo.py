"""The bundled demo's task, checker and simulated strong tier (the real model: tests/embedded)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from cli_helpers import escalatui

from escalatui.clients.base import ChatClient
from escalatui.clients.registry import ClientPool
from escalatui.clients.sim import SimClient
from escalatui.config.models import ModelSpec
from escalatui.demo import check_answer, demo_note, demo_task, evaluate, solve
from escalatui.engine.events import AttemptDecided, RunFinished
from escalatui.engine.runner import Runner

pytestmark = pytest.mark.timeout(30)


def test_demo_tiers_depend_on_the_openrouter_key(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = demo_task()
    assert loaded.task.chain == ["smollm2", "strong-sim"]
    assert loaded.task.models["smollm2"].provider == "embedded"
    assert loaded.task.models["strong-sim"].provider == "sim"
    assert "SIMULATED" in demo_note(loaded)
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-test-not-real")
    keyed = demo_task()
    assert keyed.task.chain == ["smollm2", "strong-openrouter"]
    assert keyed.task.models["strong-openrouter"].provider == "openrouter"
    assert "SIMULATED" not in demo_note(keyed)


def test_checker_and_simulated_solver() -> None:
    context = {"input": "What is 17 * 23?"}
    assert evaluate("What is 17 × 23?") == 391
    assert evaluate("What is 3 + 5 * 2?") == 13
    assert evaluate("Write a poem") is None
    assert check_answer('{"answer": 391}', context) is None
    assert check_answer('```json\n{"answer": 391.0}\n```', context) is None
    wrong = check_answer('{"answer": 23}', context)
    assert wrong is not None and "23 is wrong" in wrong
    assert check_answer("not json", context) is None  # the json check reports that
    assert check_answer('{"answer": 1}', {"input": "Write a poem"}) is None
    prompt = "Question: What is 17 * 23?\nReply with JSON.\n\nPrevious attempt failed:\n- 5 * 5"
    assert json.loads(solve([{"role": "user", "content": prompt}])) == {"answer": 391}


async def test_demo_flow_with_a_stand_in_for_the_local_model() -> None:
    # The embedded tier replaced by a sim that answers like SmolLM2 does: wrong, then chatty.
    def fake_local(spec: ModelSpec, keys: Mapping[str, str]) -> ChatClient:
        wrong = ['{"answer": 23}', 'Sure! ```json\n{"answer": 23}\n``` is the answer.']
        return SimClient(spec.model_copy(update={"provider": "sim", "responses": wrong}))

    loaded = demo_task()
    pool = ClientPool(loaded.task.models, factories={"embedded": fake_local})
    runner = Runner(loaded.task, pool, task_path=loaded.path)
    events = [e async for e in runner.events()]
    await pool.aclose()
    records = [e for e in events if isinstance(e, AttemptDecided)]
    assert [(r.model, r.verdict) for r in records] == [
        ("smollm2", "retry"),
        ("smollm2", "escalate"),
        ("strong-sim", "accept"),
    ]
    assert "23 is wrong" in (records[0].feedback or "")
    assert "23 is wrong" in records[1].prompt  # the feedback reached the next attempt
    assert (records[1].feedback or "").count("Reply with only a JSON object") == 1
    assert "Reply with only a JSON object" in records[2].prompt
    assert records[2].simulated is True
    run = events[-1]
    assert isinstance(run, RunFinished) and run.status == "accepted"
    assert json.loads(run.output) == {"answer": 391}


def test_validate_the_bundled_demo_task() -> None:
    from escalatui import paths

    done = escalatui("validate", paths.examples_dir() / "demo.toml")
    assert done.returncode == 0 and done.stdout.strip().endswith("demo.toml: ok")


def test_version() -> None:
    done = escalatui("--version")
    assert done.returncode == 0 and done.stdout.startswith("escalatui ")
