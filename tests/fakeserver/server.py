"""``FakeServer``: the scripted server itself (loop thread, reply queues, recorded requests)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from types import TracebackType
from typing import Any

from .endpoints import WarmState, status_reply
from .plan import Request
from .replies import Reply
from .wire import read_request, serve

STOP_TIMEOUT_S = 5.0


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
        self.responder: Callable[[Request], Reply] | None = None
        """Writes the reply from the request when nothing is queued (a scripted model)."""
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}
        """Per model: chat requests being answered at once now, and the most ever."""

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
            req = await read_request(reader)
            if req is None:
                return
            model = req.model or "" if req.is_chat else None
            with self._lock:
                self._requests.append(req)
                reply = self._choose(req)
                if model is not None:
                    now = self.in_flight[model] = self.in_flight.get(model, 0) + 1
                    self.most_in_flight[model] = max(self.most_in_flight.get(model, 0), now)
            req.reply = reply.label
            try:
                await serve(req, reply.plan, reader, writer)
            finally:
                if model is not None:
                    with self._lock:
                        self.in_flight[model] -= 1
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
            if self._queue:
                return self._queue.popleft()
            return self.responder(req) if self.responder else self.default
        return status_reply(req, self._state)
