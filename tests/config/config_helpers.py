"""Writing task files and collecting what `load_task` and `escalatui validate` say about them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from escalatui.cli import main
from escalatui.config import ConfigError, UserConfig, load_task

GOOD = """
name = "t"
chain = ["a"]

[models.a]
provider = "sim"
responses = ["hi"]

[[steps]]
name = "one"
prompt = "Say {input}"
"""


def write(directory: Path, text: str, name: str = "task.toml") -> Path:
    """A task file holding `text` (dedented)."""
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path, user: UserConfig | None = None) -> list[str]:
    """Every problem `load_task` reports, as `where: message` strings."""
    with pytest.raises(ConfigError) as caught:
        load_task(path, user)
    assert caught.value.path == str(path)
    return [str(p) for p in caught.value.problems]


def validate(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, str, str]:
    """Run `escalatui validate PATHS` in-process: (exit code, stdout, stderr)."""
    code = main(["validate", *map(str, paths)])
    out, err = capsys.readouterr()
    return code, out, err
