"""The `regex` check: `re.search` semantics, and catastrophic backtracking is a check error
after its time limit, never a pass and never a hang."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from escalatui.config.models import RegexCheck
from escalatui.engine.checks.regex import check_regex

EVIL = r"(a|aa)+$"
EVIL_TEXT = "a" * 40 + "b"  # about fib(40) ways to split the a's, each tried before failing


def regex(pattern: str, **kw: object) -> RegexCheck:
    return RegexCheck.model_validate({"kind": "regex", "pattern": pattern, **kw})


async def test_match_and_no_match() -> None:
    assert (await check_regex(regex(r"fn\s+\w+"), "pub fn add(a)")).passed
    failed = await check_regex(regex(r"fn\s+\w+"), "def add(a)")
    assert not failed.passed and failed.error is None
    assert failed.feedback == r"The answer does not match /fn\s+\w+/."
    custom = await check_regex(regex("x", feedback="Need an x."), "y")
    assert custom.feedback == "Need an x."


async def test_default_flags_are_pythons_so_anchors_span_the_whole_answer() -> None:
    """`re.search` with no flags: `^...$` is about the whole answer, not any one line."""
    answer = "intro\ndef f\nend"
    assert not (await check_regex(regex(r"^def \w+$"), answer)).passed
    assert (await check_regex(regex(r"^def \w+$"), "def f")).passed
    assert (await check_regex(regex(r"^\d+$"), "42")).passed
    assert not (await check_regex(regex(r"^\d+$"), "42\nand some prose")).passed
    assert not (await check_regex(regex("A"), "a")).passed
    assert not (await check_regex(regex("a.b"), "a\nb")).passed
    assert (await check_regex(regex("def"), answer)).passed  # search, not match


async def test_flags_turn_on_multiline_ignorecase_dotall() -> None:
    answer = "intro\ndef f\nend"
    assert (await check_regex(regex(r"^def \w+$", flags=["multiline"]), answer)).passed
    assert (await check_regex(regex("DEF F", flags=["ignorecase"]), answer)).passed
    assert (await check_regex(regex("intro.def", flags=["dotall"]), answer)).passed
    all_three = regex(r"^INTRO.DEF F$", flags=["multiline", "ignorecase", "dotall"])
    assert (await check_regex(all_three, answer)).passed


def test_an_unknown_flag_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        regex("x", flags=["multiline", "verbose"])
    (error,) = caught.value.errors()
    assert error["loc"] == ("flags", 1)


async def test_odd_and_huge_answers() -> None:
    assert (await check_regex(regex("end$"), "x" * 5_000_000 + "end")).passed
    assert (await check_regex(regex("ok"), "bad \ud800 bytes \udcff ok")).passed
    assert (await check_regex(regex("\x00"), "nul \x00 here")).passed


async def test_catastrophic_backtracking_is_a_check_error() -> None:
    outcome = await check_regex(regex(EVIL, timeout_s=0.3), EVIL_TEXT)
    assert not outcome.passed and not outcome.config_error
    assert outcome.error == "regex timed out after 0.3s (catastrophic backtracking?)"
    assert (await check_regex(regex(EVIL), "aaaa")).passed  # the next check runs as usual


async def test_the_event_loop_runs_while_a_search_is_stuck() -> None:
    """The search runs in a thread: the run (and the TUI) keep going meanwhile."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.ensure_future(tick())
    try:
        await check_regex(regex(EVIL, timeout_s=0.3), EVIL_TEXT)
    finally:
        ticker.cancel()
    assert ticks > 3


async def test_nested_plus_on_a_near_match_is_not_a_hang() -> None:
    """`(a+)+$` runs away in Python's `re`; the regex engine answers it without backtracking."""
    outcome = await check_regex(regex(r"(a+)+$", timeout_s=30), "a" * 40 + "b")
    assert not outcome.passed and outcome.error is None  # answered, not timed out


async def test_invalid_pattern_at_run_time_is_a_config_error() -> None:
    outcome = await check_regex(regex("a("), "a")
    assert not outcome.passed and outcome.config_error
    assert outcome.error and outcome.error.startswith("regex failed: missing )")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a{4294967296}", "regex failed: repeat count too big at position 2"),
        ("(" * 5000 + "a" + ")" * 5000, "regex failed: groups nested too deeply"),
    ],
)
async def test_every_compile_failure_is_reported(pattern: str, message: str) -> None:
    """Validation catches these first; should one reach a run, it is still a message."""
    outcome = await check_regex(regex(pattern), "a")
    assert not outcome.passed and outcome.config_error
    assert outcome.error == message
