"""The embedded server runs in a child process escalatui owns: it is gone after the run, after a
cancel (even mid-load), after the parent is SIGKILLed; a crash of it is an attempt error."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import needs_embedded

from escalatui.clients import embedded
from escalatui.clients.embedded import EmbeddedClient, default_gguf
from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.events import AttemptDecided, Delta, RunFinished
from escalatui.engine.runner import Runner

pytestmark = [needs_embedded, pytest.mark.embedded, pytest.mark.timeout(90)]


@pytest.fixture
def fresh_servers() -> Iterator[None]:
    embedded.shutdown_all()
    yield
    embedded.shutdown_all()


def gone(pid: int) -> bool:
    """No such process, or only its zombie left (it has exited; reaping is its parent's job)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


def spawned(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Record every child server process started."""
    started: list[subprocess.Popen[bytes]] = []
    real = embedded._spawn

    def spy(*args: object) -> subprocess.Popen[bytes]:
        process = real(*args)  # type: ignore[arg-type]
        started.append(process)
        return process

    monkeypatch.setattr(embedded, "_spawn", spy)
    return started


async def test_the_server_is_a_child_process_gone_after_shutdown(
    fresh_servers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = spawned(monkeypatch)
    client = EmbeddedClient(ctx_size=1024)
    try:
        await client._ensure()
    finally:
        await client.aclose()
    (process,) = started
    assert process.pid != os.getpid() and process.poll() is None
    embedded.shutdown_all()
    assert process.poll() is not None and wait_gone(process.pid)


async def test_a_cancel_during_the_load_leaves_no_process(
    fresh_servers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = spawned(monkeypatch)
    client = EmbeddedClient(ctx_size=1024)
    load = asyncio.create_task(client._ensure())
    for _ in range(200):  # until the child exists
        if started:
            break
        await asyncio.sleep(0.01)
    load.cancel()
    with pytest.raises(asyncio.CancelledError):
        await load
    await client.aclose()
    (process,) = started
    assert process.poll() is not None and wait_gone(process.pid)
    assert embedded._servers == {}


async def test_the_event_loop_runs_during_a_cold_load(
    fresh_servers: None,
) -> None:
    """The model loads in the child: the loop keeps ticking (a frozen loop would tick ~0 times)."""
    client = EmbeddedClient(ctx_size=1024)
    ticks = 0
    stop = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(tick())
    try:
        before = ticks
        await client._ensure()
        during = ticks - before
    finally:
        stop.set()
        await ticker
        await client.aclose()
    assert during >= 20


PARENT = """
import asyncio, sys
from escalatui.clients import embedded

real = embedded._spawn
def spy(*args):
    process = real(*args)
    print(process.pid, flush=True)
    return process
embedded._spawn = spy

async def main():
    if sys.argv[1] == "loaded":
        await embedded.server_for(sys.argv[2], 1024, 300)
        print("loaded", flush=True)
        await asyncio.sleep(3600)
    else:
        await embedded.server_for(sys.argv[2], 1024, 300)

asyncio.run(main())
"""


@pytest.mark.parametrize("when", ["loaded", "loading"])
def test_the_server_dies_with_a_sigkilled_parent(fresh_servers: None, when: str) -> None:
    gguf = default_gguf()
    assert gguf is not None
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, when, str(gguf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        if when == "loaded":
            assert parent.stdout.readline().strip() == "loaded"
        assert not gone(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert wait_gone(child), f"child {child} outlived its SIGKILLed parent"
    finally:
        parent.kill()
        parent.wait(timeout=10)


@pytest.mark.timeout(180)  # two model loads and two answers, on a machine that may be busy
async def test_a_crash_of_the_server_mid_run_is_an_attempt_error(
    fresh_servers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = spawned(monkeypatch)
    task = Task.model_validate(
        {
            "name": "e",
            "chain": ["local"],
            "retries": 1,
            "models": {"local": {"provider": "embedded", "max_tokens": 200, "ctx_size": 1024}},
            "steps": [{"name": "s", "prompt": "Tell a long story about a fox."}],
        }
    )
    runner = Runner(task, ClientPool(task.models))
    events = []
    try:
        async for event in runner.events():
            events.append(event)
            if isinstance(event, Delta) and event.attempt == 1 and len(started) == 1:
                if started[0].poll() is None:
                    started[0].kill()  # llama.cpp crashes mid-stream
    finally:
        await runner.pool.aclose()
    first, second = [e for e in events if isinstance(e, AttemptDecided)]
    assert first.complete is False and first.error is not None
    assert "embedded llama.cpp server stopped (killed by signal 9)" in first.error
    # the next attempt starts a fresh server and answers
    assert len(started) == 2 and second.output  # (it may hit max_tokens: a long story)
    assert "server stopped" not in (second.error or "")
    assert isinstance(events[-1], RunFinished)
