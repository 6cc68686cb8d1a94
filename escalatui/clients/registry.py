"""Providers registered by name; a pool that builds each model's client once per run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from escalatui.clients.base import ChatClient
from escalatui.clients.embedded import EmbeddedClient
from escalatui.clients.gate import GatedClient, ModelGate
from escalatui.clients.keys import KeyRing, key_for, known_secrets, ring_for
from escalatui.clients.llamaswap import LlamaSwapClient
from escalatui.clients.lmstudio import LMStudioClient
from escalatui.clients.ollama import OllamaClient
from escalatui.clients.openai import OpenAIClient
from escalatui.clients.openrouter import OpenRouterClient
from escalatui.clients.sim import SimClient
from escalatui.config.models import ModelSpec

__all__ = ["PROVIDERS", "ClientPool", "api_key", "known_secrets"]


def api_key(spec: ModelSpec, config_keys: Mapping[str, str]) -> str | None:
    """The key for a model: its `api_key_env`, the provider's default variable, the config
    (None when it may not go to the model's host)."""
    return key_for(spec, config_keys).key


def _embedded(spec: ModelSpec, keys: KeyRing) -> ChatClient:
    return EmbeddedClient.from_spec(spec)


def _sim(spec: ModelSpec, keys: KeyRing) -> ChatClient:
    return SimClient(spec)


Factory = Callable[[ModelSpec, KeyRing], ChatClient]
PROVIDERS: dict[str, Factory] = {
    "openai": OpenAIClient.from_spec,
    "openrouter": OpenRouterClient.from_spec,
    "ollama": OllamaClient.from_spec,
    "llama-swap": LlamaSwapClient.from_spec,
    "lmstudio": LMStudioClient.from_spec,
    "embedded": _embedded,
    "sim": _sim,
}


def concurrency_limit(spec: ModelSpec) -> int | None:
    """Streams at once for a model: its `max_concurrency`, else 1 for the embedded server (one
    llama.cpp slot), else no limit."""
    if spec.max_concurrency is not None:
        return spec.max_concurrency
    return 1 if spec.provider == "embedded" else None


class ClientPool:
    """Builds each named model's client on first use and closes them all at the end."""

    def __init__(
        self,
        specs: Mapping[str, ModelSpec],
        keys: Mapping[str, str] | None = None,
        factories: Mapping[str, Factory] | None = None,
        *,
        trusted_hosts: Sequence[str] = (),
        own_specs: Mapping[str, ModelSpec] | None = None,
    ) -> None:
        """`keys`, `trusted_hosts` and `own_specs` (its models) come from the user config."""
        self.specs = specs
        self.keys = dict(keys or {})
        self.ring = KeyRing(self.keys, tuple(trusted_hosts), dict(own_specs or {}))
        self.factories = {**PROVIDERS, **(factories or {})}
        self._clients: dict[str, ChatClient] = {}
        self.gates: dict[str, ModelGate] = {}

    def get(self, name: str) -> ChatClient:
        """The client for model `name` (raises ProviderError on a bad configuration)."""
        if name not in self._clients:
            spec = self.specs[name]
            ring = ring_for(self.ring, name, spec)
            gate = self.gates[name] = ModelGate(concurrency_limit(spec))
            self._clients[name] = GatedClient(self.factories[spec.provider](spec, ring), gate)
        return self._clients[name]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
