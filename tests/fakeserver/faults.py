"""The fields of a ``Reply`` and its constructors that build no chat payload: raw bytes, HTTP
errors (with the bodies real servers send) and connection faults."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

from .payloads import SSE_HEADERS, encode, fixed_length, waits
from .plan import END, Drop, Head, Request, Step

HOSTILE_MAX_BYTES = 1 << 31
"""Hostile bodies stop after this much (2 GiB inflated), if the client has not left first."""

LOADING_MODEL_BODY = {
    "error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}
}
# Context-window errors (400) as OpenAI, llama.cpp and OpenRouter send them.
CONTEXT_ERRORS: dict[str, dict[str, Any]] = {
    "openai": {
        "error": {
            "message": "This model's maximum context length is 8192 tokens. However, "
            "your messages resulted in 9000 tokens. Please reduce the length of the "
            "messages.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    },
    "llamacpp": {
        "error": {
            "code": 400,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": 9000,
            "n_ctx": 8192,
        }
    },
    "openrouter": {
        "error": {
            "message": "This endpoint's maximum context length is 8192 tokens. However, "
            "you requested about 9000 tokens (9000 of text input). Please reduce the "
            'length of either one, or use the "middle-out" transform to compress your '
            "prompt automatically.",
            "code": 400,
            "metadata": {"provider_name": None},
        }
    },
}


@dataclass(frozen=True)
class FaultReplies:
    """A reply's ``label`` and ``plan``, and the constructors for raw bodies, errors and faults.

    Tests use ``Reply``, which adds the chat completions; every constructor returns a ``Reply``.
    """

    label: str
    plan: Callable[[Request], Iterable[Step]]

    @classmethod
    def raw(
        cls,
        data: str | bytes | Sequence[str | bytes],
        *,
        gap_s: float = 0.02,
        status: int = 200,
        content_type: str = "text/event-stream",
        headers: Sequence[tuple[str, str]] = (),
        cut: bool = False,
    ) -> Self:
        """Send exactly these bytes as a chunked body (str is UTF-8, lone surrogates kept).
        A sequence is written part by part, each its own write and HTTP chunk, ``gap_s`` apart,
        so the parts reach the client separately (split UTF-8, split lines). Nothing is added:
        include your own ``\\n\\n``. ``cut`` drops the connection instead of ending cleanly."""
        parts = [data] if isinstance(data, str | bytes) else list(data)
        encoded = [encode(part) for part in parts]

        def plan(req: Request) -> Iterator[Step]:
            yield Head(status, (("content-type", content_type), *headers))
            for index, part in enumerate(encoded):
                if index:
                    yield gap_s
                yield part
            yield Drop() if cut else END

        return cls(f"raw({len(encoded)} parts)", plan)

    @classmethod
    def error(
        cls,
        status: int,
        body: str | bytes | dict[str, Any] | list[Any],
        *,
        headers: Sequence[tuple[str, str]] | dict[str, str] | None = None,
        content_type: str = "application/json",
        first_byte_delay_s: float = 0.0,
    ) -> Self:
        """Any status with any body (dict/list as JSON, str as UTF-8, bytes as-is), sent with
        Content-Length. Also serves plain 200 JSON answers."""
        raw_body = encode(body)
        extra = list(headers.items()) if isinstance(headers, dict) else list(headers or ())

        def plan(req: Request) -> Iterator[Step]:
            yield from waits(first_byte_delay_s)
            yield from fixed_length(status, raw_body, [("content-type", content_type), *extra])

        return cls(f"error({status})", plan)

    @classmethod
    def openrouter_error(
        cls, status: int, message: str, *, metadata: dict[str, Any] | None = None
    ) -> Self:
        """OpenRouter's error shape ``{"error": {"code", "message", "metadata"}}``."""
        error: dict[str, Any] = {"code": status, "message": message}
        if metadata is not None:
            error["metadata"] = metadata
        return cls.error(status, {"error": error})

    @classmethod
    def rate_limited(
        cls,
        retry_after: str | float | None = None,
        *,
        retry_after_ms: str | float | None = None,
        should_retry: bool | None = None,
        status: int = 429,
    ) -> Self:
        """A 429 (OpenRouter body) with optional ``Retry-After`` (seconds or an HTTP date),
        ``retry-after-ms`` and ``x-should-retry`` headers."""
        headers = []
        if retry_after is not None:
            headers.append(("retry-after", str(retry_after)))
        if retry_after_ms is not None:
            headers.append(("retry-after-ms", str(retry_after_ms)))
        if should_retry is not None:
            headers.append(("x-should-retry", "true" if should_retry else "false"))
        body = {"error": {"code": status, "message": "Rate limit exceeded", "metadata": {}}}
        return cls.error(status, body, headers=headers)

    @classmethod
    def context_exceeded(
        cls, style: Literal["openai", "llamacpp", "openrouter"] = "openai"
    ) -> Self:
        """A 400 context-window error in the shape ``style`` servers send (``CONTEXT_ERRORS``)."""
        return cls.error(400, CONTEXT_ERRORS[style])

    @classmethod
    def loading_model(cls) -> Self:
        """llama.cpp's 503 while a model loads."""
        return cls.error(503, LOADING_MODEL_BODY)

    @classmethod
    def html_502(cls) -> Self:
        """A proxy's HTML 502 page."""
        page = (
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
            "</h1></center><hr><center>nginx</center></body></html>\n"
        )
        return cls.error(502, page, content_type="text/html")

    @classmethod
    def refuse(cls) -> Self:
        """Read (and record) the request, then reset the connection without any response."""
        return cls("refuse()", lambda req: [Drop(reset=True)])

    @classmethod
    def stall(cls, seconds: float, *, after_headers: bool = False) -> Self:
        """Send nothing (or only 200 SSE headers) for ``seconds`` (capped by MAX_SLEEP_S; ends
        early if the client leaves), then close the connection."""

        def plan(req: Request) -> Iterator[Step]:
            if after_headers:
                yield Head(200, SSE_HEADERS)
            yield float(seconds)
            yield Drop()

        return cls(f"stall({seconds}, after_headers={after_headers})", plan)

    @classmethod
    def endless_line(
        cls, prefix: bytes = b"data: ", fill: bytes = b"a", *, piece_bytes: int = 1 << 16
    ) -> Self:
        """An event stream that opens a line (``prefix``) and never ends it: ``fill`` repeated in
        writes of ``piece_bytes``, until the client leaves (or HOSTILE_MAX_BYTES)."""
        piece = (fill * (piece_bytes // len(fill) + 1))[:piece_bytes]

        def plan(req: Request) -> Iterator[Step]:
            yield Head(200, SSE_HEADERS)
            yield prefix
            for _ in range(HOSTILE_MAX_BYTES // piece_bytes):
                yield piece
            yield END

        return cls(f"endless_line({fill[:8]!r})", plan)

    @classmethod
    def gzip_bomb(
        cls,
        fill: bytes = b"\0",
        *,
        content_type: str = "text/event-stream",
        encoding: str = "gzip",
        total_bytes: int = HOSTILE_MAX_BYTES,
    ) -> Self:
        """``Content-Encoding: gzip`` (or ``deflate``) of ``fill`` repeated up to ``total_bytes``
        inflated (a few MB on the wire per GB), compressed lazily while the client reads."""
        block = (fill * ((1 << 20) // len(fill) + 1))[: 1 << 20]

        def plan(req: Request) -> Iterator[Step]:
            yield Head(200, (("content-type", content_type), ("content-encoding", encoding)))
            wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
            packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
            for _ in range(total_bytes // len(block)):
                out = packer.compress(block)
                if out:
                    yield out
            yield packer.flush()
            yield END

        return cls(f"gzip_bomb({fill[:8]!r}, {encoding})", plan)

    @classmethod
    def compressed(
        cls,
        data: str | bytes,
        *,
        encoding: str = "gzip",
        content_type: str = "text/event-stream",
        split: int = 1,
    ) -> Self:
        """``data`` compressed as ``encoding`` (``gzip``, ``deflate`` with a zlib header,
        ``raw-deflate`` sent as ``deflate`` without one), in ``split`` writes."""
        wbits = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}.get(encoding, -15)
        packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
        body = packer.compress(encode(data)) + packer.flush()
        size = -(-len(body) // split)
        parts = [body[i : i + size] for i in range(0, len(body), size)]
        name = "deflate" if encoding == "raw-deflate" else encoding
        return cls.raw(parts, content_type=content_type, headers=[("content-encoding", name)])
