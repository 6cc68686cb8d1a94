"""Streamed bodies are capped by what is buffered, not only by what is kept: an endless line, an
endless event, an answer past its cap and a compression bomb each end the attempt, incomplete,
with a clear error, and memory stays small (tracemalloc; the process's peak RSS is measured by
tests/bench/bench_caps.py). Honest compressed bodies still read as before."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from client_helpers import client_for, collect, serve
from fakeserver import FakeServer, Reply

from escalatui.clients import reader
from escalatui.clients.body import MAX_INFLATED_BYTES
from escalatui.clients.sse import MAX_EVENT_CHARS, MAX_LINE_CHARS

pytestmark = pytest.mark.timeout(60)
server = pytest.fixture(serve, name="server")
PEAK_BYTES = 24_000_000
"""Far below what the hostile bodies would take if buffered (they go on for gigabytes)."""


def chunk(text: str, finish: str | None = None) -> str:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return "data: " + json.dumps({"choices": [choice]}) + "\n\n"


GOOD = chunk("héllo ") + chunk("wörld", "stop") + "data: [DONE]\n\n"


async def measured(server: FakeServer, reply: Reply, timeout_s: float = 30) -> tuple[object, int]:
    server.enqueue(reply)
    client = client_for(server.base_url, idle_timeout_s=timeout_s)
    tracemalloc.start()
    try:
        out = await collect(client, timeout_s=timeout_s)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        await client.aclose()
    return out, peak


async def test_an_endless_line_ends_the_attempt(server: FakeServer) -> None:
    out, peak = await measured(server, Reply.endless_line())
    assert out.error is not None and out.error.kind == "stream"  # type: ignore[attr-defined]
    assert f"a stream line passed {MAX_LINE_CHARS:,} characters (its cap)" in str(out.error)  # type: ignore[attr-defined]
    assert "incomplete" in str(out.error)  # type: ignore[attr-defined]
    assert peak < PEAK_BYTES


async def test_an_endless_line_after_some_text_keeps_the_text(server: FakeServer) -> None:
    server.enqueue(Reply.endless_line(prefix=chunk("kept ").encode() + b": ", fill=b"x"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.text == "kept "
    assert out.error is not None and "after 5 characters; incomplete" in str(out.error)


async def test_an_endless_event_of_short_lines_ends_the_attempt(server: FakeServer) -> None:
    out, peak = await measured(
        server, Reply.endless_line(prefix=b"", fill=b"data: " + b"x" * 1000 + b"\n")
    )
    assert out.error is not None  # type: ignore[attr-defined]
    assert f"a stream event passed {MAX_EVENT_CHARS:,} characters" in str(out.error)  # type: ignore[attr-defined]
    assert peak < PEAK_BYTES


async def test_an_answer_past_its_cap_ends_incomplete_with_what_came(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "MAX_ANSWER_CHARS", 50_000)
    server.enqueue(Reply.megabytes(200_000, chunk_chars=1000))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert len(out.text) == 50_000  # every delta up to the cap, none past it
    assert out.error is not None and out.error.kind == "stream"
    assert "the answer passed 50,000 characters (the cap for one answer)" in str(out.error)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compression_bomb_without_line_ends_hits_the_line_cap(
    server: FakeServer, encoding: str
) -> None:
    out, peak = await measured(server, Reply.gzip_bomb(b"\0", encoding=encoding))
    assert out.error is not None and "a stream line passed" in str(out.error)  # type: ignore[attr-defined]
    assert peak < PEAK_BYTES


async def test_a_compression_bomb_of_short_lines_hits_the_inflation_cap(
    server: FakeServer,
) -> None:
    out, peak = await measured(server, Reply.gzip_bomb(b": " + b"z" * 2000 + b"\n\n"))
    error = str(out.error)  # type: ignore[attr-defined]
    assert f"the gzip body inflated past {MAX_INFLATED_BYTES >> 20} MiB" in error
    assert "incomplete" in error
    assert peak < PEAK_BYTES


async def test_a_compression_bomb_as_a_plain_answer(server: FakeServer) -> None:
    reply = Reply.gzip_bomb(b" ", content_type="application/json")
    out, peak = await measured(server, reply)
    assert out.error is not None  # type: ignore[attr-defined]
    assert "the answer body passed" in str(out.error)  # type: ignore[attr-defined]
    assert peak < 2 * reader.MAX_ANSWER_BODY + PEAK_BYTES


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
@pytest.mark.parametrize("split", [1, 7])
async def test_honest_compressed_streams_read_as_before(
    server: FakeServer, encoding: str, split: int
) -> None:
    server.enqueue(Reply.compressed(GOOD, encoding=encoding, split=split))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert (out.text, out.error, out.finish_reason) == ("héllo wörld", None, "stop")
    assert server.chat_requests[0].headers["accept-encoding"] == "gzip, deflate"


async def test_a_compressed_plain_json_answer(server: FakeServer) -> None:
    body = {"choices": [{"index": 0, "message": {"content": "whole"}, "finish_reason": "stop"}]}
    server.enqueue(Reply.compressed(json.dumps(body), content_type="application/json"))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert (out.text, out.error) == ("whole", None)


async def test_a_corrupt_gzip_body(server: FakeServer) -> None:
    server.enqueue(
        Reply.raw(b"\x1f\x8b\x08\x00 not gzip at all", headers=[("content-encoding", "gzip")])
    )
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and "the gzip body is corrupt" in str(out.error)


async def test_an_encoding_we_did_not_ask_for(server: FakeServer) -> None:
    server.enqueue(Reply.raw(GOOD, headers=[("content-encoding", "br")]))
    client = client_for(server.base_url)
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and "unsupported Content-Encoding 'br'" in str(out.error)
