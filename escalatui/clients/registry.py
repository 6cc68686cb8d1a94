"""Providers registered by name; a pool that builds each model's client once per run."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from escalatui.clients.base import ChatClient, ProviderError
from escalatui.clients.embedded import EmbeddedClient
from escalatui.clients.openai import OpenAIClient
from escalatui.clients.sim import SimClient
from escalatui.config.models import ModelSpec

DEFAULT_BASE_URL = {
    "openrouter": "https://openrouter.ai/api/v1",
    "ollama": "http://127.0.0.1:11434",
    "lmstudio": "http://127.0.0.1:1234",
}
DEFAULT_KEY_ENV = {"openrouter": "OPENROUTER_API_KEY"}
OPENROUTER_HEADERS = {
    "HTTP-Referer": "https://github.com/escalatui/escalatui",
    "X-Title": "escalatui",
}
KEY_ENV_NAMES = ("OPENROUTER_API_KEY", "OPENAI_API_KEY")


def api_key(spec: ModelSpec, config_keys: Mapping[str, str]) -> str | None:
    """The key for a model: its `api_key_env`, the provider's default variable, the config."""
    env = spec.api_key_env or DEFAULT_KEY_ENV.get(spec.provider)
    if env and os.environ.get(env):
        return os.environ[env]
    return config_keys.get(spec.provider)


def known_secrets(config_keys: Mapping[str, str], specs: Mapping[str, ModelSpec]) -> list[str]:
    """Every key value this process might hold, for redaction of anything written out."""
    names = set(KEY_ENV_NAMES) | {s.api_key_env for s in specs.values() if s.api_key_env}
    values = [os.environ.get(n, "") for n in names] + list(config_keys.values())
    return sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)


def _openai_like(spec: ModelSpec, keys: Mapping[str, str]) -> ChatClient:
    base = spec.base_url or DEFAULT_BASE_URL.get(spec.provider)
    if not base or not spec.model:
        raise ProviderError(f"{spec.provider}: base_url and model are required", kind="config")
    key = api_key(spec, keys)
    if spec.provider == "openrouter" and not key:
        raise ProviderError(
            "openrouter: no API key; set OPENROUTER_API_KEY or [keys] "
            "openrouter in the user config",
            kind="auth",
        )
    headers = OPENROUTER_HEADERS if spec.provider == "openrouter" else None
    return OpenAIClient(
        base_url=base, model=spec.model, api_key=key, provider=spec.provider, headers=headers
    )


def _embedded(spec: ModelSpec, keys: Mapping[str, str]) -> ChatClient:
    return EmbeddedClient(spec.model, ctx_size=spec.ctx_size or 4096, idle_s=spec.idle_s or 300)


def _sim(spec: ModelSpec, keys: Mapping[str, str]) -> ChatClient:
    return SimClient(spec)


Factory = Callable[[ModelSpec, Mapping[str, str]], ChatClient]
PROVIDERS: dict[str, Factory] = {
    "openai": _openai_like,
    "openrouter": _openai_like,
    "ollama": _openai_like,
    "llama-swap": _openai_like,
    "lmstudio": _openai_like,
    "embedded": _embedded,
    "sim": _sim,
}


class ClientPool:
    """Builds each named model's client on first use and closes them all at the end."""

    def __init__(
        self,
        specs: Mapping[str, ModelSpec],
        keys: Mapping[str, str] | None = None,
        factories: Mapping[str, Factory] | None = None,
    ) -> None:
        self.specs = specs
        self.keys = dict(keys or {})
        self.factories = {**PROVIDERS, **(factories or {})}
        self._clients: dict[str, ChatClient] = {}

    def get(self, name: str) -> ChatClient:
        """The client for model `name` (raises ProviderError on a bad configuration)."""
        if name not in self._clients:
            spec = self.specs[name]
            self._clients[name] = self.factories[spec.provider](spec, self.keys)
        return self._clients[name]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
