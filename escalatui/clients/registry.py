"""Providers registered by name; a pool that builds each model's client once per run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from escalatui.clients.base import ChatClient
from escalatui.clients.embedded import EmbeddedClient
from escalatui.clients.gate import GatedClient, ModelGate
from escalatui.clients.keys import KeyRing, ring_for
from escalatui.clients.keys import known_secrets as secrets_among
from escalatui.clients.llamaswap import LlamaSwapClient
from escalatui.clients.lmstudio import LMStudioClient
from escalatui.clients.ollama import OllamaClient
from escalatui.clients.openai import OpenAIClient
from escalatui.clients.openrouter import OpenRouterClient
from escalatui.clients.sim import SimClient
from escalatui.config.models import ModelSpec

__all__ = ["CLIENTS", "PROVIDERS", "ClientPool", "known_secrets", "provider_class"]

CLIENTS: tuple[type[ChatClient], ...] = (
    OpenAIClient,
    OpenRouterClient,
    OllamaClient,
    LlamaSwapClient,
    LMStudioClient,
    EmbeddedClient,
    SimClient,
)
"""Every provider: a new one is its module (a ChatClient subclass describing itself in its class
attributes, see base.py) plus one line here, and its name in config.models.Provider."""

PROVIDERS: dict[str, type[ChatClient]] = {cls.provider: cls for cls in CLIENTS}
KEY_ENV_NAMES = tuple(sorted({cls.key_env for cls in CLIENTS if cls.key_env}))
"""Every provider's usual key variable: their values are redacted from everything written."""

Factory = Callable[[ModelSpec, KeyRing], ChatClient]


def provider_class(name: str) -> type[ChatClient]:
    """The client class of provider `name` (a name config.models.Provider allows)."""
    return PROVIDERS[name]


def known_secrets(config_keys: Mapping[str, str], specs: Mapping[str, ModelSpec]) -> list[str]:
    """Every key value this process might hold, longest first (for redaction)."""
    return secrets_among(config_keys, specs, KEY_ENV_NAMES)


def concurrency_limit(spec: ModelSpec) -> int | None:
    """Streams at once for a model: its `max_concurrency`, else its provider's default (one
    llama.cpp slot for `embedded`, the HTTP connection limit for servers), else no limit."""
    if spec.max_concurrency is not None:
        return spec.max_concurrency
    return provider_class(spec.provider).default_concurrency


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
        self.factories: dict[str, Factory] = {
            name: cls.from_spec for name, cls in PROVIDERS.items()
        }
        self.factories.update(factories or {})
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
