"""Regular expressions from task files: the flags a `regex` check may name, and why a pattern
does not compile (every way, not only `re.error`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

REGEX_FLAGS: dict[str, re.RegexFlag] = {
    "multiline": re.MULTILINE,
    "ignorecase": re.IGNORECASE,
    "dotall": re.DOTALL,
}


def flag_bits(names: Iterable[str]) -> int:
    """The `re` flags for a check's `flags` list (names already validated)."""
    bits = 0
    for name in names:
        bits |= REGEX_FLAGS[name]
    return bits


def pattern_error(pattern: str, flags: int = 0) -> str | None:
    """Why `pattern` does not compile, or None. Besides `re.error`, `re.compile` raises
    OverflowError for a huge repeat count (`a{4294967296}`) and RecursionError for thousands of
    nested groups; a task file must get a message for those too, never a traceback."""
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        return str(exc)
    except RecursionError:
        return "groups nested too deeply"
    except (OverflowError, ValueError, TypeError, MemoryError) as exc:
        return str(exc) or type(exc).__name__
    return None
