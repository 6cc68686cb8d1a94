"""Hostile session files: a line nested 200,000 deep, wrong-typed fields, /dev/zero, a FIFO, a
link to a FIFO, a directory named like a session. Each is reported and skipped by `replay`,
`replay --headless`, `sessions` and `sessions --json`; nothing crashes or hangs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from session_helpers import run_logged, sim_task

from escalatui.cli import main
from escalatui.session import read_session, scan_sessions

pytestmark = pytest.mark.timeout(60)
RUN_TIMEOUT_S = 30


def strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not strict JSON")

    return json.loads(text, parse_constant=refuse)


async def good_session(directory: Path) -> Path:
    writer, _ = await run_logged(directory, sim_task("no keyword"), run_id="good")
    assert writer.path
    return writer.path


def hostile_files(directory: Path, outside: Path) -> dict[str, Path]:
    """Special files named `*.jsonl` in the sessions dir (the FIFO a link points to lives
    elsewhere)."""
    directory.mkdir(parents=True, exist_ok=True)
    os.mkfifo(outside / "pipe")
    made = {
        "fifo": directory / "fifo.jsonl",
        "link-to-fifo": directory / "link-to-fifo.jsonl",
        "zero": directory / "zero.jsonl",
        "dir": directory / "dir.jsonl",
    }
    os.mkfifo(made["fifo"])
    made["link-to-fifo"].symlink_to(outside / "pipe")
    made["zero"].symlink_to("/dev/zero")
    made["dir"].mkdir()
    return made


def damage(path: Path, **changes: object) -> Path:
    """The attempt records of `path` with `changes`, and a line nested 200,000 deep first."""
    lines = []
    for raw in path.read_text().splitlines():
        record = json.loads(raw)
        if record["type"] == "attempt":
            record.update(changes)
        lines.append(json.dumps(record))
    lines.insert(1, "[" * 200_000)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "changes",
    [{"feedback": ["a"]}, {"cost_usd": "x"}, {"attempt": None}, {"checks": [{"kind": 1}]}],
)
async def test_wrong_typed_fields_and_deep_nesting_are_reported_by_line(
    session_dir: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, object]
) -> None:
    path = damage(await good_session(session_dir), **changes)
    result = read_session(path)
    assert result.problems[0] == "line 2: nested too deeply to read; skipped"
    (name,) = changes
    damaged = [p for p in result.problems[1:] if f"field {name!r} has the wrong type" in p]
    assert len(damaged) == 2 and all(p.startswith("line ") for p in damaged)  # both attempts
    assert not [e for e in result.events if type(e).__name__ == "AttemptDecided"]
    code = main(["replay", str(path), "--headless"])
    out, err = capsys.readouterr()
    assert code == 0 and "run accepted" in out and "damaged attempt record" in err


async def test_nan_cost_in_a_record_is_damage_not_a_number(session_dir: Path) -> None:
    path = await good_session(session_dir)
    text = path.read_text().replace('"cost_usd": 0.001', '"cost_usd": NaN')
    path.write_text(text)
    result = read_session(path)
    assert any(
        "field 'cost_usd' has the wrong type (not a finite number)" in p for p in result.problems
    )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, bounded: a read that blocks on a FIFO fails the test rather
    than hanging it."""
    return subprocess.run(
        [sys.executable, "-m", "escalatui", *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env=os.environ.copy(),
    )


async def test_special_files_are_skipped_by_sessions_and_listed_on_stderr(
    session_dir: Path, tmp_path: Path
) -> None:
    good = await good_session(session_dir)
    made = hostile_files(session_dir, tmp_path)
    (session_dir / "nan.jsonl").write_text('{"type": "run", "cost_usd": NaN}\n')
    done = cli("sessions")
    assert done.returncode == 0 and good.name in done.stdout
    assert sorted(done.stderr.splitlines()) == sorted(
        [
            f"{made['dir']}: skipped: Is a directory",
            f"{made['fifo']}: skipped: Is a FIFO, not a regular file",
            f"{made['link-to-fifo']}: skipped: Is a FIFO, not a regular file",
            f"{made['zero']}: skipped: Is a character device, not a regular file",
        ]
    )
    done = cli("sessions", "--json")
    listed = strict_json(done.stdout)  # a NaN cost in a file is unknown (null), never NaN
    assert isinstance(listed, list) and {s["cost_usd"] for s in listed} == {None, 0.011}
    assert len(done.stderr.splitlines()) == 4
    summaries, skipped = scan_sessions(session_dir)  # what the TUI home uses
    assert {s.path.name for s in summaries} == {good.name, "nan.jsonl"} and len(skipped) == 4


@pytest.mark.parametrize("kind", ["fifo", "link-to-fifo", "zero", "dir"])
async def test_replay_of_a_special_file_says_why(
    session_dir: Path, tmp_path: Path, kind: str
) -> None:
    path = hostile_files(session_dir, tmp_path)[kind]
    for headless in (["--headless"], []):  # the TUI path stops before any screen
        done = cli("replay", str(path), *headless)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith(f"{path}: cannot read: Is a ")


def test_a_line_longer_than_the_cap_is_skipped_not_buffered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalatui.session import reader

    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long.jsonl"
    notice = json.dumps({"type": "notice", "message": "after"})
    path.write_text(f'{{"type": "notice", "message": "{"x" * 5000}"}}\n{notice}\n')
    result = read_session(path)
    assert result.problems == ["line 1: longer than 1,000 bytes; skipped"]
    assert [e.message for e in result.events] == ["after"]  # type: ignore[union-attr]
