"""Reading one response body into Chunks within an attempt's deadlines.

An SSE body is framed by httpx-sse (CRLF, split UTF-8, multi-line data, raw U+2028 inside JSON,
comments); each event is awaited within the deadline of the moment (first token, idle watchdog,
total: deadlines.py), so keep-alive comments never extend a silent stream; payloads become Chunks
in chunks.py. A body that is not a stream
(a plain JSON answer, an error held in a 200, a page) is read whole, up to a cap.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError

from escalatui.clients.base import Chunk, ProviderError
from escalatui.clients.chunks import parse_payload, stream_error
from escalatui.clients.deadlines import Deadlines
from escalatui.clients.errors import classify

MAX_ERROR_BODY = 1_000_000
T = TypeVar("T")
MAX_ANSWER_BODY = 16_000_000
_EOL = re.compile(r"\r\n|\r|\n")


def events_in(text: str) -> list[ServerSentEvent]:
    """The data events of an SSE body that arrived whole (a stream sent as text/plain)."""
    events: list[ServerSentEvent] = []
    data: list[str] = []
    for line in [*_EOL.split(text), ""]:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line and data:
            events.append(ServerSentEvent(data="\n".join(data)))
            data = []
    return events


@dataclass
class _Seen:
    """What a stream has shown so far."""

    done: bool = False
    finished: bool = False
    malformed: int = 0


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

    async def next_within(self, items: AsyncIterator[T]) -> T | None:
        """The next item of the body (bytes or SSE events; None at its end) before the current
        deadline; a cut connection is a broken, incomplete stream."""
        try:
            async with asyncio.timeout_at(self.clock.read_deadline()):
                return await anext(items, None)
        except TimeoutError:
            raise self._fail(ProviderError(self.clock.fired(), kind="timeout")) from None
        except (httpx.HTTPError, SSEError) as exc:
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
        raw = resp.aiter_bytes()
        while size < cap and (data := await self.next_within(raw)) is not None:
            parts.append(data)
            size += len(data)
        return b"".join(parts)[:cap]

    async def answer(self, resp: httpx.Response) -> AsyncIterator[Chunk]:
        """The Chunks of a 2xx response: an SSE stream, or one JSON answer."""
        ctype = resp.headers.get("content-type", "").lower()
        if "event-stream" in ctype:
            async for chunk in self._read_sse(resp):
                yield chunk
            return
        raw = await self.read_body(resp, MAX_ANSWER_BODY)
        text = raw.decode("utf-8", "replace").lstrip("\ufeff")
        if text.lstrip().startswith(("data:", ":")):  # a stream sent with the wrong type
            for chunk in self._chunks(events_in(text), _Seen()):
                yield chunk
            return
        for chunk in self._whole(text, ctype):
            yield chunk

    async def _read_sse(self, resp: httpx.Response) -> AsyncIterator[Chunk]:
        seen = _Seen()
        events = EventSource(resp).aiter_sse()
        try:
            while not seen.done and (event := await self.next_within(events)) is not None:
                for chunk in self._chunks([event], seen):
                    yield chunk
        finally:
            await events.aclose()
        if seen.malformed > 1:
            yield Chunk(info=f"skipped {seen.malformed} malformed stream lines in all")
        if not seen.done and not seen.finished:
            raise self._fail(
                ProviderError(
                    f"the stream ended without a finish reason or [DONE] after {self.clock.chars} "
                    "characters; incomplete",
                    kind="stream",
                )
            )

    def _chunks(self, events: list[ServerSentEvent], seen: _Seen) -> Iterator[Chunk]:
        for event in events:
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
            if parsed.progress:
                self.clock.progress(sum(len(c.text) for c in parsed.chunks))
            for chunk in parsed.chunks:
                seen.finished = seen.finished or chunk.finish_reason is not None
                yield chunk

    def _whole(self, text: str, ctype: str) -> list[Chunk]:
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
            return parse_payload(obj, self._where, self.clock.chars, self.advice).chunks
        except ProviderError as err:
            raise self._fail(err) from None
        except ValueError as exc:
            raise self._fail(ProviderError(f"unreadable answer: {exc}", kind="protocol")) from None
