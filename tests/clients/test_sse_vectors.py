"""Byte-level SSE cases, taken as facts from the test suites of openai-python
(tests/test_streaming.py) and httpx-sse (tests/, the WHATWG examples and its line splitting),
plus the faults the SSE standard settles (BOM, charset, line ends). Each case sends exact bytes
from the fake server to our real client and states what the client does with them: the answer
text, whether the attempt is complete, and the error or notice it gives.

The peers assert events; we assert the answer those events make, since that is what a person
relies on. Their payloads are wrapped into chat chunks where they were bare JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from client_helpers import client_for, collect, serve
from fakeserver import FakeServer, Reply

from escalatui.clients.base import COMPLETE_REASONS

pytestmark = pytest.mark.timeout(30)
server = pytest.fixture(serve, name="server")


def delta(text: str, finish: str | None = None, *, ascii_only: bool = False) -> bytes:
    """A chat chunk's JSON (no framing)."""
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return json.dumps({"choices": [choice]}, ensure_ascii=ascii_only).encode()


def ev(text: str, eol: bytes = b"\n") -> bytes:
    return b"data: " + delta(text) + eol + eol


STOP = b"data: " + delta("", "stop") + b"\n\n"
DONE = b"data: [DONE]\n\n"
CUT_WORDS = "without a finish reason or [DONE]"


@dataclass(frozen=True)
class Vector:
    """Exact body parts (each its own network write), and what our client makes of them."""

    parts: list[bytes]
    text: str
    complete: bool = True
    error: str | None = None
    info: str | None = None
    content_type: str = "text/event-stream"
    cut: bool = False
    source: str = field(default="ours", compare=False)


V = Vector
OPENAI = "openai-python"
HTTPX_SSE = "httpx-sse"
WHATWG = "httpx-sse (WHATWG example)"

VECTORS: dict[str, Vector] = {
    # -- openai-python tests/test_streaming.py ------------------------------------------
    "basic-named-event": V(
        [b"event: completion\n", b"data: " + delta("hi") + b"\n", b"\n", STOP, DONE],
        "hi",
        source=OPENAI,
    ),
    "data-missing-event": V(
        [b"data: " + delta("hi") + b"\n", b"\n", STOP, DONE], "hi", source=OPENAI
    ),
    "event-missing-data": V([b"event: ping\n", b"\n", ev("hi"), STOP, DONE], "hi", source=OPENAI),
    "multiple-events-without-data": V(
        [b"event: ping\n", b"\n", b"event: completion\n", b"\n", ev("x"), STOP, DONE],
        "x",
        source=OPENAI,
    ),
    "multiple-events-with-data": V(
        [
            b"event: ping\n",
            b"data: " + delta("a") + b"\n",
            b"\n",
            b"event: completion\n",
            b"data: " + delta("b") + b"\n",
            b"\n",
            STOP,
            DONE,
        ],
        "ab",
        source=OPENAI,
    ),
    "multiple-data-lines-with-empty-line": V(
        [
            b"event: ping\n",
            b"data: {\n",
            b'data: "choices":\n',
            b"data: \n",
            b"data:\n",
            b'data: [{"index": 0, "delta": {"content": "joined"}}]}\n',
            b"\n\n",
            STOP,
            DONE,
        ],
        "joined",
        source=OPENAI,
    ),
    "json-escaped-double-newline": V(
        [
            b"event: ping\n",
            b"data: " + delta("my long\n\ncontent", ascii_only=True),
            b"\n\n",
            STOP,
            DONE,
        ],
        "my long\n\ncontent",
        source=OPENAI,
    ),
    "multiple-data-lines": V(
        [
            b"data: {\n",
            b'data: "choices":\n',
            b'data: [{"delta": {"content": "ok"}}]}\n',
            b"\n\n",
            STOP,
            DONE,
        ],
        "ok",
        source=OPENAI,
    ),
    "raw-u2028-is-not-a-line-end": V(
        [
            ev(" culpa"),
            b'data: {"choices":[{"delta":{"content":" \xe2\x80\xa8"}}]}\n',
            b"\n",
            ev("foo"),
            STOP,
            DONE,
        ],
        " culpa \u2028foo",
        source=OPENAI,
    ),
    "utf8-split-across-chunks": V(
        [
            b'data: {"choices":[{"delta":{"content":"',
            b"\xd0",
            b"\xb8\xd0\xb7\xd0",
            b"\xb2\xd0\xb5\xd1\x81\xd1\x82\xd0\xbd\xd0\xb8",
            b'"}}]}\n',
            b"\n",
            STOP,
            DONE,
        ],
        "известни",
        source=OPENAI,
    ),
    "connection-cut-mid-stream": V(
        [ev("partial "), ev("answer")],
        "partial answer",
        complete=False,
        error="stream broken: the connection was cut after 14 characters",
        cut=True,
        source=OPENAI,
    ),
    # -- httpx-sse tests/ (WHATWG examples, fields, line splitting) -----------------------
    "whatwg-1-multi-line-data-not-json": V(
        [b"data: YH00\n", b"data: +2\n", b"data: 10\n", b"\n", ev("after"), STOP, DONE],
        "after",
        info="skipped a malformed stream line: 'YH00\\n+2\\n10'",
        source=WHATWG,
    ),
    "whatwg-2-comment-id-and-two-spaces": V(
        [
            b": test stream\n",
            b"\n",
            b"data: " + delta("first ") + b"\n",
            b"id: 1\n",
            b"\n",
            b"data: " + delta("second ") + b"\n",
            b"id\n",
            b"\n",
            b"data:  " + delta("third") + b"\n",
            b"\n",
            STOP,
            DONE,
        ],
        "first second third",
        source=WHATWG,
    ),
    "whatwg-3-empty-data-events": V(
        [ev("x"), b"data\n", b"\n", b"data\n", b"data\n", b"\n", STOP, DONE],
        "x",
        info="skipped a malformed stream line: ''",
        source=WHATWG,
    ),
    "whatwg-4-data-with-and-without-space": V(
        [
            b"data:" + delta("test") + b"\n",
            b"\n",
            b"data: " + delta("test") + b"\n",
            b"\n",
            STOP,
            DONE,
        ],
        "testtest",
        source=WHATWG,
    ),
    "named-event-logline": V(
        [b"event: logline\n", b"data: " + delta("New user connected") + b"\n", b"\n", STOP, DONE],
        "New user connected",
        source=HTTPX_SSE,
    ),
    "id-with-nul-ignored": V(
        [b"data: " + delta("test") + b"\n", b"id: 123\0\n", b"\n", STOP, DONE],
        "test",
        source=HTTPX_SSE,
    ),
    "retry-field-only": V([b"retry: 10000\n", b"\n", ev("r"), STOP, DONE], "r", source=HTTPX_SSE),
    "retry-field-invalid": V(
        [b"retry: 1667a\n", b"\n", ev("r"), STOP, DONE], "r", source=HTTPX_SSE
    ),
    "unknown-field": V([b"something: ignore\n", b"\n", ev("u"), STOP, DONE], "u", source=HTTPX_SSE),
    "u2028-in-data": V(
        [
            b"event: message\n",
            b'data: {"choices":[{"delta":{"content":"Hello\xe2\x80\xa8World"}}]}\n',
            b"\n",
            STOP,
            DONE,
        ],
        "Hello\u2028World",
        source=HTTPX_SSE,
    ),
    "u2029-and-nel-in-data": V(
        [
            b'data: {"choices":[{"delta":{"content":"a\xe2\x80\xa9b\xc2\x85c"}}]}\n\n',
            STOP,
            DONE,
        ],
        "a\u2029b\x85c",
        source=HTTPX_SSE,
    ),
    "lf": V([ev("a"), ev("b"), STOP, DONE], "ab", source=HTTPX_SSE),
    "crlf": V(
        [ev("a", b"\r\n"), ev("b", b"\r\n"), STOP.replace(b"\n", b"\r\n"), b"data: [DONE]\r\n\r\n"],
        "ab",
        source=HTTPX_SSE,
    ),
    "cr": V(
        [ev("a", b"\r"), ev("b", b"\r"), STOP.replace(b"\n", b"\r"), b"data: [DONE]\r\r"],
        "ab",
        source=HTTPX_SSE,
    ),
    "mixed-line-ends": V(
        [
            b"data: " + delta("a") + b"\r\n\n",
            b"data: " + delta("b") + b"\n\r",
            b"data: " + delta("c") + b"\r\r\n",
            STOP,
            DONE,
        ],
        "abc",
        source=HTTPX_SSE,
    ),
    "crlf-split-between-cr-and-lf": V(
        [b"data: " + delta("a") + b"\r", b"\n\r", b"\n" + ev("b"), STOP, DONE],
        "ab",
        source=HTTPX_SSE,
    ),
    "cr-at-read-end-then-data": V(
        [b"data: " + delta("a") + b"\r", b"\r" + ev("b", b"\r"), STOP, DONE],
        "ab",
        source=HTTPX_SSE,
    ),
    # -- [DONE] and the end of a stream ---------------------------------------------------
    "done-without-space": V([ev("d"), STOP, b"data:[DONE]\n\n"], "d"),
    "done-with-trailing-space": V([ev("d"), STOP, b"data: [DONE] \n\n"], "d"),
    # [DONE] alone is a clean end of the body, but the answer never said it was finished: the
    # engine calls such an attempt incomplete ("ended without a finish reason")
    "done-only-no-finish-reason": V([ev("d"), DONE], "d", complete=False),
    "done-then-more-data-ignored": V([ev("d"), STOP, DONE, ev(" after")], "d"),
    "done-without-final-newline": V([ev("d"), STOP, b"data: [DONE]"], "d"),
    "finish-without-final-newline": V([ev("d"), b"data: " + delta("", "stop")], "d"),
    "last-text-without-blank-line": V([ev("d"), b"data: " + delta("e", "stop") + b"\n"], "de"),
    "finish-reason-without-done": V([ev("f"), STOP], "f"),
    "neither-finish-nor-done": V(
        [ev("half")],
        "half",
        complete=False,
        error=f"ended {CUT_WORDS} after 4 characters",
    ),
    "done-as-event-name-is-not-done": V(
        [ev("x"), b"event: done\ndata: {}\n\n"],
        "x",
        complete=False,
        error=CUT_WORDS,
    ),
    "length-finish": V(
        [ev("cut"), b"data: " + delta("", "length") + b"\n\n", DONE], "cut", complete=False
    ),
    # -- comments and keep-alives ---------------------------------------------------------
    "comments-between-events": V(
        [b": OPENROUTER PROCESSING\n\n", ev("a"), b":\n", ev("b"), b": x\n\n", STOP, DONE],
        "ab",
    ),
    "comment-inside-an-event": V(
        [
            b"data: {\n",
            b": keep-alive\n",
            b'data: "choices":[{"delta":{"content":"in"}}]}\n\n',
            STOP,
            DONE,
        ],
        "in",
    ),
    # -- event: error ---------------------------------------------------------------------
    "event-error-json": V(
        [
            ev("so far"),
            b'event: error\ndata: {"error": {"message": "overloaded", "code": 529}}\n\n',
        ],
        "so far",
        complete=False,
        error="error mid-stream after 6 characters: overloaded",
    ),
    "event-error-plain-text": V(
        [ev("so far"), b"event: error\ndata: upstream went away\n\n"],
        "so far",
        complete=False,
        error="error mid-stream after 6 characters: upstream went away",
    ),
    "event-error-bare-message-object": V(
        [b'event: error\ndata: {"message": "bad things"}\n\n'],
        "",
        complete=False,
        error="bad things",
    ),
    "error-object-in-data": V(
        [ev("so far"), b'data: {"error": {"message": "rate limited upstream", "code": 429}}\n\n'],
        "so far",
        complete=False,
        error="rate limited upstream",
    ),
    # -- BOM and charset (the SSE standard: always UTF-8, one leading BOM ignored) ----------
    "bom-before-first-event": V([b"\xef\xbb\xbf" + ev("first"), STOP, DONE], "first"),
    "bom-split-across-reads": V([b"\xef", b"\xbb", b"\xbf" + ev("first"), STOP, DONE], "first"),
    "bom-then-crlf": V([b"\xef\xbb\xbf" + ev("first", b"\r\n"), STOP, DONE], "first"),
    "second-bom-is-not-stripped": V(
        [b"\xef\xbb\xbf\xef\xbb\xbf" + ev("lost"), ev("kept"), STOP, DONE], "kept"
    ),
    "charset-latin1-header-utf8-body": V(
        [ev("héllo wörld ✓"), STOP, DONE],
        "héllo wörld ✓",
        content_type="text/event-stream; charset=iso-8859-1",
    ),
    "charset-utf16-header-utf8-body": V(
        [ev("日本語"), STOP, DONE],
        "日本語",
        content_type="text/event-stream; charset=utf-16",
    ),
    "charset-bogus-header": V(
        [ev("ok ✓"), STOP, DONE],
        "ok ✓",
        content_type="text/event-stream;charset=no-such-codec",
    ),
    "invalid-utf8-becomes-replacement": V(
        [b'data: {"choices":[{"delta":{"content":"a\xffb"}}]}\n\n', STOP, DONE],
        "a\ufffdb",
    ),
    "stream-sent-as-text-plain-with-bom-and-cr": V(
        [b"\xef\xbb\xbf" + ev("plain", b"\r"), STOP, DONE],
        "plain",
        content_type="text/plain; charset=iso-8859-1",
    ),
}


@pytest.mark.parametrize("vector", VECTORS.values(), ids=VECTORS.keys())
async def test_sse_vector(server: FakeServer, vector: Vector) -> None:
    server.enqueue(
        Reply.raw(vector.parts, gap_s=0.003, content_type=vector.content_type, cut=vector.cut)
    )
    client = client_for(server.base_url)
    try:
        out = await collect(client)
    finally:
        await client.aclose()
    assert out.text == vector.text
    complete = out.error is None and out.finish_reason in COMPLETE_REASONS
    assert complete == vector.complete, out.error
    if vector.error is None:
        assert out.error is None
    else:
        assert out.error is not None and vector.error in str(out.error)
    if vector.info is not None:
        assert vector.info in out.infos


async def test_every_vector_split_at_every_byte(server: FakeServer) -> None:
    """The same answers when each byte is its own network read (a slow proxy)."""
    for name in ("crlf", "mixed-line-ends", "bom-before-first-event", "utf8-split-across-chunks"):
        vector = VECTORS[name]
        raw = b"".join(vector.parts)
        server.enqueue(Reply.raw([raw[i : i + 1] for i in range(len(raw))], gap_s=0.0))
        client = client_for(server.base_url)
        try:
            out = await collect(client)
        finally:
            await client.aclose()
        assert (out.text, out.error) == (vector.text, None), name


def test_about_fifty_vectors() -> None:
    assert len(VECTORS) >= 50
