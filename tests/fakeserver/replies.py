"""``Reply``: what the fake does with one request, and the chat-completion constructors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .faults import FaultReplies
from .payloads import (
    MEGABYTES_PATTERN,
    OPENROUTER_COMMENT,
    Chat,
    comment,
    encode,
    fixed_length,
    pieces_of,
    split_words,
    sse,
    waits,
)
from .plan import Drop, Request, Step


@dataclass(frozen=True)
class Reply(FaultReplies):
    """What the fake does with one request: ``plan(request)`` yields the steps to perform.

    Build replies with the classmethods; ``Reply(label, plan)`` makes a custom one.
    """

    @classmethod
    def text(
        cls,
        content: str,
        *,
        chunks: Sequence[str] | None = None,
        finish_reason: str | None = "stop",
        usage: dict[str, Any] | None = None,
        done: bool = True,
        delay_s: float = 0.0,
        keepalive_every_s: float | None = None,
        comment_text: str = OPENROUTER_COMMENT,
        first_byte_delay_s: float = 0.0,
    ) -> Reply:
        """A chat completion: an SSE stream (role chunk, content chunks, a chunk with
        ``finish_reason`` unless None, a ``choices: []`` usage chunk if ``usage``, ``[DONE]`` if
        ``done``), or one JSON ``chat.completion`` when the request says ``"stream": false``.

        ``delay_s`` pauses before each content chunk, sending ``: comment_text`` keep-alives every
        ``keepalive_every_s`` meanwhile; ``first_byte_delay_s`` delays the status line.
        """
        pieces = pieces_of(content, chunks)
        text_ = "".join(pieces) if chunks is not None else content

        def plan(req: Request) -> Iterator[Step]:
            chat = Chat(req)
            if not req.wants_stream:
                yield from waits(first_byte_delay_s)
                body = encode(chat.completion(text_, finish_reason, usage))
                yield from fixed_length(200, body, [("content-type", "application/json")])
                return
            yield from chat.opening(first_byte_delay_s)
            yield from chat.contents(pieces, delay_s, keepalive_every_s, comment_text)
            yield from chat.closing(finish_reason, usage, done)

        return cls(f"text({text_[:30]!r}, finish_reason={finish_reason!r})", plan)

    @classmethod
    def drip(cls, content: str, delay_s: float = 0.02, **kwargs: Any) -> Reply:
        """A slow stream: one chunk per character, ``delay_s`` before each."""
        return cls.text(content, chunks=list(content), delay_s=delay_s, **kwargs)

    @classmethod
    def clean_end_no_done(
        cls, content: str = "partial answer", *, chunks: Sequence[str] | None = None
    ) -> Reply:
        """Content chunks, then a clean chunked end with no finish_reason and no ``[DONE]``."""
        return cls.text(content, chunks=chunks, finish_reason=None, done=False)

    @classmethod
    def cut(
        cls,
        after_chunks: int = 1,
        content: str = "partial output that never gets to the end",
        *,
        chunks: Sequence[str] | None = None,
        delay_s: float = 0.0,
        reset: bool = False,
    ) -> Reply:
        """Stream ``after_chunks`` content chunks, then drop the connection mid-body
        (FIN; RST if ``reset``). httpx raises RemoteProtocolError / ReadError on read."""
        pieces = pieces_of(content, chunks)[:after_chunks]

        def plan(req: Request) -> Iterator[Step]:
            chat = Chat(req)
            yield from chat.opening()
            yield from chat.contents(pieces, delay_s)
            yield Drop(reset)

        return cls(f"cut(after_chunks={after_chunks})", plan)

    @classmethod
    def midstream_error(
        cls,
        after_chunks: int = 1,
        message: str = "Provider returned error",
        code: int | str = 502,
        *,
        content: str = "partial output before the error",
        done: bool = False,
    ) -> Reply:
        """OpenRouter's in-stream failure: content chunks, then a chunk holding ``error`` with
        ``finish_reason: "error"``, then a clean end (``[DONE]`` only if ``done``)."""
        pieces = split_words(content)[:after_chunks]

        def plan(req: Request) -> Iterator[Step]:
            chat = Chat(req)
            yield from chat.opening()
            yield from chat.contents(pieces)
            event = chat.chunk({"content": ""}, "error")
            yield sse({**event, "error": {"code": code, "message": message}})
            yield from chat.closing(None, None, done)

        return cls(f"midstream_error({code!r})", plan)

    @classmethod
    def keepalives_forever(
        cls,
        every_s: float = 1.0,
        max_s: float = 10.0,
        *,
        content: str = "",
        comment_text: str = OPENROUTER_COMMENT,
    ) -> Reply:
        """Send ``content`` (if any), then only SSE comments, one every ``every_s`` up to
        ``max_s`` seconds, then drop the connection. Defeats a plain read timeout."""
        pieces = split_words(content)

        def plan(req: Request) -> Iterator[Step]:
            chat = Chat(req)
            yield from chat.opening()
            yield from chat.contents(pieces)
            for _ in range(max(1, round(max_s / every_s))):
                yield every_s
                yield comment(comment_text)
            yield Drop()

        return cls(f"keepalives_forever({every_s}, {max_s})", plan)

    @classmethod
    def megabytes(
        cls,
        n_chars: int,
        chunk_chars: int = 1,
        *,
        pattern: str = MEGABYTES_PATTERN,
        batch_bytes: int = 1 << 16,
    ) -> Reply:
        """A huge stream of ``n_chars`` content characters (``pattern`` repeated) in deltas of
        ``chunk_chars``, generated lazily; events are batched into ~``batch_bytes`` writes.
        ``megabytes_content(n_chars)`` is the text it streams."""

        def plan(req: Request) -> Iterator[Step]:
            chat = Chat(req)
            yield from chat.opening()
            yield from chat.content_batches(n_chars, chunk_chars, pattern, batch_bytes)
            yield from chat.closing("stop", None, True)

        return cls(f"megabytes({n_chars}, {chunk_chars})", plan)

    @classmethod
    def tool_call(
        cls, name: str = "get_weather", arguments: str = '{"city": "Paris"}', *, content: str = ""
    ) -> Reply:
        """A reply that calls a tool (``content`` before it, if any), finish_reason
        ``tool_calls``: streamed as OpenAI does (the name in the first delta, the arguments in
        pieces after it), or one JSON ``message.tool_calls`` when not streaming."""
        call = {"index": 0, "id": "call_fake_1", "type": "function"}

        def plan(req: Request) -> Iterator[Step]:
            chat = Chat(req)
            if not req.wants_stream:
                body = chat.completion(content or None, "tool_calls", None)  # type: ignore[arg-type]
                function = {"name": name, "arguments": arguments}
                body["choices"][0]["message"]["tool_calls"] = [call | {"function": function}]
                yield from fixed_length(200, encode(body), [("content-type", "application/json")])
                return
            yield from chat.opening()
            yield from chat.contents(split_words(content))
            first = call | {"function": {"name": name, "arguments": ""}}
            yield sse(chat.chunk({"tool_calls": [first]}))
            for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]):
                yield sse(
                    chat.chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                )
            yield from chat.closing("tool_calls", None, True)

        return cls(f"tool_call({name!r}, content={content[:20]!r})", plan)
