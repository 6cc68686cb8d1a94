"""Schema 2: each answer and prompt is written once and referred to; replay sees the same
events as from a schema-1 file; damaged references are reported by line, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from session_helpers import raw_records, records, run_logged, sim_task

from escalatui.cli import main
from escalatui.engine.events import AttemptEnded, AttemptStarted, Delta, RunStarted, Tier
from escalatui.session import SessionWriter, list_sessions, read_session
from escalatui.session import writer as writer_module
from escalatui.stats import collect, history_from_sessions

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "schema1-sample.jsonl"
"""Written by escalatui's schema-1 writer: two steps, an escalation a person approved, deltas,
non-ASCII text. Its replay as that escalatui printed it is beside it (*.headless.txt and
*.json.txt)."""


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("mode", ["headless", "json"])
def test_a_schema_1_file_replays_as_before(capsys, mode: str) -> None:
    code, out, err = cli(capsys, "replay", f"--{mode}", str(SAMPLE))
    assert (code, err) == (0, "")
    assert out == (DATA / f"schema1-sample.{mode}.txt").read_text(encoding="utf-8")


def rewrite(events: list, directory: Path) -> Path:
    writer = SessionWriter(directory)
    for event in events:
        writer.handle(event)
    writer.close()
    assert writer.path is not None and writer.failed is None
    return writer.path


def test_a_schema_1_file_written_again_as_schema_2_replays_the_same_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "DELTA_FLUSH_S", 0.0)  # one record per delta, as read
    old = read_session(SAMPLE)
    assert old.problems == [] and old.schema == 1
    path = rewrite(old.events, tmp_path)
    new = read_session(path)
    assert new.problems == [] and new.schema == 2
    assert new.events == old.events
    assert path.stat().st_size < SAMPLE.stat().st_size


def test_a_schema_1_attempt_without_a_prompt_keeps_an_empty_prompt(tmp_path: Path) -> None:
    """Schema 1 left a missing prompt empty; schema 2 would take attempt_started's."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        record = json.loads(line)
        if record["type"] == "attempt":
            del record["prompt"]
        out.append(json.dumps(record))
    path = tmp_path / "old.jsonl"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    result = read_session(path)
    attempts = [r for r in result.records if r["type"] == "attempt"]
    assert result.problems == [] and [a["prompt"] for a in attempts] == ["", "", ""]


async def test_each_answer_and_prompt_is_written_once(tmp_path: Path) -> None:
    task = sim_task("ANSWER-ONE", "ANSWER-TWO", feedback_template="Fix it: {feedback}", retries=1)
    writer, finished = await run_logged(tmp_path, task)
    assert writer.path is not None and finished.status == "accepted"
    # After the session record (whose task holds the sim models' answers too).
    text = writer.path.read_text(encoding="utf-8").split("\n", 1)[1]
    # Each answer twice: streamed in its deltas and in its attempt record (the record readers of
    # the raw file use); the accepted one once more in the run record. Schema 1 wrote it 6 times.
    for answer in ("ANSWER-ONE", "ANSWER-TWO"):
        assert text.count(answer) == 2, answer
    assert text.count("fn ok") == 3
    assert text.count("Write fn add") == 3  # three prompts, each once (the retries add feedback)
    raw = {r["type"]: r for r in raw_records(writer.path)}
    assert (
        "output" not in raw["attempt_ended"] and "output" not in raw["awaiting"]
        if "awaiting" in raw
        else "output" not in raw["attempt_ended"]
    )
    assert raw["attempt"]["output"] == "fn ok"
    assert "prompt" not in raw["attempt"]
    assert raw["step_finished"]["output_of"] == {"step_index": 0, "attempt": 3}
    assert raw["run"]["output"] == "fn ok"
    assert raw["run"]["outputs_of"] == {"write": {"step_index": 0, "attempt": 3}}
    # What a reader sees: every text back in place.
    attempts = [r for r in records(writer.path) if r["type"] == "attempt"]
    assert [a["output"] for a in attempts] == ["ANSWER-ONE", "ANSWER-TWO", "fn ok"]
    assert attempts[0]["prompt"] == "Write fn add"
    assert attempts[1]["prompt"].startswith("Write fn add") and "Fix it:" in attempts[1]["prompt"]
    run = records(writer.path)[-1]
    assert (run["output"], run["outputs"]) == ("fn ok", {"write": "fn ok"})


TIER = Tier(index=0, model="m", provider="sim", provider_model="(default)", label="m")


def started(run_id: str = "r1") -> list:
    return [
        RunStarted(
            run_id=run_id,
            task_name="t",
            task_path=None,
            started_at="2026-01-01T00:00:00Z",
            input="",
            approval="auto",
            budget_usd=None,
            steps=("s",),
        ),
        AttemptStarted(
            step="s", step_index=0, attempt=1, tier=TIER, warm=None, started_at="", prompt="p"
        ),
    ]


def ended(output: str) -> AttemptEnded:
    return AttemptEnded(
        step_index=0, attempt=1, output=output, complete=True, error=None, duration_ms=1, ttft_ms=1
    )


def test_an_answer_not_streamed_as_deltas_is_written_in_attempt_ended(tmp_path: Path) -> None:
    events = [*started(), Delta(step_index=0, attempt=1, text="par"), ended("partial answer")]
    path = rewrite(events, tmp_path)
    raw = raw_records(path)
    assert raw[-1]["type"] == "attempt_ended" and raw[-1]["output"] == "partial answer"
    assert read_session(path).events[-1] == events[-1]


def test_a_secret_split_over_deltas_is_redacted_in_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "DELTA_FLUSH_S", 0.0)
    writer = SessionWriter(tmp_path, secrets=["sk-SECRET"])
    for event in [
        *started(),
        Delta(step_index=0, attempt=1, text="key sk-SE"),
        Delta(step_index=0, attempt=1, text="CRET end"),
        ended("key sk-SECRET end"),
    ]:
        writer.handle(event)
    writer.close()
    assert writer.path is not None
    [event] = [e for e in read_session(writer.path).events if isinstance(e, AttemptEnded)]
    assert event.output == "key [redacted] end"


async def test_a_damaged_reference_is_reported_with_its_line(tmp_path: Path, capsys) -> None:
    writer, _ = await run_logged(tmp_path, sim_task("fn a"))
    assert writer.path is not None
    lines = writer.path.read_text(encoding="utf-8").splitlines()
    kinds = [json.loads(line)["type"] for line in lines]
    damage = {
        "step_finished": {"output_of": "x"},
        "run": {"output_of": {"step_index": 9, "attempt": 9}},
        "delta": {"text": 5},
    }
    for i, line in enumerate(lines):
        kind = json.loads(line)["type"]
        if kind in damage:
            lines[i] = json.dumps(json.loads(line) | damage[kind])
    writer.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_session(writer.path)
    number = {kind: kinds.index(kind) + 1 for kind in damage}
    assert result.problems == [
        f"line {number['delta']}: damaged delta record (field 'text' has the wrong type "
        "(a number)); skipped",
        f"line {number['step_finished']}: damaged step_finished record (field 'output_of' is "
        "not a reference to an attempt); skipped",
        f"line {number['run']}: damaged run record (field 'output_of' refers to step 9 attempt "
        "9, whose answer is not in the file); skipped",
    ]
    code, out, err = cli(capsys, "replay", "--headless", str(writer.path))
    assert code == 0 and "Traceback" not in err and "-> accept" in out


def test_events_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Delta(0, 1, "x")  # type: ignore[misc]


def test_stats_and_history_read_both_schemas_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    (one / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    rewrite(read_session(SAMPLE).events, two)
    old, new = collect([one]).as_dict(), collect([two]).as_dict()
    assert old == new and old["sessions"] == 1 and old["problems"] == []
    assert [(m["model"], m["attempts"], m["accepted"]) for m in new["models"]] == [
        ("cheap", 1, 0),
        ("strong", 1, 1),
        ("cheap", 1, 1),
    ]
    history = history_from_sessions(two, "schema one sample")
    assert vars(history) == vars(history_from_sessions(one, "schema one sample"))
    assert history.figures("schema one sample", "write", "strong") == (1, 1)
    assert [list_sessions(d)[0].attempts for d in (one, two)] == [3, 3]
