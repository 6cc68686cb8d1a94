"""Every JSON the product writes is strict JSON: a NaN or an infinity anywhere in a record is
written as null, so any JSON reader (not only Python's) can read the log, `--json` and
`sessions --json`."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from session_helpers import run_logged, sim_task

from escalatui.cli import main
from escalatui.engine.events import (
    AttemptDecided,
    CheckOutcome,
    Event,
    RunFinished,
    RunStarted,
    Tier,
)
from escalatui.headless import HeadlessPrinter
from escalatui.session import SessionWriter
from escalatui.session.writer import encode

NAN, INF = float("nan"), float("inf")


def strict(text: str) -> Any:
    """Parse as a strict JSON reader would: NaN, Infinity and -Infinity are errors."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def garbage_events() -> list[Event]:
    """A run whose every float field holds a number JSON does not have."""
    tier = Tier(index=0, model="m", provider="openrouter", provider_model="x/y", label="m")
    return [
        RunStarted(
            run_id="r1",
            task_name="t",
            task_path=None,
            started_at="2026-01-01T00:00:00Z",
            input="",
            approval="auto",
            budget_usd=INF,
            steps=("s",),
            task={"deep": [NAN, -INF]},
        ),
        AttemptDecided(
            step="s",
            step_index=0,
            attempt=1,
            tier=tier.index,
            model="m",
            provider="openrouter",
            provider_model="x/y",
            warm=None,
            started_at="2026-01-01T00:00:00Z",
            duration_ms=1,
            ttft_ms=None,
            prompt_tokens=1,
            completion_tokens=1,
            cost_usd=NAN,
            output="out",
            complete=True,
            error=None,
            verdict="accept",
            feedback=None,
            decided_by="checks",
            checks=(CheckOutcome(kind="judge", passed=True, cost_usd=-INF),),
        ),  # fmt: skip
        RunFinished(status="accepted", output="out", cost_usd=NAN, duration_ms=1, attempts=1),
    ]


def test_encode_writes_null_for_every_non_finite_float() -> None:
    record = {"a": NAN, "b": [INF, {"c": -INF, "d": (1.5, NAN)}], "e": "NaN"}
    assert strict(encode(record).decode()) == {
        "a": None,
        "b": [None, {"c": None, "d": [1.5, None]}],
        "e": "NaN",  # text is text
    }


def test_no_nan_or_infinity_reaches_the_session_file(tmp_path: Path) -> None:
    writer = SessionWriter(tmp_path)
    for event in garbage_events():
        writer.handle(event)
    writer.close()
    assert writer.failed is None and writer.path is not None
    text = writer.path.read_text(encoding="utf-8")
    session, attempt, run = (strict(line) for line in text.splitlines())
    assert session["budget_usd"] is None and session["task"] == {"deep": [None, None]}
    assert attempt["cost_usd"] is None and attempt["checks"][0]["cost_usd"] is None
    assert run["cost_usd"] is None


def test_headless_json_mode_prints_strict_json() -> None:
    out = io.StringIO()
    printer = HeadlessPrinter(out, json_mode=True)
    for event in garbage_events():
        printer(event)
    lines = [strict(line) for line in out.getvalue().splitlines()]
    assert [r["type"] for r in lines] == ["session", "attempt", "run"]
    assert lines[2]["cost_usd"] is None


async def test_sessions_json_and_text_survive_a_nan_in_a_log(
    session_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    writer, _ = await run_logged(session_dir, sim_task("fn a"), run_id="r9")
    assert writer.path is not None
    # a log written by something else (or an older version) with NaN as the run's cost
    lines = writer.path.read_text(encoding="utf-8").splitlines()
    run = json.loads(lines[-1])
    lines[-1] = json.dumps({**run, "cost_usd": NAN})
    assert "NaN" in lines[-1]
    writer.path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert main(["sessions", "--json"]) == 0
    (listed,) = strict(capsys.readouterr().out)
    assert listed["cost_usd"] is None
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "cost unknown" in out and "$nan" not in out
