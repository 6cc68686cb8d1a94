"""The real embedded model: llama.cpp in-process (xllamacpp) with SmolLM2-135M-Instruct."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import needs_embedded

from escalatui.clients import embedded
from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.events import AttemptDecided, AttemptStarted, Delta, RunFinished
from escalatui.engine.runner import Runner

pytestmark = [needs_embedded, pytest.mark.embedded, pytest.mark.timeout(60)]


@pytest.fixture
def fresh_servers() -> Iterator[None]:
    """No embedded server left over from another test, and none left behind."""
    embedded.shutdown_all()
    yield
    embedded.shutdown_all()


async def test_answers_for_real_cold_then_warm_on_loopback(fresh_servers: None) -> None:
    task = Task.model_validate(
        {
            "name": "e",
            "chain": ["local"],
            "retries": 1,
            "models": {"local": {"provider": "embedded", "temperature": 0, "max_tokens": 64}},
            "steps": [
                {
                    "name": "s",
                    "prompt": "Name one colour. Reply with one word.",
                    # a check the model cannot pass, so it is asked twice
                    "checks": [
                        {"kind": "contains", "text": "ZZ-NEVER-ZZ", "feedback": "Try again."}
                    ],
                }
            ],
        }
    )
    runner = Runner(task, ClientPool(task.models))
    events = []
    try:
        async for event in runner.events():
            events.append(event)
            if isinstance(event, AttemptStarted) and event.attempt == 1:
                # the server starts on first use, not before
                assert embedded._servers == {}
        (address_text,) = [str(s.listening_address) for s in embedded._servers.values()]
        address = urlsplit(address_text)
    finally:
        await runner.pool.aclose()

    records = [e for e in events if isinstance(e, AttemptDecided)]
    assert [r.warm for r in records] == [False, True]  # cold first, warm on reuse
    assert [e.warm for e in events if isinstance(e, AttemptStarted)] == [False, True]
    for record in records:
        assert record.provider == "embedded" and record.simulated is False
        assert record.output.strip()
        assert record.complete is True and record.error is None  # finished, not cut
        assert record.prompt_tokens is not None and record.prompt_tokens > 5
        assert record.completion_tokens is not None and 0 < record.completion_tokens <= 64
        assert record.cost_usd == 0.0
        assert record.ttft_ms is not None and record.ttft_ms <= record.duration_ms
    streamed = "".join(e.text for e in events if isinstance(e, Delta) and e.attempt == 1)
    assert streamed == records[0].output
    # the retry carried the check's feedback to the model
    assert "Previous attempt failed:\n- Try again." in records[1].prompt
    run = events[-1]
    assert isinstance(run, RunFinished) and run.status == "failed"
    # 127.0.0.1 only, on a port the OS picked (not llama.cpp's default 8080)
    assert address.hostname == "127.0.0.1"
    assert address.port not in (None, 0, 8080)

    embedded.shutdown_all()
    with socket.socket() as probe, pytest.raises(OSError):
        probe.settimeout(2)
        probe.connect(("127.0.0.1", address.port or 0))  # the server is gone


def test_demo_headless_without_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "escalatui", "demo", "--headless", "--session-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=50,  # a hang at shutdown fails here
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "SIMULATED" in done.stderr  # the note says the strong tier is simulated
    chain = lines[1]
    assert chain.startswith("[answer] chain: smollm2(embedded)")
    assert 'strong-sim(sim, simulated) "strong model (SIMULATED)"' in chain
    attempts = [line for line in lines if line.startswith("[answer] #")]
    assert "smollm2 (embedded, cold)" in attempts[0]
    assert "-> retry" in attempts[0]  # SmolLM2 gets 17 * 23 wrong
    assert "smollm2 (embedded, warm)" in attempts[1]
    assert "strong-sim (sim, simulated" in attempts[-1] and attempts[-1].endswith("-> accept")
    assert lines[-2:] == ["--- output ---", '{"answer": 391}']
    # nothing but escalatui's own lines: no llama.cpp log on stdout
    allowed = ("run ", "[answer] ", "    ", "  ! ", "  session: ", "--- output ---", '{"answer"')
    assert [line for line in lines if not line.startswith(allowed)] == []
    assert "llama" not in done.stderr.replace("llama.cpp", "")
