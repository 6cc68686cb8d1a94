"""A batch's inputs file (`.jsonl`, `.csv`, `.txt`) read and validated whole before anything
runs: every bad line is reported with its number, and nothing is sent."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

MAX_INPUTS_BYTES = 256 * 1024 * 1024
"""An inputs file larger than this is refused (a path like /dev/zero never ends)."""
MAX_PROBLEMS = 20
"""Problems listed before the rest are only counted."""
FORMATS = (".jsonl", ".csv", ".txt")


@dataclass(frozen=True)
class Item:
    """One input of a batch: a stable id (given, or derived from the text), the `{input}`
    text, the line it came from, and the other fields usable as `{item.KEY}`."""

    id: str
    input: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InputsProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class InputsError(Exception):
    """The inputs file cannot be used; `problems` lists every reason with its line."""

    def __init__(self, path: Path, problems: list[InputsProblem]) -> None:
        self.path, self.problems = path, problems
        shown = [str(p) for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more")
        super().__init__(f"{path}: " + "\n  ".join(shown))


def read_inputs(path: Path, input_column: str = "input") -> list[Item]:
    """Every item of the file, in order; InputsError lists all that is wrong with it."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputsError(
            path,
            [InputsProblem(0, f"unknown format {suffix or '(none)'!r}: use .jsonl, .csv or .txt")],
        )
    text = _read_text(path)
    items, problems = _PARSERS[suffix](text, input_column)
    items = _assign_ids(items)
    problems += _duplicate_ids(items)
    if not items and not problems:
        problems.append(InputsProblem(0, "the file has no inputs"))
    if problems:
        raise InputsError(path, sorted(problems, key=lambda p: p.line))
    return items


def _read_text(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputsError(path, [InputsProblem(0, f"cannot read: {exc.strerror or exc}")]) from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputsError(path, [InputsProblem(0, "not a regular file")])
        raw = f.read(MAX_INPUTS_BYTES + 1)
    if len(raw) > MAX_INPUTS_BYTES:
        raise InputsError(
            path, [InputsProblem(0, f"larger than {MAX_INPUTS_BYTES:,} bytes: split it (--shard)")]
        )
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # spreadsheets save CSV with a BOM
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputsError(
            path, [InputsProblem(line, f"byte 0x{raw[exc.start]:02x} is not UTF-8")]
        ) from None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # split on \n only: U+2028 and friends are text inside an input, not line ends
    for number, line in enumerate(text.split("\n"), 1):
        yield number, line.removesuffix("\r")


def _parse_txt(text: str, _column: str) -> tuple[list[Item], list[InputsProblem]]:
    items = [_item(None, line, n, {}) for n, line in _lines(text) if line.strip()]
    return items, []


def _parse_jsonl(text: str, _column: str) -> tuple[list[Item], list[InputsProblem]]:
    items: list[Item] = []
    problems: list[InputsProblem] = []
    for n, line in _lines(text):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            problems.append(InputsProblem(n, f"not JSON ({_short(exc)})"))
            continue
        if isinstance(value, str):
            items.append(_item(None, value, n, {}))
        elif isinstance(value, dict):
            problem = _check_object(value)
            if problem:
                problems.append(InputsProblem(n, problem))
            else:
                fields = {k: _as_text(v) for k, v in value.items() if k not in ("id", "input")}
                given = value.get("id")
                items.append(
                    _item(None if given is None else str(given), value["input"], n, fields)
                )
        else:
            problems.append(
                InputsProblem(
                    n, f"a line is a JSON string or an object, not {type(value).__name__}"
                )
            )
    return items, problems


def _check_object(value: dict[str, object]) -> str | None:
    if "input" not in value:
        return 'an object needs an "input" key'
    if not isinstance(value["input"], str):
        return '"input" must be a string'
    given = value.get("id")
    if given is not None and (isinstance(given, bool) or not isinstance(given, str | int)):
        return '"id" must be a string or a whole number'
    if isinstance(given, str) and not given.strip():
        return '"id" is empty'
    return None


def _parse_csv(text: str, column: str) -> tuple[list[Item], list[InputsProblem]]:
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        return [], [InputsProblem(1, "no header row")]
    if column not in header:
        named = ", ".join(repr(h) for h in header[:10])
        return [], [
            InputsProblem(
                1,
                f"no {column!r} column (the header has {named}); "
                "name the column with --input-column",
            )
        ]
    items: list[Item] = []
    problems: list[InputsProblem] = []
    line = 1
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(
                    InputsProblem(line, f"{len(row)} fields, the header has {len(header)}")
                )
                continue
            record = dict(zip(header, row, strict=True))
            fields = {k: v for k, v in record.items() if k not in (column, "id")}
            given = record.get("id") or None
            items.append(_item(given, record[column], line, fields))
    except csv.Error as exc:
        problems.append(InputsProblem(line + 1, f"bad CSV: {exc}"))
    return items, problems


_PARSERS = {".jsonl": _parse_jsonl, ".csv": _parse_csv, ".txt": _parse_txt}


def _item(given: str | None, text: str, line: int, fields: dict[str, str]) -> Item:
    return Item(given if given is not None else "", text, line, fields)


def _assign_ids(items: list[Item]) -> list[Item]:
    """Items without an id get a hash of their input (it survives reordering and edits to
    other lines); the same input again gets `HASH-2`, `HASH-3`, so each runs and resume
    still knows which is which."""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        if item.id:
            out.append(item)
            continue
        base = content_id(item.input)
        count = seen[base] = seen.get(base, 0) + 1
        out.append(replace(item, id=base if count == 1 else f"{base}-{count}"))
    return out


def content_id(text: str) -> str:
    """An id that survives reordering and editing other lines: a hash of the input."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _duplicate_ids(items: list[Item]) -> list[InputsProblem]:
    """An id twice is an error: results and resume are keyed by id."""
    first: dict[str, int] = {}
    problems = []
    for item in items:
        if item.id in first:
            problems.append(
                InputsProblem(
                    item.line,
                    f"id {item.id!r} again (first on line {first[item.id]}): ids must be unique",
                )
            )
        else:
            first[item.id] = item.line
    return problems


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _short(exc: Exception) -> str:
    return (
        str(exc).split("\n")[0][:120] if not isinstance(exc, RecursionError) else "nested too deep"
    )


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` (K from 1 to N) as (K, N); ValueError with a message otherwise."""
    k, sep, n = text.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise ValueError(f"--shard takes K/N with 1 <= K <= N, e.g. 1/4 (got {text!r})")
    return int(k), int(n)


def in_shard(item_id: str, shard: tuple[int, int]) -> bool:
    """Whether an item belongs to shard K of N: a hash of its id, so every machine agrees
    without talking to the others, and adding items does not move the others."""
    k, n = shard
    digest = hashlib.sha256(item_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % n == k - 1
