"""Bytes the session log spends per attempt: schema 1 (every text written wherever an event
holds it) against the current schema (each text once, referred to elsewhere).

A real engine run on sim models produces the events; each answer's text is then fed to the
writer as ~4-character deltas on a clock that advances 20 ms per delta (a 50 token/s stream),
so the writer batches them (about every 100 ms) as it would live. Both writers see the same
events. Run: python tests/bench/bench_session_bytes.py [--n 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.drive import drive
from escalatui.engine.events import Delta, Event
from escalatui.engine.runner import Runner
from escalatui.session import writer as writer_module
from escalatui.session.writer import SessionWriter

DELTA_CHARS = 4
DELTA_EVERY_S = 0.02


class Schema1Writer(SessionWriter):
    """Writes what escalatui wrote before each text was stored once (schema 1)."""

    schema = 1

    def _shorten(self, record: dict[str, Any]) -> dict[str, Any]:
        return record


def task(answer: str, attempts: int) -> Task:
    """Two sim tiers that always give `answer`; a check it never passes, so the run makes
    `attempts` attempts (half on each tier) and fails."""
    model = {"provider": "sim", "responses": [answer], "cost_usd": 0.001}
    return Task.model_validate(
        {
            "name": "bytes",
            "input": "Write about logs.",
            "chain": ["cheap", "strong"],
            "retries": attempts // 2 - 1,
            "models": {"cheap": model, "strong": model},
            "steps": [
                {
                    "name": "write",
                    "prompt": "Write a long answer.\n{input}",
                    "checks": [{"kind": "contains", "text": "NEVER-THERE"}],
                }
            ],
        }
    )


async def engine_events(t: Task) -> list[Event]:
    events: list[Event] = []
    await drive(Runner(t, ClientPool(t.models)), [events.append])
    return events


def split_deltas(events: list[Event]) -> list[Event]:
    """Each Delta cut into DELTA_CHARS-character deltas, as a token stream yields them."""
    out: list[Event] = []
    for e in events:
        if isinstance(e, Delta):
            out.extend(
                Delta(step_index=e.step_index, attempt=e.attempt, text=e.text[i : i + DELTA_CHARS])
                for i in range(0, len(e.text), DELTA_CHARS)
            )
        else:
            out.append(e)
    return out


def bytes_written(cls: type[SessionWriter], events: list[Event]) -> int:
    clock = [0.0]
    fake = types.SimpleNamespace(
        monotonic=lambda: clock[0], strftime=time.strftime, gmtime=time.gmtime
    )
    real, writer_module.time = writer_module.time, fake  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            writer = cls(Path(tmp))
            for e in events:
                if isinstance(e, Delta):
                    clock[0] += DELTA_EVERY_S
                writer.handle(e)
            writer.close()
            assert writer.path is not None and writer.failed is None, writer.failed
            return writer.path.stat().st_size
    finally:
        writer_module.time = real


async def case(name: str, answer: str, attempts: int) -> None:
    events = split_deltas(await engine_events(task(answer, attempts)))
    old = bytes_written(Schema1Writer, events) / attempts
    new = bytes_written(SessionWriter, events) / attempts
    print(
        f"{name:34} schema 1: {old:8.0f} B/attempt   schema {writer_module.SCHEMA}: "
        f"{new:8.0f} B/attempt   ratio {new / old:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="attempts per run (even, <= 42)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {args.n} attempts per run")
    long_answer = ("fn log(event) writes one line; " * 70)[:2048]
    await case(f"~2 KB answers in {DELTA_CHARS}-char deltas", long_answer, args.n)
    await case("short answers (one delta)", "fn ok", args.n)


if __name__ == "__main__":
    asyncio.run(main())
