"""Attempts that did not finish cleanly are never checked as answers; check errors stop runs."""

from __future__ import annotations

import sys

import pytest
from engine_helpers import (
    contains,
    decided,
    finished,
    make_runner,
    make_task,
    run_all,
    served,
    sim,
    started,
    user_prompt,
)
from fakeserver import FakeServer, Reply

from escalatui.engine.events import ChecksDone

pytestmark = pytest.mark.timeout(30)


def one_step(server: FakeServer, retries: int = 1, **step: object) -> object:
    return make_task(
        [{"name": "s", "prompt": "p", "checks": [contains("PASS")], **step}],
        {"m": served(server.base_url, "m")},
        chain=["m"],
        retries=retries,
    )


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.cut(after_chunks=2, content="PASS PASS PASS PASS"), "stream broken"),
        (Reply.clean_end_no_done("PASS but unfinished"), "without a finish reason"),
        (Reply.midstream_error(after_chunks=1, content="PASS then"), "error"),
        (Reply.text("PASS filtered", finish_reason="content_filter"), "'content_filter'"),
    ],
    ids=["cut", "clean-end-no-finish", "midstream-error", "content-filter"],
)
async def test_incomplete_attempt_is_never_checked(
    server: FakeServer, reply: Reply, reason: str
) -> None:
    server.enqueue(reply, Reply.text("PASS for real"))
    events = await run_all(make_runner(one_step(server)))
    first, second = decided(events)
    assert first.complete is False
    assert first.output.startswith("PASS")  # the partial output is kept
    assert first.checks == ()  # it contains PASS, yet was not checked as an answer
    assert first.verdict == "error" and first.next == "retry"
    assert first.error is not None and reason in first.error
    assert first.feedback is None  # nothing to learn from a broken stream
    checks = [e for e in events if isinstance(e, ChecksDone)]
    assert checks[0].outcomes == ()
    assert second.complete is True and second.verdict == "accept"


async def test_cut_at_the_token_limit_asks_for_a_shorter_answer(server: FakeServer) -> None:
    server.enqueue(Reply.text("PASS and a very long", finish_reason="length"), Reply.text("PASS"))
    events = await run_all(make_runner(one_step(server)))
    first, second = decided(events)
    assert (first.complete, first.checks, first.verdict) == (False, (), "retry")
    assert first.error is not None and "token limit" in first.error
    assert first.feedback is not None and "token limit" in first.feedback
    assert "cut off at the token limit" in user_prompt(server.chat_requests[1].json)
    assert second.verdict == "accept"


@pytest.mark.parametrize(
    "broken",
    [
        Reply.cut(after_chunks=1, content="x y"),
        Reply.clean_end_no_done("x y"),
        Reply.text("x y", finish_reason="content_filter"),
    ],
    ids=["cut", "no-finish-reason", "content-filter"],
)
async def test_a_broken_attempt_keeps_the_last_real_feedback(
    server: FakeServer, broken: Reply
) -> None:
    server.enqueue(Reply.text("nope"), broken, Reply.text("PASS"))
    events = await run_all(make_runner(one_step(server, retries=2)))
    records = decided(events)
    assert [d.verdict for d in records] == ["retry", "error", "accept"]
    assert records[1].complete is False and records[1].checks == ()
    # The broken attempt taught nothing new: the third prompt still carries the check's feedback.
    assert "The answer must contain 'PASS'" in started(events)[2].prompt
    assert "Your previous answer was:\nnope" in started(events)[2].prompt


async def test_command_check_exit_127_stops_the_run_with_a_clear_error() -> None:
    task = make_task(
        [
            {
                "name": "s",
                "prompt": "p",
                "checks": [{"kind": "command", "run": [sys.executable, "-c", "exit(127)"]}],
            }
        ],
        {"a": sim("x"), "b": sim("y")},
        chain=["a", "b"],
        retries=3,
    )
    events = await run_all(make_runner(task))
    (record,) = decided(events)  # no retry, no escalation: the task is misconfigured
    assert record.verdict == "rejected" and record.next == "stop"
    assert record.checks[0].config_error is True
    run = finished(events)
    assert run.status == "failed"
    assert run.error is not None and "exit 127" in run.error
    assert run.error.startswith("step 's': the command check is misconfigured")


async def test_missing_command_is_a_configuration_error() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [{"kind": "command", "run": ["no-such-cmd-xyz"]}]}],
        {"a": sim("x")},
        chain=["a"],
        retries=2,
    )
    events = await run_all(make_runner(task))
    assert len(decided(events)) == 1
    run = finished(events)
    assert run.status == "failed"
    assert run.error is not None and "no-such-cmd-xyz" in run.error


async def test_a_crashing_check_is_an_error_never_a_pass() -> None:
    task = make_task(
        [{"name": "s", "prompt": "p", "checks": [{"kind": "python", "call": "json:loads"}]}],
        {"a": sim("not json")},
        chain=["a"],
    )
    events = await run_all(make_runner(task))
    (record,) = decided(events)
    assert record.verdict != "accept"
    assert record.checks[0].passed is False and record.checks[0].error
    assert finished(events).status == "failed"


async def test_command_check_gets_the_answer_on_stdin_and_its_output_as_feedback() -> None:
    script = "import sys; t = sys.stdin.read(); print('got:', t); sys.exit(0 if 'ok' in t else 3)"
    task = make_task(
        [
            {
                "name": "s",
                "prompt": "p",
                "checks": [{"kind": "command", "run": [sys.executable, "-c", script]}],
            }
        ],
        {"a": sim("$(rm -rf /) `x`; bad", "ok")},
        chain=["a"],
        retries=1,
    )
    events = await run_all(make_runner(task))
    first, second = decided(events)
    assert first.verdict == "retry"
    assert first.feedback is not None and "got: $(rm -rf /) `x`; bad" in first.feedback
    assert second.verdict == "accept"
