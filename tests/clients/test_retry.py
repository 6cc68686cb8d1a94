"""Retry decisions: openai-python's backoff, Retry-After in every form, the cap, the override."""

from __future__ import annotations

import email.utils
import math

import pytest

from escalatui.clients.retry import RetryPolicy, server_wait, should_retry_header

NOW = 1_700_000_000.0


def test_backoff_is_exponential_capped_with_up_to_25_percent_jitter() -> None:
    top = RetryPolicy(jitter=lambda: 0.0)
    bottom = RetryPolicy(jitter=lambda: 0.999999)
    assert [top.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    for n in range(6):
        assert bottom.backoff(n) == pytest.approx(top.backoff(n) * 0.75, rel=1e-5)
    assert RetryPolicy().backoff(10_000) <= 8.0  # no overflow


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-5"}, -5.0),
        ({"retry-after": "99999999"}, 99999999.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": email.utils.formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"retry-after": email.utils.formatdate(NOW - 30, usegmt=True)}, -30.0),
        ({"retry-after": "tomorrow-ish"}, None),
        ({"retry-after": "nan"}, None),
        ({}, None),
    ],
)
def test_server_wait(headers: dict[str, str], expected: float | None) -> None:
    got = server_wait(headers, now=NOW)
    assert got == (None if expected is None else pytest.approx(expected, abs=1))


def test_infinite_retry_after() -> None:
    assert server_wait({"retry-after": "inf"}) == math.inf


def test_should_retry_header() -> None:
    assert should_retry_header({"x-should-retry": "true"}) is True
    assert should_retry_header({"x-should-retry": "FALSE"}) is False
    assert should_retry_header({"x-should-retry": "maybe"}) is None


POLICY = RetryPolicy(max_retries=2, jitter=lambda: 0.0)


def test_waits_as_told_within_the_cap() -> None:
    assert POLICY.next_wait(retryable=True, retry=0, headers={"retry-after": "7"}).seconds == 7


@pytest.mark.parametrize("value", ["0", "-3", "garbage"])
def test_zero_negative_or_unreadable_fall_back_to_backoff(value: str) -> None:
    wait = POLICY.next_wait(retryable=True, retry=1, headers={"retry-after": value})
    assert wait.seconds == 1.0


@pytest.mark.parametrize("value", ["61", "3600", "inf", "1e308"])
def test_above_the_cap_fails_fast(value: str) -> None:
    wait = POLICY.next_wait(retryable=True, retry=0, headers={"retry-after": value})
    assert wait.seconds is None
    assert "cap" in wait.why


def test_retry_count_is_bounded() -> None:
    assert POLICY.next_wait(retryable=True, retry=1).seconds is not None
    wait = POLICY.next_wait(retryable=True, retry=2)
    assert wait.seconds is None and "2 retries" in wait.why


def test_x_should_retry_overrides_the_status() -> None:
    assert POLICY.next_wait(retryable=False, retry=0).seconds is None
    told = POLICY.next_wait(retryable=False, retry=0, headers={"x-should-retry": "true"})
    assert told.seconds == 0.5
    refused = POLICY.next_wait(retryable=True, retry=0, headers={"x-should-retry": "false"})
    assert refused.seconds is None and "x-should-retry" in refused.why


def test_a_wait_that_does_not_fit_the_deadline_gives_up() -> None:
    wait = POLICY.next_wait(retryable=True, retry=0, headers={"retry-after": "5"}, remaining_s=2)
    assert wait.seconds is None and "left" in wait.why
