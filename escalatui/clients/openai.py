"""OpenAI-compatible `/v1/chat/completions` streaming (providers: README), hardened against a
server that fails in every way it can.

One request per attempt, retried (see retry.py) only before a response starts; timeouts from
deadlines.py (connect, first token, idle watchdog, total); the body read by reader.py (SSE
from raw bytes, so framing faults cannot break it); every message passes through `redact` so a
key a server echoes back never reaches a screen or a log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import httpx

from escalatui.clients.base import ChatClient, ChatRequest, Chunk, ProviderError
from escalatui.clients.body import ACCEPT_ENCODING, BodyError, read_capped
from escalatui.clients.deadlines import Deadlines
from escalatui.clients.errors import ADVICE, classify, is_loading
from escalatui.clients.keys import KeyRing, key_for
from escalatui.clients.reader import MAX_ERROR_BODY, ResponseReader
from escalatui.clients.retry import RetryPolicy
from escalatui.clients.transport import (
    clean_key,
    describe_transport,
    host_of,
    is_loopback,
    normalize_base,
    server_root,
    tls_context,
)
from escalatui.config.models import ModelSpec

# Re-exported: older imports name these here.
__all__ = ["OpenAIClient", "is_loopback", "normalize_base", "server_root"]


MAX_PROBE_BODY = 4_000_000
"""A status answer (a model list) is small; a bigger one is not read further."""


def _s(seconds: float) -> str:
    return f"{seconds:.2f}".rstrip("0").rstrip(".") + "s"


MAX_CONNECTIONS = 100
"""Connections to one server at once (httpx's default), and so streams of one model at once
unless its `max_concurrency` says otherwise."""


class OpenAIClient(ChatClient):
    """Any server that speaks OpenAI's streaming chat completions."""

    provider = "openai"
    needs_base_url = True
    needs_model = True
    key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    key_home: ClassVar[str | None] = "https://api.openai.com"
    default_base_url: ClassVar[str | None] = None
    default_concurrency: ClassVar[int | None] = MAX_CONNECTIONS
    """Streams at once wait in the model's gate, not in the HTTP pool: the pool hands a freed
    connection to a waiting request in time that grows with the queue (1,000 queued streams
    took 10x a bare loop)."""
    advice: Mapping[str, str] = ADVICE
    """Next steps added to error messages, by error kind."""
    probe_timeout_s: float = 2.0
    """Warm/cold probes give up (answer None, "unknown") after this long."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        key_source: str = "the configured key",
        provider: str | None = None,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        connect_timeout_s: float = 10.0,
        idle_timeout_s: float = 60.0,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.provider = provider or type(self).provider
        base = base_url or self.default_base_url
        if not base:
            raise ProviderError(f"{self.provider}: base_url is required", kind="config")
        self.base_url = normalize_base(base)
        self.root = server_root(base)
        self.model = model
        self.policy = policy or RetryPolicy()
        self.connect_timeout_s = connect_timeout_s
        self.idle_timeout_s = idle_timeout_s
        self.host = host_of(self.base_url)
        self._key = clean_key(api_key, key_source)
        self._raw_key = api_key
        self._where = f"{self.provider} at {self.host}: "
        self._notes: list[str] = []
        self.advice = {**ADVICE, **self.advice, "auth": self._auth_advice(key_source)}
        auth = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        self._http = httpx.AsyncClient(
            headers={"Accept-Encoding": ACCEPT_ENCODING, **auth, **(headers or {})},
            trust_env=not is_loopback(self.base_url),
            timeout=httpx.Timeout(None, connect=connect_timeout_s, write=30.0),
            verify=tls_context(),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )

    @classmethod
    def from_spec(cls, spec: ModelSpec, ring: KeyRing) -> ChatClient:
        """The client for a task's model (the key from the environment or the user config,
        sent only where keys.py allows)."""
        if not spec.model:
            raise ProviderError(f"{spec.provider}: `model` is required", kind="config")
        choice = key_for(spec, ring, cls)
        if choice.withheld and (cls.key_required or spec.api_key_env):
            raise ProviderError(f"{spec.provider}: {choice.withheld}", kind="config")
        client = cls(
            base_url=spec.base_url,
            model=spec.model,
            api_key=choice.key,
            key_source=choice.source,
            provider=spec.provider,
            policy=RetryPolicy(max_retries=spec.max_retries),
            connect_timeout_s=spec.connect_timeout_s,
            idle_timeout_s=spec.idle_timeout_s,
            max_connections=max(MAX_CONNECTIONS, spec.max_concurrency or 0),
        )
        if choice.withheld:  # the server may not need it: try without, and say so
            client.note(choice.withheld)
        return client

    # -- helpers -------------------------------------------------------------------------

    def _auth_advice(self, key_source: str) -> str:
        if self._key:
            return f"check the API key (taken from {key_source})"
        return (
            f"the server wants an API key: set `api_key_env` for this model or add "
            f'`{self.provider} = "..."` under [keys] in the user config'
        )

    def redact(self, text: str) -> str:
        """Never let the key through, even when a server echoes it back."""
        for key in {k for k in (self._key, self._raw_key) if k}:
            text = text.replace(key, "[redacted]")
        return text

    def _fail(self, err: ProviderError) -> ProviderError:
        if not err.message.startswith(self._where):
            err.message = self._where + err.message
        err.message = self.redact(err.message)
        err.body = self.redact(err.body) if err.body else err.body
        return err

    def note(self, text: str) -> None:
        """An info line shown at the start of the next stream (e.g. "the model is loading")."""
        self._notes.append(text)

    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body sent for a request."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        return body

    async def probe(self, path: str) -> tuple[int | None, Any]:
        """GET a status endpoint within `probe_timeout_s`: (status, JSON or None); the status
        is None when the server could not be reached in time."""
        try:
            async with asyncio.timeout(self.probe_timeout_s):
                req = self._http.build_request("GET", self.root + path)
                resp = await self._http.send(req, stream=True)
                try:
                    raw = (
                        await read_capped(resp, MAX_PROBE_BODY) if resp.status_code == 200 else b""
                    )
                finally:
                    await resp.aclose()
        except (TimeoutError, httpx.HTTPError, BodyError):
            return None, None
        try:
            return resp.status_code, json.loads(raw) if raw else None
        except (ValueError, RecursionError):
            return resp.status_code, None

    async def probe_json(self, path: str) -> Any:
        """The JSON of a status endpoint, or None on any failure (a probe never guesses)."""
        return (await self.probe(path))[1]

    # -- streaming -----------------------------------------------------------------------

    async def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        clock = Deadlines(request.timeout_s, self.idle_timeout_s)
        reader = ResponseReader(clock, self._where, self.advice, self._fail, self.redact)
        while self._notes:
            yield Chunk(info=self.redact(self._notes.pop(0)))
        retry = loading = 0
        while True:
            headers: Mapping[str, str] = {}
            try:
                resp = await self._send(request, clock)
            except ProviderError as err:
                failure = err
            else:
                try:
                    if resp.status_code < 300:
                        async for chunk in reader.answer(resp):
                            yield chunk
                        return
                    failure, headers = await self._http_error(resp, reader), resp.headers
                finally:
                    await resp.aclose()
            if is_loading(failure):  # a cold llama.cpp: wait for the load, within timeout_s
                wait = self.policy.backoff(loading)
                if wait >= clock.remaining():
                    failure.message += " (still loading when timeout_s ran out)"
                    raise failure
                loading += 1
                yield Chunk(notice=f"the model is loading (HTTP 503); asking again in {_s(wait)}")
                await asyncio.sleep(wait)
                continue
            decision = self.policy.next_wait(
                retryable=failure.retryable,
                retry=retry,
                headers=headers,
                remaining_s=clock.remaining(),
            )
            if decision.seconds is None:
                if decision.why:
                    failure.message += f" ({decision.why})"
                if loading and failure.kind == "timeout":
                    failure.message += " (the model was still loading)"
                raise failure
            retry += 1
            if self.gate is not None and failure.kind == "rate":
                self.gate.hold(decision.seconds)  # the whole queue of this model waits too
            yield Chunk(
                notice=f"retry {retry}/{self.policy.max_retries} in {_s(decision.seconds)} "
                f"after: {failure.message}"
            )
            await asyncio.sleep(decision.seconds)

    async def _send(self, request: ChatRequest, clock: Deadlines) -> httpx.Response:
        req = self._http.build_request(
            "POST", self.base_url + "/chat/completions", json=self.body(request)
        )
        try:
            async with asyncio.timeout_at(clock.read_deadline()):
                return await self._http.send(req, stream=True)
        except TimeoutError:
            raise self._fail(ProviderError(clock.fired(), kind="timeout")) from None
        except httpx.TransportError as exc:
            text = describe_transport(exc, self.host, self.connect_timeout_s)
            timed_out = isinstance(exc, httpx.TimeoutException)
            raise self._fail(
                ProviderError(text, kind="timeout" if timed_out else "connect", retryable=True)
            ) from None
        except httpx.HTTPError as exc:
            raise self._fail(ProviderError(f"bad request setup: {exc}", kind="config")) from None

    async def _http_error(self, resp: httpx.Response, reader: ResponseReader) -> ProviderError:
        try:
            raw = await reader.read_body(resp, MAX_ERROR_BODY)
        except ProviderError:
            raw = b""  # the status says enough
        ctype = resp.headers.get("content-type", "")
        text = raw.decode("utf-8", "replace")
        err = classify(resp.status_code, text, ctype, self._where, self.advice)
        if resp.status_code < 400:  # a redirect: usually http:// for https://, or a wrong path
            where_to = resp.headers.get("location", "elsewhere")
            err.message = f"{self._where}HTTP {resp.status_code}: redirected to {where_to}; "
            err.message += "check base_url"
            err.kind = "config"
        return self._fail(err)

    async def aclose(self) -> None:
        await self._http.aclose()
