"""Streaming faults: every framing case, broken and unfinished streams, keep-alives
against the watchdog, the first-byte allowance, the total deadline, cancel, megabytes."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from typing import Any

import pytest
from client_helpers import client_for, collect, request, serve
from fakeserver import FakeServer, Reply, megabytes_content

pytestmark = pytest.mark.timeout(30)
server = pytest.fixture(serve, name="server")


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> str:
    delta = {} if content is None and "delta" not in extra else {"content": content}
    choice = {"index": 0, "delta": extra.pop("delta", delta), "finish_reason": finish}
    return json.dumps({"id": "c", "choices": [choice], **extra}, ensure_ascii=False)


def sse(*payloads: str, eol: str = "\n", space: str = " ") -> str:
    return "".join(f"data:{space}{p}{eol}{eol}" for p in payloads)


GOOD = [chunk("héllo "), chunk("wörld ✓"), chunk(None, "stop")]
GOOD_TEXT = "héllo wörld ✓"
VLLM_MESSAGE = "Provider returned error"


async def stream_raw(server: FakeServer, data: Any, **kw: Any) -> Any:
    server.enqueue(Reply.raw(data, **kw))
    client = client_for(server.base_url)
    try:
        return await collect(client)
    finally:
        await client.aclose()


# -- framing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        sse(*GOOD, "[DONE]"),
        sse(*GOOD, "[DONE]", eol="\r\n"),
        sse(*GOOD, "[DONE]", eol="\r"),
        sse(*GOOD, "[DONE]", space=""),
        ": OPENROUTER PROCESSING\n\n" + sse(*GOOD, "[DONE]") + ": trailing comment\n\n",
    ],
    ids=["lf", "crlf", "cr", "data-without-space", "comments"],
)
async def test_line_framings(server: FakeServer, data: str) -> None:
    out = await stream_raw(server, data)
    assert out.error is None
    assert (out.text, out.finish_reason) == (GOOD_TEXT, "stop")


async def test_split_at_many_points_across_network_reads(server: FakeServer) -> None:
    raw = sse(*GOOD, "[DONE]", eol="\r\n").encode()
    inside_char = raw.index("ö".encode()) + 1  # between the two bytes of ö
    inside_crlf = raw.index(b"\r\n") + 1  # between CR and LF
    for cut in sorted({1, 7, inside_char, inside_crlf, len(raw) // 2, len(raw) - 3}):
        out = await stream_raw(server, [raw[:cut], raw[cut:]])
        assert out.error is None, cut
        assert (out.text, out.finish_reason) == (GOOD_TEXT, "stop"), cut


async def test_every_byte_its_own_read(server: FakeServer) -> None:
    raw = sse(*GOOD, "[DONE]").encode()
    out = await stream_raw(server, [raw[i : i + 1] for i in range(len(raw))], gap_s=0.0)
    assert (out.text, out.finish_reason) == (GOOD_TEXT, "stop")


async def test_multi_line_data(server: FakeServer) -> None:
    payload = chunk("multi line")
    cut = payload.index('"choices":') + len('"choices":')  # between two JSON tokens
    head, tail = payload[:cut], payload[cut:]
    data = f"data: {head}\ndata: {tail}\n\n" + sse(chunk(None, "stop"), "[DONE]")
    out = await stream_raw(server, data)
    # joined with "\n", which JSON reads as whitespace between tokens
    assert (out.text, out.finish_reason) == ("multi line", "stop")


async def test_raw_unicode_line_separators_inside_json(server: FakeServer) -> None:
    text = "a\u2028b\u2029c\x85d"
    out = await stream_raw(server, sse(chunk(text), chunk(None, "stop"), "[DONE]"))
    assert out.error is None
    assert out.text == text


async def test_usage_chunk_with_empty_choices_and_null_content(server: FakeServer) -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "cost": 0.0012}
    data = sse(
        chunk(None, delta={"role": "assistant", "content": None}),
        chunk("ok"),
        chunk(None, "stop", delta={"content": None}),
        json.dumps({"id": "c", "choices": [], "usage": usage}),
        "[DONE]",
    )
    out = await stream_raw(server, data)
    assert (out.text, out.finish_reason) == ("ok", "stop")
    assert out.usage is not None
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == (5, 2)
    assert out.usage.cost_usd == pytest.approx(0.0012)


async def test_malformed_lines_among_good_ones_are_skipped_and_said(server: FakeServer) -> None:
    data = (
        sse(GOOD[0])
        + "data: {not json\n\n"
        + sse('"a string"', "[1, 2]", '{"choices": "nope"}')
        + sse(*GOOD[1:], "[DONE]")
    )
    out = await stream_raw(server, data)
    assert (out.text, out.finish_reason) == (GOOD_TEXT, "stop")
    assert any("malformed" in info for info in out.infos)
    assert any("4 malformed" in info for info in out.infos)


async def test_stream_sent_with_the_wrong_content_type(server: FakeServer) -> None:
    out = await stream_raw(server, sse(*GOOD, "[DONE]"), content_type="text/plain")
    assert (out.text, out.finish_reason) == (GOOD_TEXT, "stop")


async def test_plain_json_answer_when_the_server_ignores_stream(server: FakeServer) -> None:
    body = {
        "choices": [{"index": 0, "message": {"content": "whole"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1},
    }
    server.enqueue(Reply.error(200, body))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert (out.text, out.finish_reason) == ("whole", "stop")


# -- broken and unfinished streams -----------------------------------------------------


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
async def test_cut_stream_is_incomplete_keeps_output_and_is_not_retried(
    server: FakeServer, reset: bool
) -> None:
    server.enqueue(Reply.cut(after_chunks=2, content="one two three four", reset=reset))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.text == "one two "
    assert out.error is not None and out.error.kind == "stream"
    assert "cut after 8 characters" in str(out.error)
    assert len(server.chat_requests) == 1  # nothing is retried once a stream has started


async def test_headers_then_cut_before_any_content_is_not_retried(server: FakeServer) -> None:
    server.enqueue(Reply.raw(": hello\n\n", cut=True))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == "stream"
    assert len(server.chat_requests) == 1


async def test_clean_end_without_done_or_finish_reason(server: FakeServer) -> None:
    out = await stream_raw(server, sse(chunk("half an ans")))
    assert out.text == "half an ans"
    assert out.error is not None and out.error.kind == "stream"
    assert "without a finish reason or [DONE]" in str(out.error)


async def test_clean_end_with_finish_reason_but_no_done_is_fine(server: FakeServer) -> None:
    out = await stream_raw(server, sse(*GOOD))
    assert out.error is None and out.finish_reason == "stop"


async def test_finish_reason_length_is_passed_on(server: FakeServer) -> None:
    server.enqueue(Reply.text("cut off at the limit", finish_reason="length"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.finish_reason == "length"  # the engine marks it incomplete


@pytest.mark.parametrize(
    "data",
    [
        # OpenRouter: an error object in a chunk whose finish_reason is "error"
        sse(chunk("partial "))
        + sse(chunk("", "error", error={"code": 502, "message": "Provider returned error"})),
        # OpenAI and llama.cpp: a bare error object
        sse(chunk("partial "), json.dumps({"error": {"message": "Provider returned error"}})),
        # vLLM
        sse(chunk("partial "), json.dumps({"object": "error", "message": VLLM_MESSAGE})),
        # a finish_reason "error" with no message at all
        sse(chunk("partial "), chunk(None, "error")),
    ],
    ids=["openrouter", "openai", "vllm", "bare-finish-error"],
)
async def test_midstream_errors(server: FakeServer, data: str) -> None:
    out = await stream_raw(server, data + sse("[DONE]"))
    assert out.text == "partial "
    assert out.error is not None and out.error.kind == "stream"
    assert "mid-stream after 8 characters" in str(out.error)
    assert "Provider returned error" in str(out.error) or "finish_reason 'error'" in str(out.error)
    assert len(server.chat_requests) == 1


async def test_llama_cpp_error_field_leaves_the_attempt_incomplete(server: FakeServer) -> None:
    # llama.cpp ends a failed stream with `error: {...}`, which is not an SSE field: httpx-sse
    # skips it, so the server's words are lost, but the attempt is still incomplete, never an
    # answer.
    error = 'error: {"error": {"code": 500, "message": "Provider returned error"}}\n\n'
    out = await stream_raw(server, sse(chunk("partial ")) + error)
    assert out.text == "partial "
    assert out.error is not None and out.error.kind == "stream"
    assert "without a finish reason" in str(out.error)


async def test_midstream_context_error_escalates(server: FakeServer) -> None:
    error = {"error": {"code": 400, "message": "maximum context length exceeded"}}
    out = await stream_raw(server, sse(json.dumps(error)))
    assert out.error is not None and out.error.kind == "context"


# -- keep-alives, watchdog, deadlines --------------------------------------------------


async def test_keepalives_forever_after_content_trip_the_watchdog(server: FakeServer) -> None:
    server.enqueue(Reply.keepalives_forever(every_s=0.05, max_s=20, content="some words "))
    client = client_for(server.base_url, idle_timeout_s=0.5)
    out = await collect(client, timeout_s=20)
    await client.aclose()
    assert out.text == "some words "
    assert out.error is not None and out.error.kind == "timeout"
    assert "no content for 0.5s after 11 characters" in str(out.error)
    assert "keep-alive" in str(out.error)
    assert await server.await_until(lambda: server.disconnects == 1)
    assert server.chat_requests[0].chunks_sent > 5  # keep-alives really were flowing


async def test_keepalives_before_any_token_hit_the_first_token_deadline(
    server: FakeServer,
) -> None:
    server.enqueue(Reply.keepalives_forever(every_s=0.05, max_s=20))
    client = client_for(server.base_url, idle_timeout_s=0.1)
    out = await collect(client, timeout_s=0.6)
    await client.aclose()
    assert out.error is not None and out.error.kind == "timeout"
    assert "no first token within 0.6s" in str(out.error)


async def test_first_byte_allowance_fits_a_cold_load(server: FakeServer) -> None:
    # The server says nothing for longer than the idle watchdog: fine before the first token.
    server.enqueue(Reply.text("loaded at last", first_byte_delay_s=0.6))
    client = client_for(server.base_url, idle_timeout_s=0.2)
    out = await collect(client, timeout_s=5)
    await client.aclose()
    assert out.error is None and out.text == "loaded at last"


async def test_stall_without_a_response_hits_the_first_token_deadline(server: FakeServer) -> None:
    server.enqueue(Reply.stall(20))
    client = client_for(server.base_url)
    out = await collect(client, timeout_s=0.4)
    await client.aclose()
    assert out.error is not None and "no first token within 0.4s" in str(out.error)
    assert await server.await_until(lambda: server.disconnects == 1)


async def test_slow_drip_within_the_watchdog_completes(server: FakeServer) -> None:
    server.enqueue(Reply.drip("slow but steady", delay_s=0.03))
    client = client_for(server.base_url, idle_timeout_s=0.5)
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.text == "slow but steady"


async def test_total_deadline_while_still_streaming(server: FakeServer) -> None:
    server.enqueue(Reply.drip("x" * 200, delay_s=0.02))
    client = client_for(server.base_url, idle_timeout_s=1.0)
    out = await collect(client, timeout_s=0.5)
    await client.aclose()
    assert out.error is not None and out.error.kind == "timeout"
    assert "total deadline" in str(out.error) and "timeout_s=0.5s" in str(out.error)
    assert 0 < len(out.text) < 200


# -- cancel and size -------------------------------------------------------------------


async def test_cancel_closes_the_stream_so_the_server_stops(server: FakeServer) -> None:
    server.enqueue(Reply.drip("a long answer that goes on " * 20, delay_s=0.02))
    client = client_for(server.base_url)
    got: list[str] = []

    async def consume() -> None:
        async for piece in client.stream(request(30)):
            got.append(piece.text)

    task = asyncio.create_task(consume())
    assert await server.await_until(lambda: len("".join(got)) >= 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await server.await_until(lambda: server.disconnects == 1, timeout=3)
    assert server.chat_requests[0].completed is False
    await client.aclose()


async def test_closing_the_iterator_closes_the_stream(server: FakeServer) -> None:
    server.enqueue(Reply.drip("another long answer " * 20, delay_s=0.02))
    client = client_for(server.base_url)
    stream = client.stream(request(30))
    async for piece in stream:
        if piece.text:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert await server.await_until(lambda: server.disconnects == 1, timeout=3)
    await client.aclose()


async def test_megabytes_stream_with_bounded_memory(server: FakeServer) -> None:
    n = 4_000_000
    server.enqueue(Reply.megabytes(n, chunk_chars=1000))
    client = client_for(server.base_url)
    total = 0
    tracemalloc.start()
    try:
        async for piece in client.stream(request(60)):
            total += len(piece.text)  # consumed and dropped, as a UI would
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        await client.aclose()
    assert total == n
    assert peak < 4_000_000  # the body (about 5 MB on the wire) is never held whole


async def test_many_one_character_deltas(server: FakeServer) -> None:
    n = 100_000
    server.enqueue(Reply.megabytes(n, chunk_chars=1))
    client = client_for(server.base_url)
    parts = [piece.text async for piece in client.stream(request(60))]
    await client.aclose()
    assert "".join(parts) == megabytes_content(n)
