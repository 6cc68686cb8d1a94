"""Reading one response body into Chunks within an attempt's deadlines.

An SSE body is framed by sse.py from raw bytes (decoded and inflated in bounded pieces by body.py,
so an endless line or a compression bomb ends the attempt instead of filling memory); each read
is awaited within the deadline of the moment (first token, idle watchdog, total: deadlines.py),
so keep-alive comments never extend a silent stream; payloads become Chunks in chunks.py. A body
that is not a stream (a plain JSON answer, an error held in a 200, a page) is read whole, up to a
cap. One answer's text is capped at MAX_ANSWER_CHARS.

A reply that is only a tool call is not an answer (the task asked for text): the attempt ends
with an error. Text plus a tool call: the text is the answer, and a line says the call was
dropped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from escalatui.clients.base import Chunk, ProviderError
from escalatui.clients.body import BodyError, pieces
from escalatui.clients.chunks import Parsed, parse_payload, stream_error
from escalatui.clients.deadlines import Deadlines
from escalatui.clients.errors import classify
from escalatui.clients.sse import Event, SSEParser

MAX_ERROR_BODY = 1_000_000
T = TypeVar("T")
MAX_ANSWER_BODY = 16_000_000
"""A plain (not streamed) answer body, in bytes."""
MAX_ANSWER_CHARS = 8 << 20
"""One answer's text (8 Mi characters): past it the attempt ends, incomplete."""


def _named(names: list[str]) -> str:
    return ", ".join(list(dict.fromkeys(n for n in names if n))[:3]) or "unnamed"


def tool_call_error(names: list[str]) -> str:
    """The error of a reply that is only a tool call."""
    return f"the model answered with a tool call ({_named(names)}), which this task did not ask for"


@dataclass
class _Seen:
    """What a stream has shown so far."""

    done: bool = False
    finished: bool = False
    malformed: int = 0
    text: bool = False
    """Some answer text that is not only whitespace."""
    tool_call: bool = False
    tools: list[str] = field(default_factory=list)
    """The distinct function names of tool calls (a few)."""


class ResponseReader:
    """Reads responses for one attempt; `fail` prefixes and redacts every error it raises."""

    def __init__(
        self,
        clock: Deadlines,
        where: str,
        advice: Mapping[str, str],
        fail: Callable[[ProviderError], ProviderError],
        redact: Callable[[str], str],
    ) -> None:
        self.clock = clock
        self._where = where
        self.advice = advice
        self._fail = fail
        self.redact = redact

    def _stream_failure(self, text: str) -> ProviderError:
        return self._fail(
            ProviderError(f"{text} after {self.clock.chars} characters; incomplete", kind="stream")
        )

    async def next_within(self, items: AsyncIterator[T]) -> T | None:
        """The next item of the body (None at its end) before the current deadline; a cut
        connection is a broken, incomplete stream."""
        try:
            async with asyncio.timeout_at(self.clock.read_deadline()):
                return await anext(items, None)
        except TimeoutError:
            raise self._fail(ProviderError(self.clock.fired(), kind="timeout")) from None
        except BodyError as exc:
            raise self._stream_failure(str(exc)) from None
        except httpx.HTTPError as exc:
            text = str(exc) or type(exc).__name__
            raise self._fail(
                ProviderError(
                    f"stream broken: the connection was cut after {self.clock.chars} characters "
                    f"({text}); incomplete",
                    kind="stream",
                )
            ) from None

    async def read_body(self, resp: httpx.Response, cap: int) -> bytes:
        """The whole body, up to `cap` bytes (an error page, a plain JSON answer)."""
        parts: list[bytes] = []
        size = 0
        raw = pieces(resp)
        try:
            while size < cap and (data := await self.next_within(raw)) is not None:
                parts.append(data)
                size += len(data)
        finally:
            await raw.aclose()
        return b"".join(parts)[:cap]

    async def answer(self, resp: httpx.Response) -> AsyncIterator[Chunk]:
        """The Chunks of a 2xx response: an SSE stream, or one JSON answer."""
        ctype = resp.headers.get("content-type", "").lower()
        seen = _Seen()
        if "event-stream" in ctype:
            async for chunk in self._read_sse(resp, seen):
                yield chunk
        else:
            raw = await self.read_body(resp, MAX_ANSWER_BODY + 1)
            if len(raw) > MAX_ANSWER_BODY:
                raise self._stream_failure(
                    f"the answer body passed {MAX_ANSWER_BODY:,} bytes (its cap)"
                )
            text = raw.decode("utf-8", "replace").lstrip("\ufeff")
            if text.lstrip().startswith(("data:", ":")):  # a stream sent with the wrong type
                parser = SSEParser()
                try:
                    events = parser.feed(raw) + parser.finish()
                except BodyError as exc:
                    raise self._stream_failure(str(exc)) from None
                for chunk in self._chunks(events, seen):
                    yield chunk
            else:
                for chunk in self._whole(text, ctype, seen):
                    yield chunk
                seen.finished = True  # one whole answer: its finish reason says the rest
        for chunk in self._ending(seen):
            yield chunk

    def _ending(self, seen: _Seen) -> Iterator[Chunk]:
        """What the end of a body means: a tool call instead of text, or no proper end."""
        if seen.malformed > 1:
            yield Chunk(info=f"skipped {seen.malformed} malformed stream lines in all")
        if seen.tool_call and not seen.text:
            raise self._fail(ProviderError(tool_call_error(seen.tools), kind="protocol"))
        if seen.tool_call:
            yield Chunk(
                info=self.redact(
                    f"the model also asked for a tool call ({_named(seen.tools)}); it was "
                    "dropped, as this task did not ask for tools: the text is the answer"
                )
            )
        if not seen.done and not seen.finished:
            raise self._fail(
                ProviderError(
                    f"the stream ended without a finish reason or [DONE] after {self.clock.chars} "
                    "characters; incomplete",
                    kind="stream",
                )
            )

    async def _read_sse(self, resp: httpx.Response, seen: _Seen) -> AsyncIterator[Chunk]:
        parser = SSEParser()
        raw: AsyncGenerator[bytes, None] = pieces(resp)
        try:
            while not seen.done:
                data = await self.next_within(raw)
                try:
                    events = parser.finish() if data is None else parser.feed(data)
                except BodyError as exc:
                    raise self._stream_failure(str(exc)) from None
                for chunk in self._chunks(events, seen):
                    yield chunk
                if data is None:
                    break
        finally:
            await raw.aclose()

    def _chunks(self, events: list[Event], seen: _Seen) -> Iterator[Chunk]:
        for event in events:
            if seen.done:
                return
            data = event.data.strip()
            if data == "[DONE]":
                seen.done = True
                return
            try:
                obj = json.loads(data)
            except (ValueError, RecursionError):
                obj = None
            if event.event == "error":
                wrapped = isinstance(obj, dict) and "error" in obj
                payload = obj if wrapped else {"error": obj or data}
                raise self._fail(stream_error(payload, self._where, self.clock.chars, self.advice))
            try:
                parsed = parse_payload(obj, self._where, self.clock.chars, self.advice)
            except ProviderError as err:
                raise self._fail(err) from None
            except ValueError:
                seen.malformed += 1
                if seen.malformed == 1:
                    yield Chunk(info=self.redact(f"skipped a malformed stream line: {data[:80]!r}"))
                continue
            yield from self._take(parsed, seen)

    def _take(self, parsed: Parsed, seen: _Seen) -> Iterator[Chunk]:
        for name in parsed.tools:
            seen.tool_call = True
            if name and name not in seen.tools and len(seen.tools) < 10:
                seen.tools.append(name)
        for note in parsed.notes:
            yield Chunk(info=self.redact(note))
        if parsed.progress:
            text_chars = sum(len(c.text) for c in parsed.chunks)
            if self.clock.chars + text_chars > MAX_ANSWER_CHARS:
                raise self._stream_failure(
                    f"the answer passed {MAX_ANSWER_CHARS:,} characters (the cap for one answer)"
                )
            self.clock.progress(text_chars)
        for chunk in parsed.chunks:
            seen.finished = seen.finished or chunk.finish_reason is not None
            seen.text = seen.text or bool(chunk.text.strip())
            yield chunk

    def _whole(self, text: str, ctype: str, seen: _Seen) -> list[Chunk]:
        """A server that answered with one JSON object instead of a stream."""
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            obj = None
        if not isinstance(obj, dict):
            err = classify(200, text, ctype, self._where, self.advice)
            err.message = err.message.replace("HTTP 200:", "HTTP 200 but not an answer:", 1)
            err.kind = "protocol" if err.kind == "other" else err.kind
            raise self._fail(err)
        if obj.get("error") or obj.get("object") == "error":
            raise self._fail(classify(200, text, ctype, self._where, self.advice))
        try:
            parsed = parse_payload(obj, self._where, self.clock.chars, self.advice)
        except ProviderError as err:
            raise self._fail(err) from None
        except ValueError as exc:
            raise self._fail(ProviderError(f"unreadable answer: {exc}", kind="protocol")) from None
        return list(self._take(parsed, seen))
