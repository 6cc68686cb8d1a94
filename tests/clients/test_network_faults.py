"""Network and API faults: refused, DNS, connect timeout, proxies, 429 and its
Retry-After forms, 401/402/403, 5xx, every error-body shape, context windows."""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Iterator

import pytest
from client_helpers import FAST, client_for, collect, serve
from fakeserver import CONTEXT_ERRORS, FakeServer, Reply, refused_url

from escalatui.clients.retry import RetryPolicy

pytestmark = pytest.mark.timeout(30)
server = pytest.fixture(serve, name="server")


# -- before any response ---------------------------------------------------------------


async def test_connection_refused_is_retried_a_bounded_number_of_times() -> None:
    url = refused_url()
    client = client_for(url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == "connect"
    host = url.removeprefix("http://")
    assert host in str(out.error) and "connection refused" in str(out.error)
    assert "gave up after 2 retries" in str(out.error)
    assert len(out.notices) == 2 and all(n.startswith("retry ") for n in out.notices)


async def test_dns_failure_names_the_host() -> None:
    client = client_for("http://nonexistent.invalid:8080")
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == "connect"
    assert "DNS lookup failed for nonexistent.invalid" in str(out.error)
    assert len(out.notices) == 2


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A listener that never accepts, its backlog filled: new connects hang (loopback only)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    yield f"http://127.0.0.1:{port}"
    for sock in (*fillers, listener):
        sock.close()


async def test_connect_timeout(full_backlog: str) -> None:
    client = client_for(full_backlog, connect_timeout_s=0.2, policy=RetryPolicy(max_retries=1))
    out = await collect(client, timeout_s=10)
    await client.aclose()
    assert out.error is not None and out.error.kind == "timeout"
    assert "could not connect within 0.2s (connect timeout)" in str(out.error)
    assert len(out.notices) == 1


async def test_connection_reset_before_an_answer_is_retried(server: FakeServer) -> None:
    server.enqueue(Reply.refuse(), Reply.text("second time lucky"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.text == "second time lucky"
    assert len(out.notices) == 1 and len(server.chat_requests) == 2


@pytest.mark.parametrize("var", ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"])
async def test_loopback_is_reached_directly_despite_a_dead_proxy(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    monkeypatch.setenv(var, refused_url())
    server.enqueue(Reply.text("direct"), Reply.text("direct again"))
    for base in (server.base_url, server.base_url.replace("127.0.0.1", "localhost")):
        client = client_for(base)
        out = await collect(client)
        await client.aclose()
        assert out.error is None and out.text.startswith("direct")
        assert out.notices == []


async def test_remote_hosts_do_use_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", refused_url())
    client = client_for("http://example.invalid", policy=RetryPolicy(max_retries=0))
    out = await collect(client)
    await client.aclose()
    # refused by the (dead) proxy, not a DNS failure for example.invalid
    assert out.error is not None and "connection refused" in str(out.error)


# -- 429 and Retry-After ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "at_least_s"),
    [
        (Reply.rate_limited("0.3"), 0.3),
        (Reply.rate_limited(retry_after_ms="300"), 0.3),
        (Reply.rate_limited(retry_after_ms="300", retry_after="30"), 0.3),
        (Reply.rate_limited("0"), 0.0),
        (Reply.rate_limited("-5"), 0.0),
        (Reply.rate_limited("soon"), 0.0),
        (Reply.rate_limited(), 0.0),
    ],
    ids=["seconds", "ms", "ms-wins", "zero", "negative", "garbage", "none"],
)
async def test_429_waits_as_told_then_retries(
    server: FakeServer, reply: Reply, at_least_s: float
) -> None:
    server.enqueue(reply, Reply.text("after the wait"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.text == "after the wait"
    assert len(out.notices) == 1 and "HTTP 429" in out.notices[0]
    first, second = server.chat_requests
    assert second.at - first.at >= at_least_s


async def test_429_with_an_http_date(server: FakeServer) -> None:
    when = email.utils.formatdate(time.time() + 2, usegmt=True)  # 1-2 s away (whole seconds)
    server.enqueue(Reply.rate_limited(when), Reply.text("after the date"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.text == "after the date"
    first, second = server.chat_requests
    assert second.at - first.at >= 0.5


@pytest.mark.parametrize("value", ["3600", "1e12", "inf"])
async def test_429_asking_too_long_fails_fast(server: FakeServer, value: str) -> None:
    server.enqueue(Reply.rate_limited(value))
    client = client_for(server.base_url, policy=RetryPolicy(max_wait_s=60))
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == "rate"
    assert "more than the 60s cap" in str(out.error)
    assert len(server.chat_requests) == 1 and out.notices == []


async def test_a_wait_longer_than_the_time_left_fails_fast(server: FakeServer) -> None:
    server.enqueue(Reply.rate_limited("1.5"))
    client = client_for(server.base_url)
    out = await collect(client, timeout_s=1.0)
    await client.aclose()
    assert out.error is not None and "would not fit" in str(out.error)
    assert len(server.chat_requests) == 1


async def test_429_forever_gives_up_after_two_retries(server: FakeServer) -> None:
    server.enqueue(*[Reply.rate_limited("0.01")] * 5)
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and "gave up after 2 retries" in str(out.error)
    assert len(server.chat_requests) == 3 and len(out.notices) == 2


async def test_x_should_retry_overrides(server: FakeServer) -> None:
    server.enqueue(Reply.rate_limited(should_retry=False, status=500))
    server.enqueue(Reply.error(400, {"error": "try me"}, headers={"x-should-retry": "true"}))
    server.enqueue(Reply.text("told to retry"))
    client = client_for(server.base_url)
    refused = await collect(client)
    assert refused.error is not None and "x-should-retry: false" in str(refused.error)
    told = await collect(client)
    await client.aclose()
    assert told.error is None and told.text == "told to retry"
    assert len(server.chat_requests) == 3


# -- statuses and bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (401, "auth", "check the API key"),
        (402, "quota", "credits"),
        (403, "forbidden", "refused"),
    ],
)
async def test_auth_quota_forbidden_are_not_retried(
    server: FakeServer, status: int, kind: str, words: str
) -> None:
    server.enqueue(Reply.openrouter_error(status, f"provider says {status}"))
    client = client_for(server.base_url, api_key="sk-test-123456789")
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == kind
    assert f"provider says {status}" in str(out.error) and words in str(out.error)
    assert len(server.chat_requests) == 1 and out.notices == []


@pytest.mark.parametrize(
    "failing",
    [
        Reply.error(500, "boom", content_type="text/plain"),
        Reply.html_502(),
        Reply.openrouter_error(503, "No instances available"),
        Reply.openrouter_error(408, "timed out upstream"),
        Reply.error(504, ""),
    ],
    ids=["500-text", "502-html", "503-json", "408", "504-empty"],
)
async def test_server_errors_are_retried(server: FakeServer, failing: Reply) -> None:
    server.enqueue(failing, Reply.text("recovered"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.text == "recovered"
    assert len(out.notices) == 1


async def test_html_502_every_time_ends_with_a_readable_message(server: FakeServer) -> None:
    server.enqueue(Reply.html_502(), Reply.html_502(), Reply.html_502())
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None
    assert "HTTP 502: 502 Bad Gateway" in str(out.error) and "<" not in str(out.error)


async def test_loading_model_503_waits_for_the_load(server: FakeServer) -> None:
    server.enqueue(*[Reply.loading_model()] * 4, Reply.text("warm now"))
    client = client_for(server.base_url)  # 4 loading answers > 2 retries: they do not count
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.text == "warm now"
    assert len(out.notices) == 4 and all("loading" in n for n in out.notices)


async def test_loading_that_outlasts_timeout_s_fails_with_that_reason(server: FakeServer) -> None:
    server.enqueue(*[Reply.loading_model()] * 50)
    client = client_for(server.base_url)
    out = await collect(client, timeout_s=0.5)
    await client.aclose()
    assert out.error is not None and "still loading" in str(out.error)


async def test_200_holding_an_error_is_classified_not_retried(server: FakeServer) -> None:
    server.enqueue(Reply.error(200, {"error": {"code": 429, "message": "quota gone"}}))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == "rate" and "quota gone" in str(out.error)
    assert len(server.chat_requests) == 1


async def test_200_with_garbage_is_a_protocol_error(server: FakeServer) -> None:
    server.enqueue(Reply.error(200, "<html>captive portal</html>", content_type="text/html"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == "protocol"
    assert "not an answer" in str(out.error)


async def test_long_error_body_is_short_on_screen_and_whole_on_the_error(
    server: FakeServer,
) -> None:
    body = "E" * 200_000
    server.enqueue(Reply.error(400, body, content_type="text/plain"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None
    assert len(str(out.error)) < 600 and out.error.body == body


@pytest.mark.parametrize("style", sorted(CONTEXT_ERRORS))
async def test_context_window_errors_are_not_retried(server: FakeServer, style: str) -> None:
    server.enqueue(Reply.context_exceeded(style))  # type: ignore[arg-type]
    client = client_for(server.base_url, policy=FAST)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == "context"
    assert len(server.chat_requests) == 1


async def test_base_url_with_or_without_v1(server: FakeServer) -> None:
    server.enqueue(Reply.text("a"), Reply.text("b"), Reply.text("c"))
    for base in (server.base_url, server.base_url + "/", server.base_url + "/v1/"):
        client = client_for(base)
        assert (await collect(client)).error is None
        await client.aclose()
    assert {r.path for r in server.chat_requests} == {"/v1/chat/completions"}


async def test_a_redirect_points_at_base_url(server: FakeServer) -> None:
    server.enqueue(Reply.error(301, "", headers={"location": "https://example.com/v1"}))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == "config"
    assert "redirected to https://example.com/v1; check base_url" in str(out.error)
    assert len(server.chat_requests) == 1
