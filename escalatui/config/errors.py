"""Errors found in task and config files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from escalatui.inert import inert


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (line:col or dotted path) and what."""

    where: str
    message: str
    line: int | None = None
    """The file line `where` was written on, when known (schema and semantic errors)."""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigError(Exception):
    """A task or config file that cannot be used; carries every problem found."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = str(path)
        # In file order, as a person fixes them; problems about the whole file come first.
        self.problems = sorted(problems, key=_line_of)
        super().__init__(self.render())

    def render(self) -> str:
        """One line per problem, each prefixed by the file name (and line, when known)."""
        # File names, keys and values quoted in messages may hold escape sequences.
        return inert("\n".join(self._line(p) for p in self.problems))

    def _line(self, p: Problem) -> str:
        if p.where[:1].isdigit():  # a TOML syntax error's own line:col
            return f"{self.path}:{p}"
        if p.line:
            return f"{self.path}:{p.line}: {p}"
        return f"{self.path}: {p}"


def _line_of(problem: Problem) -> int:
    if problem.line:
        return problem.line
    head = problem.where.split(":", 1)[0]
    return int(head) if head.isdigit() else 0
