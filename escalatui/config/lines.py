"""Where a dotted path was written in a TOML file, so a schema error can name its line.

A light scan of table headers and `key =` lines (multi-line strings skipped), not a parser:
the file has already parsed, and a path it cannot place simply gets no line.
"""

from __future__ import annotations

import re

_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART = re.compile(_BARE_OR_QUOTED)

Path = tuple[str, ...]


def _keys(dotted: str) -> Path:
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in _PART.findall(dotted))


def key_lines(text: str) -> dict[Path, int]:
    """The first line of each table and key, by path (array-of-tables items by index)."""
    found: dict[Path, int] = {}
    counts: dict[Path, int] = {}  # array-of-tables path -> index of its last item
    table: Path = ()
    open_quote: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if open_quote:
            if line.count(open_quote) % 2:
                open_quote = None
            continue
        header = _HEADER.match(line)
        if header:
            keys = _keys(header.group(2))
            path: Path = ()
            for key in keys[:-1]:
                path += (key,)
                if path in counts:  # `[[steps.checks]]` belongs to the last `[[steps]]`
                    path += (str(counts[path]),)
            path += keys[-1:]
            if header.group(1) == "[[":
                counts[path] = counts.get(path, -1) + 1
                path += (str(counts[path]),)
            table = path
            found.setdefault(table, number)
            continue
        assignment = _KEY.match(line)
        if assignment:
            found.setdefault(table + _keys(assignment.group(1)), number)
            rest = line[assignment.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2:
                    open_quote = quote
    return found


def line_of(path: list[str], lines: dict[Path, int]) -> int | None:
    """The line of `path`, or of the closest enclosing table or key that was written."""
    for end in range(len(path), 0, -1):
        if tuple(path[:end]) in lines:
            return lines[tuple(path[:end])]
    return None
