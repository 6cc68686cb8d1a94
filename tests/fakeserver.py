"""A scripted, deliberately misbehaving OpenAI-compatible HTTP server for tests.

The server speaks hand-written HTTP/1.1 over ``asyncio.start_server`` on 127.0.0.1 (an OS-picked
port) in a background thread with its own event loop, so sync tests, pytest-asyncio tests and
subprocess-based CLI tests can all use it::

    with FakeServer() as server:
        server.enqueue(Reply.text("Hello world"), Reply.cut(after_chunks=2))
        ...  # point a client at server.base_url
        assert server.chat_requests[0].json["model"] == "m"

Every reply is a *plan*: an iterable of steps run in order (see ``Step``). Streams use chunked
transfer encoding, so a clean end (terminator sent) and a cut (connection dropped) differ at the
HTTP layer; plain bodies use Content-Length. Every response carries ``connection: close``. All
waits are bounded by ``MAX_SLEEP_S`` and ``stop()`` cancels every connection at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import itertools
import json
import re
import socket
import struct
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Literal

MAX_SLEEP_S = 60.0
"""Upper bound of any single wait the fake performs (stalls, delays, keep-alive gaps, drains)."""
READ_TIMEOUT_S = 10.0
"""How long the fake waits for a client to send a complete request."""
STOP_TIMEOUT_S = 5.0
OPENROUTER_COMMENT = "OPENROUTER PROCESSING"
SSE_HEADERS = (("content-type", "text/event-stream"), ("cache-control", "no-cache"))
DONE_EVENT = b"data: [DONE]\n\n"
MEGABYTES_PATTERN = "the quick brown fox jumps over the lazy dog\n"
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

_ids = itertools.count(1)


# --------------------------------------------------------------------------- steps of a plan


@dataclass(frozen=True)
class Head:
    """Send the status line and headers; ``chunked`` frames every later body write."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    chunked: bool = True


@dataclass(frozen=True)
class End:
    """Finish the body cleanly (chunked terminator when chunked): the response is complete."""


@dataclass(frozen=True)
class Drop:
    """Drop the connection now, without finishing the body: FIN, or RST when ``reset``."""

    reset: bool = False


END = End()
Step = Head | bytes | float | End | Drop
"""``bytes`` are body data (one write, one HTTP chunk), a ``float`` is a pause in seconds."""


# --------------------------------------------------------------------------- recorded requests


@dataclass
class Request:
    """One request as received, plus what the fake did with it (updated while it answers)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any
    at: float = field(default_factory=time.monotonic)
    reply: str = ""
    chunks_sent: int = 0
    bytes_sent: int = 0
    completed: bool = False
    client_disconnected: bool = False

    @property
    def model(self) -> str | None:
        """The ``model`` field of a JSON body, if any."""
        value = self.json.get("model") if isinstance(self.json, dict) else None
        return value if isinstance(value, str) else None

    @property
    def wants_stream(self) -> bool:
        """True unless the JSON body says ``"stream": false``."""
        return not (isinstance(self.json, dict) and self.json.get("stream") is False)

    @property
    def is_chat(self) -> bool:
        return self.method == "POST" and self.path.endswith("/chat/completions")


# --------------------------------------------------------------------------- helpers


def _encode(body: str | bytes | dict[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    return json.dumps(body).encode()


def _sse(obj: Any) -> bytes:
    # ensure_ascii=False on purpose: U+2028 and friends go out raw, as Node-based servers send them.
    return (
        b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n\n"
    )


def _waits(total_s: float, every_s: float | None, comment_text: str) -> Iterator[Step]:
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
            yield f": {comment_text}\n\n".encode()


def megabytes_content(n_chars: int, pattern: str = MEGABYTES_PATTERN) -> str:
    """The exact content ``Reply.megabytes(n_chars, pattern=pattern)`` streams."""
    return (pattern * (n_chars // len(pattern) + 1))[:n_chars]


def split_words(content: str) -> list[str]:
    """Default chunking of ``content``: words with their trailing whitespace."""
    return re.findall(r"\S+\s*|\s+", content)


class _Chat:
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

    def opening(self, first_byte_delay_s: float) -> Iterator[Step]:
        yield from _waits(first_byte_delay_s, None, "")
        yield Head(200, SSE_HEADERS)
        yield _sse(self.chunk({"role": "assistant", "content": ""}))

    def contents(
        self, pieces: Iterable[str], delay_s: float, every_s: float | None, comment: str
    ) -> Iterator[Step]:
        for piece in pieces:
            yield from _waits(delay_s, every_s, comment)
            yield _sse(self.chunk({"content": piece}))

    def closing(
        self, finish_reason: str | None, usage: dict[str, Any] | None, done: bool
    ) -> Iterator[Step]:
        if finish_reason is not None:
            yield _sse(self.chunk({}, finish_reason))
        if usage is not None:
            yield _sse(self.usage(usage))
        if done:
            yield DONE_EVENT
        yield END


def _plain(status: int, body: bytes, headers: Sequence[tuple[str, str]]) -> list[Step]:
    head = Head(status, (*headers, ("content-length", str(len(body)))), chunked=False)
    return [head, body, END]


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """What the fake does with one request: ``plan(request)`` yields the steps to perform.

    Build replies with the classmethods; ``Reply(label, plan)`` makes a custom one.
    """

    label: str
    plan: Callable[[Request], Iterable[Step]]

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
        pieces = list(chunks) if chunks is not None else split_words(content)
        text_ = "".join(pieces) if chunks is not None else content

        def plan(req: Request) -> Iterator[Step]:
            chat = _Chat(req)
            if not req.wants_stream:
                yield from _waits(first_byte_delay_s, None, "")
                message = {"role": "assistant", "content": text_}
                choice = {"index": 0, "message": message, "finish_reason": finish_reason}
                body = chat.envelope("chat.completion") | {"choices": [choice]}
                if usage is not None:
                    body["usage"] = usage
                yield from _plain(200, _encode(body), [("content-type", "application/json")])
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
        pieces = (list(chunks) if chunks is not None else split_words(content))[:after_chunks]

        def plan(req: Request) -> Iterator[Step]:
            chat = _Chat(req)
            yield from chat.opening(0.0)
            yield from chat.contents(pieces, delay_s, None, "")
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
            chat = _Chat(req)
            yield from chat.opening(0.0)
            yield from chat.contents(pieces, 0.0, None, "")
            event = chat.chunk({"content": ""}, "error")
            yield _sse({**event, "error": {"code": code, "message": message}})
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
            chat = _Chat(req)
            yield from chat.opening(0.0)
            yield from chat.contents(pieces, 0.0, None, "")
            for _ in range(max(1, round(max_s / every_s))):
                yield every_s
                yield f": {comment_text}\n\n".encode()
            yield Drop()

        return cls(f"keepalives_forever({every_s}, {max_s})", plan)

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
    ) -> Reply:
        """Send exactly these bytes as a chunked body (str is UTF-8, lone surrogates kept).
        A sequence is written part by part, each its own write and HTTP chunk, ``gap_s`` apart,
        so the parts reach the client separately (split UTF-8, split lines). Nothing is added:
        include your own ``\\n\\n``. ``cut`` drops the connection instead of ending cleanly."""
        parts = [data] if isinstance(data, str | bytes) else list(data)
        encoded = [_encode(part) for part in parts]

        def plan(req: Request) -> Iterator[Step]:
            yield Head(status, (("content-type", content_type), *headers))
            for index, part in enumerate(encoded):
                if index:
                    yield gap_s
                yield part
            yield Drop() if cut else END

        return cls(f"raw({len(encoded)} parts)", plan)

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
            chat = _Chat(req)
            yield from chat.opening(0.0)
            prefix, _, suffix = _sse(chat.chunk({"content": "\0"})).partition(b'"\\u0000"')
            text_ = pattern * (chunk_chars // len(pattern) + 2)
            batch, size, sent = [], 0, 0
            while sent < n_chars:
                count = min(chunk_chars, n_chars - sent)
                start = sent % len(pattern)
                piece = json.dumps(text_[start : start + count], ensure_ascii=False).encode()
                batch.append(prefix + piece + suffix)
                size += len(batch[-1])
                sent += count
                if size >= batch_bytes:
                    yield b"".join(batch)
                    batch, size = [], 0
            if batch:
                yield b"".join(batch)
            yield from chat.closing("stop", None, True)

        return cls(f"megabytes({n_chars}, {chunk_chars})", plan)

    @classmethod
    def error(
        cls,
        status: int,
        body: str | bytes | dict[str, Any] | list[Any],
        *,
        headers: Sequence[tuple[str, str]] | dict[str, str] | None = None,
        content_type: str = "application/json",
        first_byte_delay_s: float = 0.0,
    ) -> Reply:
        """Any status with any body (dict/list as JSON, str as UTF-8, bytes as-is), sent with
        Content-Length. Also serves plain 200 JSON answers."""
        raw_body = _encode(body)
        extra = list(headers.items()) if isinstance(headers, dict) else list(headers or ())

        def plan(req: Request) -> Iterator[Step]:
            yield from _waits(first_byte_delay_s, None, "")
            yield from _plain(status, raw_body, [("content-type", content_type), *extra])

        return cls(f"error({status})", plan)

    @classmethod
    def openrouter_error(
        cls, status: int, message: str, *, metadata: dict[str, Any] | None = None
    ) -> Reply:
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
    ) -> Reply:
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
    ) -> Reply:
        """A 400 context-window error in the shape ``style`` servers send (``CONTEXT_ERRORS``)."""
        return cls.error(400, CONTEXT_ERRORS[style])

    @classmethod
    def loading_model(cls) -> Reply:
        """llama.cpp's 503 while a model loads."""
        return cls.error(503, LOADING_MODEL_BODY)

    @classmethod
    def html_502(cls) -> Reply:
        """A proxy's HTML 502 page."""
        page = (
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
            "</h1></center><hr><center>nginx</center></body></html>\n"
        )
        return cls.error(502, page, content_type="text/html")

    @classmethod
    def refuse(cls) -> Reply:
        """Read (and record) the request, then reset the connection without any response."""
        return cls("refuse()", lambda req: [Drop(reset=True)])

    @classmethod
    def stall(cls, seconds: float, *, after_headers: bool = False) -> Reply:
        """Send nothing (or only 200 SSE headers) for ``seconds`` (capped by MAX_SLEEP_S; ends
        early if the client leaves), then close the connection."""

        def plan(req: Request) -> Iterator[Step]:
            if after_headers:
                yield Head(200, SSE_HEADERS)
            yield float(seconds)
            yield Drop()

        return cls(f"stall({seconds}, after_headers={after_headers})", plan)


# --------------------------------------------------------------------------- warm/cold state


@dataclass(frozen=True)
class WarmState:
    """What the local-server status endpoints report (change it with ``set_state``)."""

    models: tuple[str, ...] = ("fake-model",)
    """Every configured/downloaded model (/v1/models, LM Studio's list, llama-swap config)."""
    loaded: tuple[str, ...] = ()
    """Models in memory: Ollama /api/ps, llama-swap ``ready``, LM Studio ``loaded_instances``."""
    running_states: dict[str, str] = field(default_factory=dict)
    """Extra llama-swap /running entries, e.g. ``{"big": "starting"}`` (wins over ``loaded``)."""
    sleeping: bool = False
    """llama.cpp /props ``is_sleeping``."""
    loading: bool = False
    """llama.cpp /health answers 503 "Loading model"."""
    model_path: str = "/models/fake-model.gguf"

    def all_models(self) -> list[str]:
        names = [*self.models, *self.loaded, *self.running_states]
        return list(dict.fromkeys(names))


def _status_reply(req: Request, state: WarmState) -> Reply:
    def ok(obj: Any) -> Reply:
        return replace(Reply.error(200, obj), label=f"status {req.path}")

    if req.method == "GET":
        match req.path:
            case "/props":
                props = {"is_sleeping": state.sleeping, "model_path": state.model_path}
                return ok(
                    props | {"total_slots": 1, "default_generation_settings": {"n_ctx": 8192}}
                )
            case "/health":
                return Reply.loading_model() if state.loading else ok({"status": "ok"})
            case "/api/ps":
                return ok({"models": [_ollama_entry(name) for name in state.loaded]})
            case "/running":
                states = {name: "ready" for name in state.loaded} | state.running_states
                return ok({"running": [{"model": m, "state": s} for m, s in states.items()]})
            case "/v1/models" | "/models":
                data = [
                    {"id": m, "object": "model", "owned_by": "fake"} for m in state.all_models()
                ]
                return ok({"object": "list", "data": data})
            case "/api/v1/models":
                entries = [_lmstudio_entry(m, m in state.loaded) for m in state.all_models()]
                return ok({"models": entries})
    message = f"no route for {req.method} {req.path}"
    return Reply.error(404, {"error": {"message": message, "type": "not_found_error"}})


def _ollama_entry(name: str) -> dict[str, Any]:
    size = 4_000_000_000
    details = {"format": "gguf", "family": "llama", "parameter_size": "7B"}
    entry: dict[str, Any] = {
        "name": name,
        "model": name,
        "size": size,
        "digest": "0" * 64,
        "details": details,
    }
    return entry | {"expires_at": "2099-01-01T00:00:00Z", "size_vram": size}


def _lmstudio_entry(key: str, loaded: bool) -> dict[str, Any]:
    instances = [{"id": key, "config": {"context_length": 8192}}] if loaded else []
    entry: dict[str, Any] = {"type": "llm", "publisher": "fake", "key": key, "display_name": key}
    entry |= {"architecture": "llama", "size_bytes": 4_000_000_000, "params_string": "7B"}
    return entry | {"max_context_length": 32768, "format": "gguf", "loaded_instances": instances}


# --------------------------------------------------------------------------- the server


def refused_url() -> str:
    """A loopback URL where nothing listens (connection refused), for connect-error tests."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class FakeServer:
    """The misbehaving server. Use as a context manager (or ``start()`` / ``stop()``).

    POSTs to any path ending in ``/chat/completions`` take replies from the queue (FIFO; a queue
    per model first, see ``enqueue``), then ``default``. ``override(path, reply)`` pins a reply
    to a path. Status GETs (/props, /health, /api/ps, /running, /v1/models, /models,
    /api/v1/models) answer from ``state``. Anything else is a 404.
    """

    def __init__(self, script: Iterable[Reply] = (), *, default: Reply | None = None) -> None:
        self.default: Reply = default or Reply.text("ok")
        self.errors: list[str] = []
        """Tracebacks of unexpected exceptions inside the fake (tests may assert it is empty)."""
        self._queue: deque[Reply] = deque(script)
        self._by_model: dict[str, deque[Reply]] = {}
        self._overrides: dict[str, Reply] = {}
        self._state = WarmState()
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._port: int | None = None
        self._start_error: BaseException | None = None

    # ---- lifecycle

    def start(self) -> FakeServer:
        """Start the loop thread and bind 127.0.0.1 on an OS-picked port."""
        if self._thread is not None:
            raise RuntimeError("FakeServer already started")
        self._thread = threading.Thread(target=self._run, name="FakeServer", daemon=True)
        self._thread.start()
        if not self._ready.wait(STOP_TIMEOUT_S) or self._start_error is not None:
            raise RuntimeError(f"FakeServer failed to start: {self._start_error!r}")
        return self

    def stop(self) -> None:
        """Close the listener and every connection (stalled ones included); bounded."""
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        if thread is not None:
            thread.join(STOP_TIMEOUT_S)
            if thread.is_alive():
                raise RuntimeError("FakeServer thread did not stop in time")

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeServer is not running")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no ``/v1``)."""
        return f"http://127.0.0.1:{self.port}"

    # ---- scripting

    def enqueue(self, *replies: Reply, model: str | None = None) -> None:
        """Queue replies for chat completions. With ``model``, they serve only requests whose
        body names that model (and are used before the shared queue)."""
        with self._lock:
            queue = self._queue if model is None else self._by_model.setdefault(model, deque())
            queue.extend(replies)

    def override(self, path: str, reply: Reply | None) -> None:
        """Answer every request to ``path`` (any method) with ``reply``; None removes it."""
        with self._lock:
            if reply is None:
                self._overrides.pop(path, None)
            else:
                self._overrides[path] = reply

    def set_state(self, **changes: Any) -> None:
        """Change the warm/cold state, e.g. ``set_state(loaded=["m"], sleeping=True)``.
        Fields: models, loaded, running_states, sleeping, loading, model_path (see WarmState)."""
        for key in ("models", "loaded"):
            if key in changes:
                changes[key] = tuple(changes[key])
        if "running_states" in changes:
            changes["running_states"] = dict(changes["running_states"])
        with self._lock:
            self._state = replace(self._state, **changes)

    @property
    def state(self) -> WarmState:
        with self._lock:
            return self._state

    @property
    def pending(self) -> int:
        """Replies still queued (all queues)."""
        with self._lock:
            return len(self._queue) + sum(len(q) for q in self._by_model.values())

    # ---- observation

    @property
    def requests(self) -> list[Request]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.is_chat]

    @property
    def disconnects(self) -> int:
        """How many requests saw the client leave before the response was complete."""
        return sum(r.client_disconnected for r in self.requests)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until true or ``timeout``; never blocks the server thread."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    async def await_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """``wait_until`` for async tests (does not block the test's event loop)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[Request]:
        """Wait for ``n`` requests in total; raises TimeoutError naming what did arrive."""
        if not self.wait_until(lambda: len(self.requests) >= n, timeout):
            raise TimeoutError(f"expected {n} requests, got {self._summary()}")
        return self.requests

    async def await_requests(self, n: int, timeout: float = 5.0) -> list[Request]:
        """``wait_for_requests`` for async tests."""
        if not await self.await_until(lambda: len(self.requests) >= n, timeout):
            raise TimeoutError(f"expected {n} requests, got {self._summary()}")
        return self.requests

    def _summary(self) -> str:
        got = self.requests
        return f"{len(got)}: {[f'{r.method} {r.path}' for r in got]}"

    # ---- the event loop side

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        try:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=1 << 20)
        except BaseException as exc:  # report to start(), never hang it
            self._start_error = exc
            self._ready.set()
            return
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        await asyncio.sleep(0.02)  # accept connections still queued, so they get closed too
        server.close()
        for _ in range(5):  # let connections accepted just now reach their handlers
            await asyncio.sleep(0)
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S / 2)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1.0)
        await asyncio.sleep(0.01)  # run pending connection_lost callbacks (socket closes)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            req = await _read_request(reader)
            if req is None:
                return
            with self._lock:
                self._requests.append(req)
                reply = self._choose(req)
            req.reply = reply.label
            await self._serve(req, reply, reader, writer)
        except asyncio.CancelledError:  # stop(): drop the connection at once
            writer.transport.abort()
        except Exception:
            self.errors.append(traceback.format_exc())
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    def _choose(self, req: Request) -> Reply:
        """Pick the reply (called with the lock held)."""
        if req.path in self._overrides:
            return self._overrides[req.path]
        if req.is_chat:
            per_model = self._by_model.get(req.model or "")
            if per_model:
                return per_model.popleft()
            return self._queue.popleft() if self._queue else self.default
        return _status_reply(req, self._state)

    async def _serve(
        self,
        req: Request,
        reply: Reply,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_eof(reader, req, gone))
        chunked = False
        try:
            for step in reply.plan(req):
                if gone.is_set():
                    return
                if isinstance(step, Drop):
                    watcher.cancel()
                    _drop(writer, step.reset)
                    return
                if isinstance(step, float | int):
                    if await _wait_or_gone(gone, float(step)):
                        return
                    continue
                if isinstance(step, Head):
                    data, chunked = _head_bytes(step), step.chunked
                elif isinstance(step, End):
                    req.completed = True
                    data = b"0\r\n\r\n" if chunked else b""
                elif step:
                    data = b"%x\r\n%b\r\n" % (len(step), step) if chunked else step
                    req.chunks_sent += 1
                    req.bytes_sent += len(step)
                else:
                    continue  # an empty write would read as the chunked terminator
                if data and not await _write(writer, data, req, gone):
                    return
        finally:
            watcher.cancel()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one HTTP/1.1 request (Content-Length or chunked body); None if the client left."""
    try:
        async with asyncio.timeout(READ_TIMEOUT_S):
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    key, value = name.strip().lower(), value.strip()
                    headers[key] = f"{headers[key]}, {value}" if key in headers else value
            if "chunked" in headers.get("transfer-encoding", "").lower():
                parts = []
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    parts.append(await reader.readexactly(size))
                    await reader.readexactly(2)
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                body = b"".join(parts)
            else:
                body = await reader.readexactly(int(headers.get("content-length") or 0))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
        return None
    except ValueError:  # a malformed request line or size: treat like a vanished client
        return None
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    path, _, query = target.partition("?")
    return Request(method, path, query, headers, body, parsed)


async def _watch_eof(reader: asyncio.StreamReader, req: Request, gone: asyncio.Event) -> None:
    """Flag the client as gone when it closes its side before the response is complete."""
    with contextlib.suppress(OSError):
        while await reader.read(1 << 16):
            pass
    if not req.completed:
        req.client_disconnected = True
    gone.set()


async def _wait_or_gone(gone: asyncio.Event, seconds: float) -> bool:
    """Pause up to ``seconds`` (capped); True if the client left meanwhile."""
    seconds = min(max(seconds, 0.0), MAX_SLEEP_S)
    if seconds == 0.0:
        await asyncio.sleep(0)
        return gone.is_set()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await gone.wait()
    return gone.is_set()


async def _write(
    writer: asyncio.StreamWriter, data: bytes, req: Request, gone: asyncio.Event
) -> bool:
    try:
        writer.write(data)
        async with asyncio.timeout(MAX_SLEEP_S):
            await writer.drain()
        return True
    except OSError:
        if not req.completed:
            req.client_disconnected = True
    except TimeoutError:
        pass  # the client stopped reading; give up on it
    gone.set()
    return False


def _drop(writer: asyncio.StreamWriter, reset: bool) -> None:
    if reset:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    else:
        writer.close()


def _head_bytes(head: Head) -> bytes:
    try:
        reason = http.HTTPStatus(head.status).phrase
    except ValueError:
        reason = "Unknown"
    names = {name.lower() for name, _ in head.headers}
    lines = [f"HTTP/1.1 {head.status} {reason}", *(f"{k}: {v}" for k, v in head.headers)]
    if head.chunked and "transfer-encoding" not in names:
        lines.append("transfer-encoding: chunked")
    if "connection" not in names:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
