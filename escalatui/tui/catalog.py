"""Task files the home screen offers: the current directory, the user's tasks dir, the examples.

Only a glance is taken at each file (name and description); a file is validated for real when
a person opens it, so a broken task is listed and its errors are shown then.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from escalatui import paths
from escalatui.files import read_regular

MAX_GLANCE_BYTES = 1_000_000


@dataclass(frozen=True)
class TaskEntry:
    """One task file as listed."""

    path: Path
    source: str
    """Where it was found: `here`, `tasks` or `example`."""
    name: str
    description: str = ""
    readable: bool = True
    """False when the file could not even be read as TOML (it is listed so its errors show)."""


def default_sources() -> list[tuple[str, Path]]:
    """(label, directory) pairs, in the order they are listed."""
    return [("here", Path.cwd()), ("tasks", paths.tasks_dir()), ("example", paths.examples_dir())]


def glance(path: Path, source: str, require_steps: bool) -> TaskEntry | None:
    """Name and description of a task file; None when it is not a task file at all."""
    try:
        # Only regular files, and never more than the cap: a FIFO or a link to /dev/zero named
        # `x.toml` must not hang or fill the home screen.
        raw = read_regular(path, MAX_GLANCE_BYTES)[:MAX_GLANCE_BYTES]
    except OSError:
        return None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        # Broken: list it if it looks like a task, so opening it shows what is wrong.
        if require_steps and b"[[steps]]" not in raw:
            return None
        return TaskEntry(path, source, path.stem, "(cannot be read; open it to see why)", False)
    if require_steps and not isinstance(data.get("steps"), list):
        return None  # pyproject.toml and friends
    name = data.get("name")
    description = data.get("description")
    return TaskEntry(
        path,
        source,
        name if isinstance(name, str) and name else path.stem,
        description if isinstance(description, str) else "",
    )


def find_tasks(sources: list[tuple[str, Path]] | None = None) -> list[TaskEntry]:
    """Every task file in the sources; in the current directory only files with steps count."""
    entries: list[TaskEntry] = []
    seen: set[Path] = set()
    for label, directory in sources if sources is not None else default_sources():
        try:
            files = sorted(directory.glob("*.toml"))
        except OSError:
            continue
        for path in files:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            entry = glance(path, label, require_steps=label == "here")
            if entry is not None:
                entries.append(entry)
    return entries
