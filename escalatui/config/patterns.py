"""Regular expressions from task files (a `regex` check's `pattern`, a JSON Schema's `pattern`
and `patternProperties`): one set of rules for compiling them at load and at run time.

They run on the `regex` package in its Python-`re`-compatible mode (VERSION0), which can stop a
search after a time limit: a runaway pattern is a check error, never a hang. The package is
imported on first use, so `escalatui --version` and `validate` without patterns stay fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# The flag names a `regex` check may use; `regex` has the same bits as `re` for these.
REGEX_FLAGS: dict[str, int] = {
    "multiline": re.MULTILINE,
    "ignorecase": re.IGNORECASE,
    "dotall": re.DOTALL,
}


def flag_bits(names: Iterable[str]) -> int:
    """The flags for a check's `flags` list (names already validated)."""
    bits = 0
    for name in names:
        bits |= REGEX_FLAGS[name]
    return bits


def compile_pattern(pattern: str, flags: int = 0) -> Any:
    """The compiled pattern (a `regex.Pattern`, with `re`'s semantics). Raises ValueError with a
    plain message for every way a pattern can fail to compile: besides a syntax error, a huge
    repeat count (`a{4294967296}`) raises OverflowError and thousands of nested groups
    RecursionError; a task file must get a message for those too, never a traceback."""
    import regex  # noqa: PLC0415  (lazy: start-up stays fast)

    try:
        return regex.compile(pattern, flags | regex.VERSION0)
    except regex.error as exc:
        raise ValueError(str(exc)) from None
    except RecursionError:
        raise ValueError("groups nested too deeply") from None
    except (OverflowError, ValueError, TypeError, MemoryError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None


def pattern_error(pattern: str, flags: int = 0) -> str | None:
    """Why `pattern` does not compile, or None."""
    try:
        compile_pattern(pattern, flags)
    except ValueError as exc:
        return str(exc)
    return None


def search(compiled: Any, text: str, timeout_s: float) -> bool:
    """Whether `compiled` matches somewhere in `text`; TimeoutError after `timeout_s` seconds of
    searching. Releases the GIL while it searches, so it may run in a thread."""
    return compiled.search(text, timeout=max(timeout_s, 0.001), concurrent=True) is not None
