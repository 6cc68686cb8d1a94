"""`escalatui validate`: every file, every error, exit 2; and the real process's exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config_helpers import GOOD, validate, write


def test_valid_task_prints_ok_and_exits_0(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, GOOD)
    assert validate(capsys, path) == (0, f"{path}: ok\n", "")


def test_every_file_and_every_error_is_reported(tmp_path: Path, capsys) -> None:
    good = write(tmp_path, GOOD, "good.toml")
    syntax = write(tmp_path, 'name = "t"\nchain = [\n"a"\n', "syntax.toml")
    schema = write(
        tmp_path, GOOD.replace('name = "one"', 'name = "one"\nretries = -1\nx = 1'), "s.toml"
    )
    semantic = write(
        tmp_path,
        GOOD.replace('chain = ["a"]', 'chain = ["a", "b"]').replace("{input}", "{in}"),
        "m.toml",
    )
    code, out, err = validate(capsys, good, syntax, schema, tmp_path / "gone.toml", semantic)
    assert code == 2
    assert out == f"{good}: ok\n"
    lines = err.splitlines()
    assert lines == [
        f"{syntax}:2:9: TOML syntax: array ([) opened here is never closed (the parser "
        "stopped at the end of the file: Unclosed array)",
        f"{schema}:11: steps.0.retries: Input should be greater than or equal to 0",
        f"{schema}:12: steps.0: unknown key 'x'",
        f"{tmp_path / 'gone.toml'}: cannot read file: No such file or directory",
        f"{semantic}:3: chain: unknown model 'b' (defined: a)",
        f"{semantic}:11: steps.0.prompt: unknown placeholder '{{in}}' (known: {{input}}, "
        "{previous}, {steps.NAME}, {item.KEY}; write {{ }} for literal braces)",
    ]


def test_validate_runs_nothing(tmp_path: Path, capsys) -> None:
    """A command check is not run by validate (its side effect would show)."""
    marker = tmp_path / "ran"
    check = f'[[steps.checks]]\nkind = "command"\nrun = ["touch", "{marker}"]\n'
    assert validate(capsys, write(tmp_path, GOOD + check))[0] == 0
    assert not marker.exists()
    assert not (tmp_path / "sessions").exists()


def test_real_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xef\xbb\xbf" + b"name = 1\n")
    deep = write(tmp_path, "a = " + "[" * 50_000 + "]" * 50_000 + "\n", "deep.toml")
    good = write(tmp_path, GOOD, "good.toml")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    done = subprocess.run(
        [sys.executable, "-m", "escalatui", "validate", str(good), str(bad), str(deep)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stdout == f"{good}: ok\n"
    assert "Traceback" not in done.stderr
    assert f"{bad}:1:1: file starts with a UTF-8 byte-order mark" in done.stderr
    assert f"{deep}: nested too deeply" in done.stderr
