"""The `regex` check runs in a killable worker: catastrophic backtracking is a check error after
its time limit, never a pass and never a hang, and the worker comes back afterwards."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from escalatui.config.models import RegexCheck
from escalatui.engine.checks.regex import RegexWorker, check_regex

EVIL = r"(a+)+$"
EVIL_TEXT = "a" * 40 + "b"  # about 2**40 steps of backtracking


@pytest.fixture
async def worker() -> AsyncIterator[RegexWorker]:
    w = RegexWorker()
    yield w
    await w.aclose()


def regex(pattern: str, **kw: object) -> RegexCheck:
    return RegexCheck.model_validate({"kind": "regex", "pattern": pattern, **kw})


def worker_pid(worker: RegexWorker) -> int:
    assert worker._proc is not None
    return worker._proc.pid


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_match_and_no_match(worker: RegexWorker) -> None:
    assert (await check_regex(regex(r"fn\s+\w+"), "pub fn add(a)", worker)).passed
    failed = await check_regex(regex(r"fn\s+\w+"), "def add(a)", worker)
    assert not failed.passed and failed.error is None
    assert failed.feedback == r"The answer does not match /fn\s+\w+/."
    custom = await check_regex(regex("x", feedback="Need an x."), "y", worker)
    assert custom.feedback == "Need an x."


async def test_default_flags_are_pythons_so_anchors_span_the_whole_answer(
    worker: RegexWorker,
) -> None:
    """`re.search` with no flags: `^...$` is about the whole answer, not any one line."""
    answer = "intro\ndef f\nend"
    assert not (await check_regex(regex(r"^def \w+$"), answer, worker)).passed
    assert (await check_regex(regex(r"^def \w+$"), "def f", worker)).passed
    assert (await check_regex(regex(r"^\d+$"), "42", worker)).passed
    assert not (await check_regex(regex(r"^\d+$"), "42\nand some prose", worker)).passed
    assert not (await check_regex(regex("A"), "a", worker)).passed
    assert not (await check_regex(regex("a.b"), "a\nb", worker)).passed
    assert (await check_regex(regex("def"), answer, worker)).passed  # search, not match


async def test_flags_turn_on_multiline_ignorecase_dotall(worker: RegexWorker) -> None:
    answer = "intro\ndef f\nend"
    assert (await check_regex(regex(r"^def \w+$", flags=["multiline"]), answer, worker)).passed
    assert (await check_regex(regex("DEF F", flags=["ignorecase"]), answer, worker)).passed
    assert (await check_regex(regex("intro.def", flags=["dotall"]), answer, worker)).passed
    all_three = regex(r"^INTRO.DEF F$", flags=["multiline", "ignorecase", "dotall"])
    assert (await check_regex(all_three, answer, worker)).passed


def test_an_unknown_flag_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        regex("x", flags=["multiline", "verbose"])
    (error,) = caught.value.errors()
    assert error["loc"] == ("flags", 1)


async def test_odd_and_huge_answers(worker: RegexWorker) -> None:
    assert (await check_regex(regex("end$"), "x" * 5_000_000 + "end", worker)).passed
    assert (await check_regex(regex("ok"), "bad \ud800 bytes \udcff ok", worker)).passed
    assert (await check_regex(regex("\x00"), "nul \x00 here", worker)).passed


async def test_catastrophic_backtracking_is_a_check_error(worker: RegexWorker) -> None:
    assert (await check_regex(regex("warm-up"), "warm-up", worker)).passed
    stuck_pid = worker_pid(worker)
    outcome = await check_regex(regex(EVIL, timeout_s=0.3), EVIL_TEXT, worker)
    assert not outcome.passed and not outcome.config_error
    assert outcome.error == "regex timed out after 0.3s (catastrophic backtracking?)"
    assert gone(stuck_pid)
    # A fresh worker answers the next check.
    assert (await check_regex(regex(EVIL), "aaaa", worker)).passed
    assert worker_pid(worker) != stuck_pid


async def test_cancelled_search_kills_the_worker(worker: RegexWorker) -> None:
    """Cancelling mid-search (escalate, quit) must not leave the worker's late reply to be read
    as the answer to the next search."""
    assert (await check_regex(regex("x"), "x", worker)).passed
    pid = worker_pid(worker)
    search = asyncio.ensure_future(worker.search(EVIL, EVIL_TEXT, 30))
    await asyncio.sleep(0.1)
    search.cancel()
    with pytest.raises(asyncio.CancelledError):
        await search
    for _ in range(100):
        if gone(pid):
            break
        await asyncio.sleep(0.02)
    assert gone(pid)
    assert await worker.search("^no$", "yes", 5) is False
    assert await worker.search("^yes$", "yes", 5) is True


async def test_invalid_pattern_at_run_time_is_a_config_error(worker: RegexWorker) -> None:
    outcome = await check_regex(regex("a("), "a", worker)
    assert not outcome.passed and outcome.config_error
    assert outcome.error and outcome.error.startswith("regex failed: missing )")
    assert (await check_regex(regex("a"), "a", worker)).passed  # the worker survived


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a{4294967296}", "regex failed: the repetition number is too large"),
        ("(" * 5000 + "a" + ")" * 5000, "regex failed: groups nested too deeply"),
    ],
)
async def test_every_compile_failure_is_reported_and_the_worker_survives(
    worker: RegexWorker, pattern: str, message: str
) -> None:
    """Validation catches these first; should one reach the worker, it is still a message."""
    outcome = await check_regex(regex(pattern), "a", worker)
    assert not outcome.passed and outcome.config_error
    assert outcome.error == message
    assert (await check_regex(regex("a"), "a", worker)).passed


async def test_a_reply_for_many_texts_is_not_bound_by_a_line_limit(worker: RegexWorker) -> None:
    texts = [f"item-{i}" if i % 3 else "bad" for i in range(300_000)]
    matches = await worker.search_many(r"^item-\d+$", texts, 60)
    assert matches == [bool(i % 3) for i in range(300_000)]
