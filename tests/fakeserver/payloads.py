"""Body bytes of the fake's answers: SSE events, OpenAI chat payloads, fixed-length bodies."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .plan import END, Head, Request, Step

OPENROUTER_COMMENT = "OPENROUTER PROCESSING"
SSE_HEADERS = (("content-type", "text/event-stream"), ("cache-control", "no-cache"))
DONE_EVENT = b"data: [DONE]\n\n"
MEGABYTES_PATTERN = "the quick brown fox jumps over the lazy dog\n"
_ids = itertools.count(1)


def encode(body: str | bytes | dict[str, Any] | list[Any]) -> bytes:
    """Bytes as-is, str as UTF-8 (lone surrogates kept), dict/list as JSON."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    return json.dumps(body).encode()


def sse(obj: Any) -> bytes:
    """One SSE ``data:`` event holding ``obj`` as JSON."""
    # ensure_ascii=False on purpose: U+2028 and friends go out raw, as Node-based servers send them.
    return (
        b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n\n"
    )


def comment(text: str) -> bytes:
    """One SSE comment line (a keep-alive)."""
    return f": {text}\n\n".encode()


def waits(total_s: float, every_s: float | None = None, comment_text: str = "") -> Iterator[Step]:
    """Pause ``total_s``, sending an SSE comment every ``every_s`` seconds while waiting."""
    if total_s <= 0:
        return
    if not every_s or every_s <= 0:
        yield float(total_s)
        return
    remaining = float(total_s)
    while remaining > 1e-9:
        gap = min(every_s, remaining)
        yield gap
        remaining -= gap
        if remaining > 1e-9:
            yield comment(comment_text)


def fixed_length(status: int, body: bytes, headers: Sequence[tuple[str, str]]) -> list[Step]:
    """A whole non-chunked response: status, headers plus Content-Length, body, clean end."""
    head = Head(status, (*headers, ("content-length", str(len(body)))), chunked=False)
    return [head, body, END]


def megabytes_content(n_chars: int, pattern: str = MEGABYTES_PATTERN) -> str:
    """The exact content ``Reply.megabytes(n_chars, pattern=pattern)`` streams."""
    return (pattern * (n_chars // len(pattern) + 1))[:n_chars]


def split_words(content: str) -> list[str]:
    """Default chunking of ``content``: words with their trailing whitespace."""
    return re.findall(r"\S+\s*|\s+", content)


def pieces_of(content: str, chunks: Sequence[str] | None) -> list[str]:
    """The content deltas to stream: ``chunks`` when given, else ``split_words(content)``."""
    return list(chunks) if chunks is not None else split_words(content)


class Chat:
    """Builds OpenAI chat payloads for one request (stable id, model and timestamp)."""

    def __init__(self, req: Request) -> None:
        self.id, self.model = f"chatcmpl-fake-{next(_ids)}", req.model or "fake-model"
        self.created = int(time.time())

    def envelope(self, obj: str = "chat.completion.chunk") -> dict[str, Any]:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model}

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return self.envelope() | {"choices": [choice]}

    def usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        return self.envelope() | {"choices": [], "usage": usage}

    def completion(
        self, content: str, finish_reason: str | None, usage: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The one-piece ``chat.completion`` body of a non-streaming request."""
        message = {"role": "assistant", "content": content}
        choice = {"index": 0, "message": message, "finish_reason": finish_reason}
        body = self.envelope("chat.completion") | {"choices": [choice]}
        if usage is not None:
            body["usage"] = usage
        return body

    def opening(self, first_byte_delay_s: float = 0.0) -> Iterator[Step]:
        yield from waits(first_byte_delay_s)
        yield Head(200, SSE_HEADERS)
        yield sse(self.chunk({"role": "assistant", "content": ""}))

    def contents(
        self,
        pieces: Iterable[str],
        delay_s: float = 0.0,
        every_s: float | None = None,
        comment_text: str = "",
    ) -> Iterator[Step]:
        for piece in pieces:
            yield from waits(delay_s, every_s, comment_text)
            yield sse(self.chunk({"content": piece}))

    def content_batches(
        self, n_chars: int, chunk_chars: int, pattern: str, batch_bytes: int
    ) -> Iterator[bytes]:
        """``n_chars`` of ``pattern`` repeated, in deltas of ``chunk_chars``, generated lazily
        and joined into writes of ~``batch_bytes``."""
        prefix, _, suffix = sse(self.chunk({"content": "\0"})).partition(b'"\\u0000"')
        text = pattern * (chunk_chars // len(pattern) + 2)
        batch: list[bytes] = []
        size, sent = 0, 0
        while sent < n_chars:
            count = min(chunk_chars, n_chars - sent)
            start = sent % len(pattern)
            piece = json.dumps(text[start : start + count], ensure_ascii=False).encode()
            batch.append(prefix + piece + suffix)
            size += len(batch[-1])
            sent += count
            if size >= batch_bytes:
                yield b"".join(batch)
                batch, size = [], 0
        if batch:
            yield b"".join(batch)

    def closing(
        self, finish_reason: str | None, usage: dict[str, Any] | None, done: bool
    ) -> Iterator[Step]:
        if finish_reason is not None:
            yield sse(self.chunk({}, finish_reason))
        if usage is not None:
            yield sse(self.usage(usage))
        if done:
            yield DONE_EVENT
        yield END
