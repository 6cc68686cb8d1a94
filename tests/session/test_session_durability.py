"""The log survives: readable while written, a torn last line skipped and never merged into,
two writers never interleave, a write failure mid-run leaves the run going."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest
from session_helpers import records, run_logged, sim_task

from escalatui.engine.events import Delta, Event, Notice, RunStarted
from escalatui.session import SessionWriter, read_session
from escalatui.session import writer as writer_module


async def test_each_record_is_on_disk_as_soon_as_it_is_handled(tmp_path: Path) -> None:
    seen: list[tuple[str, int, str]] = []

    def read_now(writer: SessionWriter, event: Event) -> None:
        if isinstance(event, Delta):
            return  # batched on purpose
        assert writer.path is not None
        result = read_session(writer.path)  # another reader, mid-run
        assert result.problems == []
        seen.append((type(event).__name__, len(result.records), result.records[-1]["type"]))

    await run_logged(tmp_path, sim_task("no keyword"), after=read_now)
    names = [name for name, _, _ in seen]
    assert names[0] == "RunStarted" and names[-1] == "RunFinished"
    counts = [count for _, count, _ in seen]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)  # one more each time
    assert seen[0][2] == "session" and seen[-1][2] == "run"
    assert ("AttemptDecided", counts[names.index("AttemptDecided")], "attempt") in seen


async def test_torn_last_line_is_reported_and_skipped(tmp_path: Path) -> None:
    writer, _ = await run_logged(tmp_path, sim_task("fn a"))
    assert writer.path
    whole = read_session(writer.path)
    with open(writer.path, "ab") as f:
        f.write(b'{"type": "attempt", "step": "wri')  # kill -9 mid-write
    result = read_session(writer.path)
    assert len(result.problems) == 1
    assert result.problems[0].endswith(
        "torn last line (the run was cut off or is still writing); skipped"
    )
    assert result.records == whole.records and len(result.events) == len(whole.events)


async def test_a_new_append_never_merges_into_a_torn_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "session_filename", lambda *a, **k: "same.jsonl")
    first, _ = await run_logged(tmp_path, sim_task("fn a"))
    assert first.path
    with open(first.path, "ab") as f:
        f.write(b'{"type": "attempt", "torn')
    second, _ = await run_logged(tmp_path, sim_task("fn b"))
    assert second.path == first.path
    lines = first.path.read_bytes().splitlines()
    torn = lines.index(b'{"type": "attempt", "torn')
    assert json.loads(lines[torn + 1])["type"] == "session"  # starts on its own line
    result = read_session(first.path)
    assert result.problems == [f"line {torn + 1}: not valid JSON; skipped"]
    assert [r["output"] for r in result.records if r["type"] == "run"] == ["fn a", "fn b"]


def _write_many(path: str, worker: int, count: int) -> None:
    """In a child process: many records, some long, into one shared file."""
    writer_module.session_filename = lambda *a, **k: Path(path).name  # type: ignore[assignment]
    writer = SessionWriter(Path(path).parent)
    writer.handle(
        RunStarted(
            run_id=f"w{worker}",
            task_name="t",
            task_path=None,
            started_at="now",
            input="",
            approval="auto",
            budget_usd=None,
            steps=("s",),
        )
    )
    for i in range(count):
        text = f"{worker}:{i}:" + chr(ord("a") + worker) * (1 + (i * 997) % 70_000)
        writer.handle(Notice(message=text))
    writer.close()


def test_two_processes_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "shared.jsonl"
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    procs = [context.Process(target=_write_many, args=(str(path), w, 300)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = path.read_bytes().splitlines()
    assert len(lines) == 2 * 301
    notices: dict[int, list[int]] = {0: [], 1: []}
    for line in lines:
        record = json.loads(line)  # every line whole
        if record["type"] == "notice":
            worker, index, body = record["message"].split(":", 2)
            assert set(body) == {chr(ord("a") + int(worker))}
            notices[int(worker)].append(int(index))
    assert notices == {0: list(range(300)), 1: list(range(300))}


async def test_a_write_failure_mid_run_keeps_the_run_going(tmp_path: Path) -> None:
    def disk_full_after_first_attempt(writer: SessionWriter, event: Event) -> None:
        if type(event).__name__ == "AttemptDecided" and writer._fd is not None:
            full = os.open("/dev/full", os.O_WRONLY)
            os.dup2(full, writer._fd)  # every later write fails with ENOSPC
            os.close(full)

    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    writer, finished = await run_logged(
        tmp_path, sim_task("no keyword"), after=disk_full_after_first_attempt
    )
    assert finished.status == "accepted" and finished.output == "fn ok"
    assert writer.failed and "No space left on device" in writer.failed
    assert writer.path and str(writer.path) in writer.failed
    kept = records(writer.path)
    assert kept[0]["type"] == "session" and kept[-1]["type"] == "attempt"


async def test_closing_twice_or_after_a_failure_never_raises(tmp_path: Path) -> None:
    writer, _ = await run_logged(tmp_path, sim_task("fn a"))
    writer.close()
    broken = SessionWriter(tmp_path)
    broken.handle(
        RunStarted(
            run_id="r",
            task_name="t",
            task_path=None,
            started_at="now",
            input="",
            approval="auto",
            budget_usd=None,
            steps=("s",),
        )
    )
    assert broken._fd is not None
    read_only = os.open(os.devnull, os.O_RDONLY)
    os.dup2(read_only, broken._fd)  # the writer's descriptor can no longer be written
    os.close(read_only)
    broken.handle(Notice(message="lost"))
    assert broken.failed and "Bad file descriptor" in broken.failed
    broken.close()
