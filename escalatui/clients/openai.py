"""OpenAI-compatible `/v1/chat/completions` streaming over httpx and httpx-sse (SPEC §4)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import EventSource

from escalatui.clients.base import ChatClient, ChatRequest, Chunk, ProviderError, Usage
from escalatui.clients.errors import classify, error_text
from escalatui.clients.retry import RetryPolicy, server_wait, should_retry_header

MAX_ERROR_BODY = 1_000_000


def normalize_base(url: str) -> str:
    """`http://h:8080`, `http://h:8080/` and `http://h:8080/v1` all become `http://h:8080/v1`."""
    url = url.strip().rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def server_root(url: str) -> str:
    """The server's root, without a trailing `/v1` (for probes such as `/props`)."""
    url = url.strip().rstrip("/")
    return url.removesuffix("/v1")


def is_loopback(url: str) -> bool:
    """Loopback servers are reached directly, whatever proxy the environment names."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


class OpenAIClient(ChatClient):
    """Any server that speaks OpenAI's streaming chat completions."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        provider: str = "openai",
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        connect_timeout_s: float = 10.0,
        idle_timeout_s: float = 60.0,
    ) -> None:
        self.provider = provider
        self.base_url = normalize_base(base_url)
        self.model = model
        self.policy = policy or RetryPolicy()
        self.idle_timeout_s = idle_timeout_s
        self._key = api_key
        self._where = f"{provider} at {urlsplit(self.base_url).netloc}: "
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            headers={**auth, **(headers or {})},
            trust_env=not is_loopback(self.base_url),
            timeout=httpx.Timeout(30.0, connect=connect_timeout_s),
        )

    def redact(self, text: str) -> str:
        """Never let the key through, even when a server echoes it back."""
        return text.replace(self._key, "[redacted]") if self._key else text

    def _error(self, message: str, **kw: Any) -> ProviderError:
        return ProviderError(self.redact(self._where + message), **kw)

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

    async def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        url = self.base_url + "/chat/completions"
        timeout = httpx.Timeout(30.0, connect=self._http.timeout.connect, read=request.timeout_s)
        retry = 0
        while True:
            started = False
            try:
                async with self._http.stream(
                    "POST", url, json=self.body(request), timeout=timeout
                ) as resp:
                    if resp.status_code >= 400:
                        raw = await resp.aread()
                        err = classify(
                            resp.status_code,
                            raw[:MAX_ERROR_BODY].decode("utf-8", "replace"),
                            resp.headers.get("content-type", ""),
                            self._where,
                        )
                        err.message = self.redact(err.message)
                        err.body = self.redact(err.body or "")
                        wait = self._retry_wait(err, resp.headers, retry)
                        if wait is None:
                            raise err
                    else:
                        async for chunk in self._read(resp, request):
                            started = started or bool(chunk.text)
                            yield chunk
                        return
            except httpx.TimeoutException as exc:
                if started:
                    raise self._error(
                        f"read timed out mid-stream ({type(exc).__name__})", kind="timeout"
                    ) from None
                err = self._error(self._timeout_text(exc, request), kind="timeout", retryable=True)
                wait = self._retry_wait(err, {}, retry)
                if wait is None:
                    raise err from None
            except httpx.TransportError as exc:
                if started or isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
                    raise self._error(
                        f"stream broken: {exc or type(exc).__name__}", kind="stream"
                    ) from None
                err = self._error(
                    f"cannot connect: {exc or type(exc).__name__}", kind="connect", retryable=True
                )
                wait = self._retry_wait(err, {}, retry)
                if wait is None:
                    raise err from None
            retry += 1
            yield Chunk(notice=f"retry {retry}/{self.policy.max_retries} in {wait:.1f}s: {err}")
            await asyncio.sleep(wait)

    def _timeout_text(self, exc: httpx.TimeoutException, request: ChatRequest) -> str:
        if isinstance(exc, httpx.ConnectTimeout):
            return f"connect timed out after {self._http.timeout.connect:.0f}s"
        if isinstance(exc, httpx.ReadTimeout):
            return f"no first byte within {request.timeout_s:.0f}s"
        return f"timed out ({type(exc).__name__})"

    def _retry_wait(
        self, err: ProviderError, headers: Mapping[str, str], retry: int
    ) -> float | None:
        """Seconds to wait before retrying, or None to give up now."""
        override = should_retry_header(headers)
        retryable = err.retryable if override is None else override
        if not retryable or retry >= self.policy.max_retries:
            return None
        asked = server_wait(headers)
        if asked is not None:
            if asked > self.policy.max_wait_s:
                err.message += f" (server asked to wait {asked:.0f}s; more than the "
                err.message += f"{self.policy.max_wait_s:.0f}s cap, giving up)"
                return None
            return asked
        return self.policy.backoff(retry)

    async def _read(self, resp: httpx.Response, request: ChatRequest) -> AsyncIterator[Chunk]:
        ctype = resp.headers.get("content-type", "")
        if "text/event-stream" not in ctype:
            raw = (await resp.aread()).decode("utf-8", "replace")
            for chunk in self._whole_response(raw, ctype):
                yield chunk
            return
        loop = asyncio.get_running_loop()
        # The first byte may wait for a cold load; after that, keep-alive comments must not
        # keep a silent stream alive, so only content moves this deadline.
        async with asyncio.timeout(loop.time() + request.timeout_s) as deadline:
            try:
                async for sse in EventSource(resp).aiter_sse():
                    if sse.data == "[DONE]":
                        return
                    for chunk in self._parse(sse.data):
                        if chunk.text:
                            deadline.reschedule(loop.time() + self.idle_timeout_s)
                        yield chunk
            except TimeoutError:
                raise self._error(
                    f"no content for {self.idle_timeout_s:.0f}s (keep-alives do not count)",
                    kind="timeout",
                ) from None

    def _parse(self, data: str) -> list[Chunk]:
        try:
            obj = json.loads(data)
        except ValueError:
            return [Chunk(notice="skipped a malformed stream line")]
        if not isinstance(obj, dict):
            return [Chunk(notice="skipped a malformed stream line")]
        if obj.get("error"):
            message, _ = error_text(json.dumps(obj))
            err = classify(200, json.dumps(obj), "application/json", self._where)
            kind = "context" if err.kind == "context" else "stream"
            raise self._error(f"error mid-stream: {message}", kind=kind)
        chunks = []
        for choice in obj.get("choices") or []:
            delta = choice.get("delta") or choice.get("message") or {}
            reason = choice.get("finish_reason")
            if reason == "error":
                raise self._error("the stream ended with finish_reason 'error'", kind="stream")
            chunks.append(Chunk(text=delta.get("content") or "", finish_reason=reason))
        usage = obj.get("usage")
        if isinstance(usage, dict):
            cost = usage.get("cost")
            chunks.append(
                Chunk(
                    usage=Usage(
                        prompt_tokens=usage.get("prompt_tokens"),
                        completion_tokens=usage.get("completion_tokens"),
                        cost_usd=float(cost) if isinstance(cost, int | float) else None,
                    )
                )
            )
        return chunks

    def _whole_response(self, raw: str, ctype: str) -> list[Chunk]:
        """A server that answered with plain JSON instead of a stream."""
        try:
            obj = json.loads(raw)
        except ValueError:
            raise classify(502, raw, ctype, self._where) from None
        if not isinstance(obj, dict) or obj.get("error"):
            err = classify(200, raw, ctype, self._where)
            raise self._error(err.message.removeprefix(self._where), kind=err.kind)
        return self._parse(raw)

    async def aclose(self) -> None:
        await self._http.aclose()
