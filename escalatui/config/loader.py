"""Load task files and the user config, reporting every problem at once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from escalatui.config.errors import ConfigError, Problem
from escalatui.config.models import Task, UserConfig
from escalatui.config.semantics import semantic_problems

MAX_FILE_BYTES = 1_000_000
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class LoadedTask:
    """A validated task with the user config's models merged in (the task's own win)."""

    path: Path
    task: Task


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every way it can be unreadable into a ConfigError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, [Problem("", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            path, [Problem("", f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")]
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ConfigError(
            path,
            [
                Problem(
                    "1:1", "file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM"
                )
            ],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            path,
            [
                Problem(
                    f"{line}:{col}",
                    f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8",
                )
            ],
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        pos = _TOML_POS.search(msg)
        where = f"{pos.group(1)}:{pos.group(2)}" if pos else ""
        raise ConfigError(
            path, [Problem(where, "TOML syntax: " + _TOML_POS.sub("", msg).strip())]
        ) from None
    except RecursionError:
        raise ConfigError(path, [Problem("", "nested too deeply to read")]) from None


def schema_problems(exc: ValidationError, text: str | None = None) -> list[Problem]:
    """Pydantic errors as dotted paths (`steps.1.checks.0.pattern`), unknown keys by name."""
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        # A tagged union puts the tag in the path (checks.0.regex.pattern): drop it.
        loc = [
            p
            for i, p in enumerate(loc)
            if not (i and loc[i - 1].isdigit() and i >= 2 and loc[i - 2] == "checks")
        ]
        if err["type"] == "extra_forbidden":
            key = loc[-1] if loc else "?"
            where = ".".join(loc[:-1]) or "(top level)"
            problems.append(Problem(where, f"unknown key '{key}'"))
        elif err["type"] == "missing":
            problems.append(Problem(".".join(loc), "required key is missing"))
        else:
            problems.append(Problem(".".join(loc) or "(top level)", err["msg"]))
    return problems


def load_user_config(path: Path) -> UserConfig:
    """The user config, or an empty one when the file does not exist."""
    if not path.exists():
        return UserConfig()
    data = read_toml(path)
    try:
        return UserConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, schema_problems(exc)) from None


def load_task(path: Path | str, user: UserConfig | None = None) -> LoadedTask:
    """Read, validate and resolve a task file; raise ConfigError listing every problem."""
    path = Path(path)
    data = read_toml(path)
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, schema_problems(exc)) from None
    if user and user.models:
        task = task.model_copy(update={"models": {**user.models, **task.models}})
    problems = semantic_problems(task, base_dir=path.parent)
    if problems:
        raise ConfigError(path, problems)
    return LoadedTask(path=path, task=_absolute_gguf_paths(task, path.parent))


def _absolute_gguf_paths(task: Task, base_dir: Path) -> Task:
    """Embedded GGUF paths are relative to the task file; make them absolute once."""
    models = {}
    for name, spec in task.models.items():
        if spec.provider == "embedded" and spec.model:
            gguf = Path(spec.model).expanduser()
            gguf = gguf if gguf.is_absolute() else (base_dir / gguf).resolve()
            spec = spec.model_copy(update={"model": str(gguf)})
        models[name] = spec
    return task.model_copy(update={"models": models})
