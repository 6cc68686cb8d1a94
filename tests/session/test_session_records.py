"""What a session log holds (docs/reference.md, "Session log"): the session record first with
the resolved task and no secrets, every attempt field with its type, the run record last,
deltas batched."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import pytest
from session_helpers import records, run_logged, sim_task
from spec_fields import ATTEMPT_FIELDS

from escalatui.config.models import ModelSpec
from escalatui.session import read_session

CANARY = "sk-or-v1-CANARY-do-not-log-0123456789"


async def test_first_record_is_the_session_with_the_resolved_task(tmp_path: Path) -> None:
    writer, _ = await run_logged(tmp_path, sim_task("fn a"), input="fn mul", run_id="abc123")
    assert writer.path is not None and writer.path.parent == tmp_path
    first = records(writer.path)[0]
    assert first["type"] == "session" and first["schema"] == 2
    assert first["run_id"] == "abc123" and first["task_name"] == "demo task"
    assert first["input"] == "fn mul"  # the input this run used, not the file's default
    assert first["steps"] == ["write"]
    task = first["task"]
    assert task["models"]["cheap"]["provider"] == "sim"
    assert task["steps"][0]["checks"] == [
        {"kind": "contains", "text": "fn", "ignore_case": False, "feedback": None}
    ]
    datetime.fromisoformat(first["started_at"])


async def test_every_attempt_field_is_present_with_its_type(tmp_path: Path) -> None:
    writer, _ = await run_logged(tmp_path, sim_task("no keyword"))
    assert writer.path
    attempts = [r for r in records(writer.path) if r["type"] == "attempt"]
    assert len(attempts) == 2
    for record in attempts:
        for name, types in ATTEMPT_FIELDS.items():
            assert name in record, name
            value = record[name]
            assert isinstance(value, types) and not (
                bool not in types and isinstance(value, bool)
            ), (name, value)
        assert record["verdict"] in ("accept", "retry", "escalate", "error", "rejected")
        assert record["decided_by"] in ("checks", "human", "policy")
        datetime.fromisoformat(record["started_at"])
    cheap, strong = attempts
    assert (cheap["model"], cheap["tier"], cheap["verdict"]) == ("cheap", 0, "escalate")
    assert cheap["feedback"] == "- The answer must contain 'fn'."
    assert (strong["model"], strong["tier"], strong["verdict"]) == ("strong", 1, "accept")
    assert strong["output"] == "fn ok" and strong["complete"] is True
    assert cheap["cost_usd"] == pytest.approx(0.001)


async def test_run_record_is_last(tmp_path: Path) -> None:
    writer, finished = await run_logged(tmp_path, sim_task("no keyword"))
    assert writer.path
    last = records(writer.path)[-1]
    assert last["type"] == "run" and last["status"] == "accepted" == finished.status
    assert last["output"] == "fn ok"
    assert last["cost_usd"] == pytest.approx(0.011)


async def test_no_api_key_in_the_log_even_when_a_model_echoes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY)
    quoted = 'key"with\\quote-0123'
    task = sim_task(f"fn leaked {CANARY} and {quoted}")
    task = task.model_copy(
        update={"models": {**task.models, "paid": ModelSpec(provider="openrouter", model="x")}}
    )
    writer, _ = await run_logged(tmp_path, task, secrets=[CANARY, quoted], input=CANARY)
    assert writer.path
    raw = writer.path.read_bytes()
    assert CANARY.encode() not in raw
    assert json.dumps(quoted)[1:-1].encode() not in raw and quoted.encode() not in raw
    assert b"fn leaked [redacted] and [redacted]" in raw
    assert records(writer.path)[0]["task"]["models"]["paid"]["api_key_env"] is None


async def test_file_is_private(tmp_path: Path) -> None:
    writer, _ = await run_logged(tmp_path, sim_task("fn a"))
    assert writer.path and stat.S_IMODE(writer.path.stat().st_mode) == 0o600


async def test_deltas_are_batched_and_add_up_to_the_output(tmp_path: Path) -> None:
    answer = "fn " + "x" * 3000
    task = sim_task(answer)
    task = task.model_copy(
        update={
            "models": {
                **task.models,
                "cheap": task.models["cheap"].model_copy(update={"chunk_chars": 1}),
            }
        }
    )
    writer, _ = await run_logged(tmp_path, task)
    assert writer.path
    deltas = [r for r in records(writer.path) if r["type"] == "delta"]
    assert 1 <= len(deltas) < 100  # 3003 one-character deltas, batched
    assert "".join(d["text"] for d in deltas) == answer
    assert {(d["step_index"], d["attempt"]) for d in deltas} == {(0, 1)}


async def test_lone_surrogates_are_logged_and_read_back(tmp_path: Path) -> None:
    broken = "fn bad \ud800 bytes \udcff end"
    writer, _ = await run_logged(tmp_path, sim_task(broken))
    assert writer.path
    writer.path.read_bytes().decode("utf-8")  # the file itself stays valid UTF-8
    result = read_session(writer.path)
    assert result.problems == []
    [attempt] = [r for r in result.records if r["type"] == "attempt"]
    assert attempt["output"] == broken


async def test_invalid_utf8_bytes_in_a_log_are_read_not_fatal(tmp_path: Path) -> None:
    writer, _ = await run_logged(tmp_path, sim_task("fn a"))
    assert writer.path
    with open(writer.path, "ab") as f:
        f.write(b'{"type": "notice", "message": "caf\xe9 \xff", "level": "info"}\n')
    result = read_session(writer.path)
    assert result.problems == []
    assert result.records[-1]["message"] == "caf\udce9 \udcff"
