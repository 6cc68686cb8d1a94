"""Reading a TOML file safely: size, encoding, syntax and nesting problems become ConfigErrors
with a position, never a traceback (tomllib raises UnicodeDecodeError and RecursionError too)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from escalatui.config.errors import ConfigError, Problem
from escalatui.config.unclosed import first_unclosed
from escalatui.files import read_regular

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 64
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_TOML_END = "(at end of document)"


def read_toml_text(path: Path) -> tuple[dict[str, Any], str]:
    """A TOML file's data and its text (for placing errors on lines); every way the file can
    be unreadable is a ConfigError."""
    raw = _read_capped(path, "file")
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
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [_syntax_problem(str(exc), text)]) from None
    except RecursionError:
        raise ConfigError(path, [Problem("", "nested too deeply to read")]) from None
    # Dotted keys (`[a.a.a....]`) nest without recursing in the parser; everything after it
    # (validation, copies, JSON) does recurse.
    if _depth(data) > MAX_DEPTH:
        raise ConfigError(
            path, [Problem("", f"nested more than {MAX_DEPTH} levels deep (the limit)")]
        )
    return data, text


def _syntax_problem(msg: str, text: str) -> Problem:
    """The parser's message at its position; but when a string, array or inline table is never
    closed and the parser noticed only further down, the position where that construct opened
    (an unclosed triple-quoted string otherwise points at the end of the file)."""
    pos = _TOML_POS.search(msg)
    at_end = _TOML_END in msg
    if pos:
        where = f"{pos.group(1)}:{pos.group(2)}"
    elif at_end:
        where = f"{text.count(chr(10)) + 1}:{len(text) - text.rfind(chr(10))}"
    else:
        where = ""
    msg = _TOML_POS.sub("", msg).replace(_TOML_END, "").strip()
    opening = first_unclosed(text)
    if opening and (at_end or (pos and opening.line < int(pos.group(1)))):
        stop = "the end of the file" if at_end else f"line {pos.group(1) if pos else '?'}"
        return Problem(
            f"{opening.line}:{opening.column}",
            f"TOML syntax: {opening.what} opened here is never closed (the parser stopped at "
            f"{stop}: {msg})",
        )
    return Problem(where, "TOML syntax: " + msg)


def read_input_file(path: Path) -> str:
    """The text of `--input-file`, capped like a task file: `/dev/zero`, a FIFO or a directory
    is a ConfigError, never a hang or a memory blow-up."""
    raw = _read_capped(path, "input")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path, [Problem("", f"input is not UTF-8 (byte 0x{raw[exc.start]:02x} at {exc.start})")]
        ) from None


def _read_capped(path: Path, what: str) -> bytes:
    """At most MAX_FILE_BYTES of a regular file, or a ConfigError saying why not."""
    try:
        raw = read_regular(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise ConfigError(
            path, [Problem("", f"cannot read {what}: {exc.strerror or exc}")]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            path, [Problem("", f"{what} is larger than {MAX_FILE_BYTES:,} bytes (the limit)")]
        )
    return raw


def _depth(data: Any) -> int:
    """How deeply tables and arrays nest, found without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item
        stack += [(c, level + 1) for c in children if isinstance(c, dict | list)]
    return deepest
