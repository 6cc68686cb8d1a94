"""Errors found in task and config files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (line:col or dotted path) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigError(Exception):
    """A task or config file that cannot be used; carries every problem found."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        """One line per problem, each prefixed by the file name."""
        return "\n".join(
            f"{self.path}:{p}" if p.where[:1].isdigit() else f"{self.path}: {p}"
            for p in self.problems
        )
