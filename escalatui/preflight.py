"""Before a run: which tiers cannot get the API key they need. `validate` warns about them;
`run` refuses to start (exit 2) when one of them could never answer, so no cheap tier spends
time or money on a chain whose later tier is bound to fail (docs/reference.md, "API keys")."""

from __future__ import annotations

from dataclasses import dataclass

from escalatui.clients.keys import KeyRing, default_key_env, key_for, ring_for
from escalatui.clients.registry import provider_class
from escalatui.config.models import ModelSpec, Task, UserConfig


@dataclass(frozen=True)
class KeyGap:
    """A model in a chain or a judge check that will have no key."""

    model: str
    role: str
    """`tier` or `judge`."""
    env: str | None
    """The variable the key would come from."""
    fatal: bool
    """True when the model can never answer without it (the provider insists on a key)."""
    withheld: bool = False
    """The variable is set, but the key is not sent to this model's host."""

    @property
    def where(self) -> str:
        return f"models.{self.model}"

    def message(self) -> str:
        name = f"{self.role} `{self.model}`"
        if self.withheld:
            return (
                f"{self.env} is set but is not sent to this model's base_url (not the provider's "
                f"own host; trust it with `trusted_hosts` in the user config): {name} will fail"
            )
        outcome = "will fail" if self.fatal else "gets no key"
        source = self.env or "no API key"
        return f"{source} is not set: {name} {outcome}"


def config_keys(user: UserConfig | None) -> dict[str, str]:
    """The user config's `[keys]` as plain strings."""
    return {k: v.get_secret_value() for k, v in (user.keys if user else {}).items()}


def used_models(task: Task) -> list[tuple[str, str]]:
    """(model name, role) for every tier of every step and every judge, each once."""
    seen: dict[str, str] = {}
    for step in task.steps:
        for name in task.chain_for(step):
            seen.setdefault(name, "tier")
        for check in step.checks:
            if check.kind == "judge":
                seen.setdefault(check.model, "judge")
    return [(name, role) for name, role in seen.items() if name in task.models]


def key_ring(user: UserConfig | None) -> KeyRing:
    """The user's keys and where the user config lets them go."""
    if user is None:
        return KeyRing()
    return KeyRing(config_keys(user), tuple(user.trusted_hosts), dict(user.models))


def key_gaps(task: Task, ring: KeyRing) -> list[KeyGap]:
    """Every used model that will have no key although it needs one (or was told to use one)."""
    gaps = []
    for name, role in used_models(task):
        spec: ModelSpec = task.models[name]
        facts = provider_class(spec.provider)
        choice = key_for(spec, ring_for(ring, name, spec), facts)
        if choice.key:
            continue
        env = spec.api_key_env or default_key_env(spec, facts)
        if not facts.key_required and not spec.api_key_env:
            continue  # a local server that needs no key
        withheld = choice.withheld is not None
        gaps.append(KeyGap(name, role, env, facts.key_required, withheld))
    return gaps
