"""`escalatui sessions`, `escalatui replay FILE --headless`, and an unwritable session dir
reported before anything runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from session_helpers import records, run_logged, sim_task

from escalatui.cli import main
from escalatui.session import SessionWriteError, SessionWriter, read_session

TASK = """
name = "cli task"
chain = ["cheap"]
[models.cheap]
provider = "sim"
responses = ["fn a"]
[[steps]]
name = "write"
prompt = "Write {input}"
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def two_sessions(directory: Path) -> tuple[Path, Path]:
    first, _ = await run_logged(directory, sim_task("no keyword"), run_id="first")
    second, _ = await run_logged(directory, sim_task("fn a"), run_id="second")
    assert first.path and second.path
    os.utime(first.path, (1_000_000, 1_000_000))  # clearly older
    return first.path, second.path


async def test_sessions_lists_runs_newest_first(session_dir: Path, capsys) -> None:
    first, second = await two_sessions(session_dir)
    code, out, err = cli(capsys, "sessions")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    assert str(second) in lines[0] and str(first) in lines[1]
    assert "accepted" in lines[0] and "  1 attempts" in lines[0] and "$0.0010" in lines[0]
    assert "  2 attempts" in lines[1] and "$0.0110" in lines[1] and "demo task" in lines[1]


async def test_sessions_json(session_dir: Path, capsys) -> None:
    first, second = await two_sessions(session_dir)
    code, out, _ = cli(capsys, "sessions", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [s["run_id"] for s in listed] == ["second", "first"]
    assert listed[1] == {
        "path": str(first),
        "run_id": "first",
        "task": "demo task",
        "started_at": records(first)[0]["started_at"],
        "status": "accepted",
        "cost_usd": pytest.approx(0.011),
        "attempts": 2,
        "cost_unknown": False,
    }


async def test_sessions_shows_unfinished_and_survives_damage(
    session_dir: Path, tmp_path: Path, capsys
) -> None:
    assert cli(capsys, "sessions") == (0, "no sessions yet\n", "")
    writer, _ = await run_logged(session_dir, sim_task("fn a"), run_id="cut")
    assert writer.path
    data = writer.path.read_bytes().splitlines(keepends=True)
    writer.path.write_bytes(b"".join(data[:-1]) + data[-1][:10])  # the run record torn
    (session_dir / "junk.jsonl").write_bytes(b"\xff\xfe not json\n[1, 2]\n")
    (session_dir / "weird.jsonl").write_text('{"type": "run", "cost_usd": "lots"}\n')
    code, out, _ = cli(capsys, "sessions", "--json")
    assert code == 0
    by_id = {s["run_id"]: s for s in json.loads(out)}
    assert by_id["cut"]["status"] == "unfinished"
    assert by_id["?"]["cost_usd"] is None
    code, out, _ = cli(capsys, "sessions", "--session-dir", str(tmp_path / "elsewhere"))
    assert (code, out) == (0, "no sessions yet\n")


async def test_replay_headless_prints_the_attempts(session_dir: Path, capsys) -> None:
    path, _ = await two_sessions(session_dir)
    code, out, err = cli(capsys, "replay", str(path), "--headless")
    assert code == 0 and err == ""
    assert "[write] #1 tier 1 cheap (sim, simulated, cold)" in out
    assert "-> escalate\n" in out and "The answer must contain 'fn'." in out
    assert "[write] #2 tier 2 strong (sim, simulated, cold)" in out and "-> accept" in out
    assert "run accepted: 2 attempt(s)" in out and out.endswith("--- output ---\nfn ok\n")


async def test_replay_json_prints_one_event_per_line(session_dir: Path, capsys) -> None:
    path, _ = await two_sessions(session_dir)
    code, out, _ = cli(capsys, "replay", str(path), "--headless", "--json")
    assert code == 0
    types = [json.loads(line)["type"] for line in out.splitlines()]
    assert types[0] == "session" and types[-1] == "run" and types.count("attempt") == 2


async def test_replay_of_a_torn_session_reports_and_goes_on(session_dir: Path, capsys) -> None:
    path, _ = await two_sessions(session_dir)
    with open(path, "ab") as f:
        f.write(b'{"type": "run", "sta')
    code, out, err = cli(capsys, "replay", str(path), "--headless")
    assert code == 0
    assert "torn last line" in err and "-> escalate" in out


async def test_replay_of_a_newer_schema_says_so_once(session_dir: Path, capsys) -> None:
    path, _ = await two_sessions(session_dir)
    lines = path.read_text().splitlines()
    head = json.loads(lines[0]) | {"schema": 3}
    path.write_text("\n".join([json.dumps(head), *lines[1:]]) + "\n")
    result = read_session(path)
    assert result.problems == [
        "line 1: schema 3 is newer than this escalatui reads (2); upgrade escalatui"
    ]
    assert result.events == []
    code, out, err = cli(capsys, "replay", str(path), "--headless")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{path}: line 1: schema 3 is newer than this escalatui reads (2); upgrade escalatui",
        f"{path}: no session records found",
    ]


async def test_replay_of_damaged_records_never_tracebacks(session_dir: Path, capsys) -> None:
    path, _ = await two_sessions(session_dir)
    damaged = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record["type"] in ("attempt", "run"):
            record["cost_usd"] = "a lot"
            record["duration_ms"] = None
        damaged.append(json.dumps(record))
    path.write_text("\n".join(damaged) + "\n")
    code, _, err = cli(capsys, "replay", str(path), "--headless")
    assert code == 0 and "Traceback" not in err
    assert "damaged attempt record (field 'duration_ms' has the wrong type (null)); skipped" in err
    assert "damaged run record (field 'cost_usd' has the wrong type (text)); skipped" in err


def test_replay_of_a_missing_file(tmp_path: Path, capsys) -> None:
    code, out, err = cli(capsys, "replay", str(tmp_path / "gone.jsonl"), "--headless")
    assert code == 2 and out == ""
    assert err == f"{tmp_path / 'gone.jsonl'}: cannot read: No such file or directory\n"


def test_unwritable_session_dir_is_reported_at_start(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SessionWriteError, match=f"cannot write sessions to {blocker}/sessions"):
        SessionWriter(blocker / "sessions").check_writable()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_session_dir_is_reported_at_start(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(SessionWriteError, match="Permission denied"):
        SessionWriter(locked).check_writable()


def test_run_headless_with_unwritable_session_dir_exits_2_before_running(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = tmp_path / "task.toml"
    task.write_text(TASK)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, out, err = cli(
        capsys, "run", str(task), "--headless", "--session-dir", str(blocker / "s")
    )
    assert code == 2 and out == ""
    assert err.startswith(f"error: cannot write sessions to {blocker}/s: ")
    monkeypatch.setenv("ESCALATUI_SESSION_DIR", str(blocker / "env"))
    code, out, err = cli(capsys, "run", str(task), "--headless")
    assert code == 2 and out == "" and f"{blocker}/env" in err


def test_run_headless_writes_a_session_that_replays(
    tmp_path: Path, session_dir: Path, capsys
) -> None:
    task = tmp_path / "task.toml"
    task.write_text(TASK)
    code, out, _ = cli(capsys, "run", str(task), "--headless", "--input", "fn mul")
    assert code == 0 and "-> accept" in out
    [path] = session_dir.glob("*.jsonl")
    assert records(path)[0]["input"] == "fn mul"
    code, replayed, _ = cli(capsys, "replay", str(path), "--headless")
    assert code == 0 and "-> accept" in replayed


async def test_replay_of_output_with_lone_surrogates_prints(session_dir: Path, capsys) -> None:
    writer, _ = await run_logged(session_dir, sim_task("fn \ud800 broken \udcff"))
    assert writer.path
    code, out, err = cli(capsys, "replay", str(writer.path), "--headless")
    assert code == 0 and err == ""
    assert out.endswith("fn \\ud800 broken \\udcff\n")
