"""The `regex` check: `re.search` semantics, stopped after `timeout_s` of searching.

The search runs in a thread with the `regex` package's own time limit (config/patterns.py), so
the run and the TUI go on meanwhile, and catastrophic backtracking ends as a check error.
tests/bench/bench_regex.py measured this against the helper process per run it replaces.
"""

from __future__ import annotations

import asyncio

from escalatui.config.models import RegexCheck
from escalatui.config.patterns import compile_pattern, flag_bits, search
from escalatui.engine.events import CheckOutcome


async def check_regex(check: RegexCheck, answer: str) -> CheckOutcome:
    """Passes when the pattern matches; a timeout is a check error, never a pass."""
    try:
        compiled = compile_pattern(check.pattern, flag_bits(check.flags))
        matched = await asyncio.to_thread(search, compiled, answer, check.timeout_s)
    except TimeoutError:
        return CheckOutcome(
            "regex",
            False,
            error=f"regex timed out after {check.timeout_s}s (catastrophic backtracking?)",
        )
    except ValueError as exc:
        return CheckOutcome("regex", False, error=f"regex failed: {exc}", config_error=True)
    if matched:
        return CheckOutcome("regex", True)
    return CheckOutcome(
        "regex", False, check.feedback or f"The answer does not match /{check.pattern}/."
    )
