"""Where API keys come from (the environment, then the user config; never a task file), where
they may go, and the list of every key this process holds, for redaction of anything written out.

A key goes only to its provider's own host (`openrouter.ai` over https for OpenRouter,
`api.openai.com` for OpenAI), to a host the user config lists in `trusted_hosts`, or to a model
defined in the user config itself. A task file is shared like a Makefile: pointing a provider (or
an `api_key_env` of its choosing) at another `base_url` must not carry the user's key there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from escalatui.clients.transport import host_of
from escalatui.config.models import ModelSpec

if TYPE_CHECKING:
    from escalatui.clients.base import ChatClient

    Facts = type[ChatClient]
    """A client class: its `key_env`, `key_home` and `key_required` say where its keys live."""


@dataclass(frozen=True)
class KeyRing:
    """The user's keys and where the user allows them to go."""

    config_keys: Mapping[str, str] = field(default_factory=dict)
    """[keys] of the user config, by provider."""
    trusted_hosts: Sequence[str] = ()
    """`trusted_hosts` of the user config: `host` or `host:port`."""
    own_specs: Mapping[str, ModelSpec] = field(default_factory=dict)
    """The user config's own models: each may send keys to its own base_url."""


@dataclass(frozen=True)
class KeyChoice:
    """The key for one model, where it came from, or why it is withheld."""

    key: str | None
    source: str
    withheld: str | None = None
    """Why a key that exists is not sent (never the key itself)."""


def default_key_env(spec: ModelSpec, facts: Facts) -> str | None:
    """The provider's usual variable. A provider that works without a key gets it only at its
    own host: a local server that calls itself `openai` must not receive the user's OpenAI key.
    One that insists on a key always names it (and a foreign base_url has it withheld, said)."""
    if facts.key_env is None or facts.key_required:
        return facts.key_env
    host = urlsplit(spec.base_url or "").hostname or ""
    return facts.key_env if host == urlsplit(facts.key_home or "").hostname else None


def _trusted(host: str, port: int | None, entries: Sequence[str]) -> bool:
    for entry in entries:
        entry = entry.strip().lower()
        parts = urlsplit(entry if "://" in entry else "//" + entry)
        try:
            want_port = parts.port
        except ValueError:
            continue
        if parts.hostname == host and (want_port is None or want_port == port):
            return True
    return False


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").lower(),
        parts.port or {"https": 443, "http": 80}.get(scheme),
    )


def destination_ok(
    home: str | None, base_url: str | None, trusted_hosts: Sequence[str]
) -> tuple[bool, str]:
    """(may a key go to this base_url, the host as people say it). `home` is the provider's own
    address (`key_home`); no base_url means the provider's own default address."""
    if not base_url:
        return True, ""
    try:
        origin = _origin(base_url)
    except ValueError:  # a port that is not a number
        return False, host_of(base_url)
    at_home = home is not None and origin == _origin(home)
    return at_home or _trusted(origin[1], origin[2], trusted_hosts), host_of(base_url)


def _withheld(spec: ModelSpec, facts: Facts, source: str, where: str) -> str:
    home = host_of(facts.key_home) if facts.key_home else None
    why = f"it is the key for {home}" if home else "keys go only to hosts your config trusts"
    if spec.api_key_env and source == spec.api_key_env:
        why = f"the task file names it, and may send a key only to {home or 'trusted hosts'}"
    return (
        f"{source} is not sent to {where}: {why}; add the host to trusted_hosts in your config "
        "to send it"
    )


def ring_for(ring: KeyRing, name: str, spec: ModelSpec) -> KeyRing:
    """The ring for model `name`: the user's own model (defined in the user config, not
    redefined by the task) may send keys to its own base_url."""
    if ring.own_specs.get(name) == spec:
        return replace(ring, trusted_hosts=(*ring.trusted_hosts, _host(spec.base_url)))
    return ring


def _host(url: str | None) -> str:
    """`host:port` of a base_url, as a trusted_hosts entry."""
    parts = urlsplit((url or "").strip())
    try:
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def key_for(spec: ModelSpec, ring: KeyRing, facts: Facts) -> KeyChoice:
    """The key for a model of provider `facts`: `api_key_env`, the provider's variable, then the
    config; withheld when the model points somewhere the key may not go."""
    env = spec.api_key_env or default_key_env(spec, facts)
    key: str | None = None
    source = f"the key from [keys] {spec.provider} in the user config"
    if env and os.environ.get(env, "").strip():
        key, source = os.environ[env], env
    elif ring.config_keys.get(spec.provider):
        key = ring.config_keys[spec.provider]
    if key is None:
        return KeyChoice(None, env or source)
    allowed, where = destination_ok(facts.key_home, spec.base_url, ring.trusted_hosts)
    if allowed:
        return KeyChoice(key, source)
    return KeyChoice(None, source, _withheld(spec, facts, source, where))


def known_secrets(
    config_keys: Mapping[str, str], specs: Mapping[str, ModelSpec], env_names: Sequence[str]
) -> list[str]:
    """Every key value this process might hold, longest first (for redaction): the variables
    `env_names` (every provider's `key_env`), each model's `api_key_env`, the config's keys."""
    names = set(env_names) | {s.api_key_env for s in specs.values() if s.api_key_env}
    values = [os.environ.get(n, "") for n in names] + list(config_keys.values())
    values = [v.strip() for v in values] + values
    return sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)
