"""Producing real session logs: sim-model tasks run by the engine into a SessionWriter."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.drive import drive
from escalatui.engine.events import Event, RunFinished
from escalatui.engine.runner import Runner
from escalatui.session import SessionWriter
from escalatui.session.resolve import resolved


def sim_task(*responses: str, checks: list[dict[str, Any]] | None = None, **fields: Any) -> Task:
    """One step on a chain of two sim models: `cheap` answers `responses`, `strong` says 'fn ok'."""
    return Task.model_validate(
        {
            "name": "demo task",
            "input": "fn add",
            "chain": ["cheap", "strong"],
            "models": {
                "cheap": {"provider": "sim", "responses": list(responses), "cost_usd": 0.001},
                "strong": {"provider": "sim", "responses": ["fn ok"], "cost_usd": 0.01},
            },
            "steps": [
                {
                    "name": "write",
                    "prompt": "Write {input}",
                    "checks": checks
                    if checks is not None
                    else [{"kind": "contains", "text": "fn"}],
                }
            ],
            **fields,
        }
    )


async def run_logged(
    directory: Path,
    task: Task,
    *,
    secrets: Iterable[str] = (),
    after: Callable[[SessionWriter, Event], None] | None = None,
    **runner_kw: Any,
) -> tuple[SessionWriter, RunFinished]:
    """Run `task` to the end with a SessionWriter in `directory`; `after(writer, event)` is
    called once the writer has handled each event."""
    writer = SessionWriter(directory, secrets)
    writer.check_writable()
    runner = Runner(task, ClientPool(task.models), **runner_kw)

    def log(event: Event) -> None:
        writer.handle(event)
        if after is not None:
            after(writer, event)

    try:
        finished = await drive(runner, [log])
    finally:
        writer.close()
    return writer, finished


def records(path: Path) -> list[dict[str, Any]]:
    """Every line of a session file as JSON (all must parse), each text put back where the
    file holds it once (what a reader sees)."""
    return resolved([json.loads(line) for line in path.read_bytes().splitlines()])


def raw_records(path: Path) -> list[dict[str, Any]]:
    """Every line of a session file as JSON, as written (texts held once)."""
    return [json.loads(line) for line in path.read_bytes().splitlines()]
