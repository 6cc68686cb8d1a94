"""Where API keys come from (the environment, then the user config; never a task file) and the
list of every key this process holds, for redaction of anything written out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from escalatui.config.models import ModelSpec

DEFAULT_KEY_ENV = {"openrouter": "OPENROUTER_API_KEY"}
KEY_ENV_NAMES = ("OPENROUTER_API_KEY", "OPENAI_API_KEY")


def default_key_env(spec: ModelSpec) -> str | None:
    """The provider's usual variable. OPENAI_API_KEY only for OpenAI's own API: a local server
    that calls itself `openai` must not receive the user's OpenAI key."""
    if spec.provider == "openai":
        host = urlsplit(spec.base_url or "").hostname or ""
        return "OPENAI_API_KEY" if host == "api.openai.com" else None
    return DEFAULT_KEY_ENV.get(spec.provider)


def key_for(spec: ModelSpec, config_keys: Mapping[str, str]) -> tuple[str | None, str]:
    """(key, where it came from): `api_key_env`, the provider's variable, then the config."""
    env = spec.api_key_env or default_key_env(spec)
    if env and os.environ.get(env, "").strip():
        return os.environ[env], env
    source = f"[keys] {spec.provider} in the user config"
    if config_keys.get(spec.provider):
        return config_keys[spec.provider], source
    return None, env or source


def known_secrets(config_keys: Mapping[str, str], specs: Mapping[str, ModelSpec]) -> list[str]:
    """Every key value this process might hold, longest first (for redaction)."""
    names = set(KEY_ENV_NAMES) | {s.api_key_env for s in specs.values() if s.api_key_env}
    values = [os.environ.get(n, "") for n in names] + list(config_keys.values())
    values = [v.strip() for v in values] + values
    return sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)
