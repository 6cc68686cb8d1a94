"""Providers describe themselves: the registry's facts, and the copies config keeps of them
(config sits below the clients, so it cannot import them) must agree with the classes."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from escalatui.clients.base import ChatClient
from escalatui.clients.registry import (
    CLIENTS,
    KEY_ENV_NAMES,
    PROVIDERS,
    ClientPool,
    concurrency_limit,
    provider_class,
)
from escalatui.config.models import ModelSpec, Provider
from escalatui.config.semantics import NEEDS_BASE_URL, NEEDS_MODEL, model_problems
from escalatui.engine.budget import is_paid

pytestmark = pytest.mark.timeout(30)


def test_every_provider_name_of_task_files_has_a_client_and_no_more() -> None:
    assert set(get_args(Provider)) == set(PROVIDERS)
    assert len(PROVIDERS) == len(CLIENTS)  # no two classes claim one name


def test_config_copies_of_base_url_and_model_needs_match_the_classes() -> None:
    assert NEEDS_BASE_URL == {n for n, c in PROVIDERS.items() if c.needs_base_url}
    assert NEEDS_MODEL == {n for n, c in PROVIDERS.items() if c.needs_model}


def test_each_providers_own_options_are_the_model_keys_documented_as_its_own() -> None:
    for name, cls in PROVIDERS.items():
        documented = {
            key
            for key, field in ModelSpec.model_fields.items()
            if (field.description or "").lower().startswith(name + ":")
        }
        assert set(cls.options) == documented, name
        assert set(cls.options) <= set(ModelSpec.model_fields)


def test_every_registered_client_builds_itself_from_a_spec() -> None:
    for cls in CLIENTS:
        assert cls.from_spec.__func__ is not ChatClient.from_spec.__func__  # type: ignore[attr-defined]


def test_facts_the_rest_of_the_code_reads() -> None:
    local = {n for n, c in PROVIDERS.items() if c.local}
    assert local == {"embedded", "sim", "ollama", "llama-swap", "lmstudio"}
    assert {n for n, c in PROVIDERS.items() if c.key_required} == {"openrouter"}
    assert {n for n, c in PROVIDERS.items() if c.simulated} == {"sim"}
    assert KEY_ENV_NAMES == ("OPENAI_API_KEY", "OPENROUTER_API_KEY")
    assert provider_class("ollama").key_env is None  # never inherits OpenAI's key
    assert provider_class("lmstudio").key_env is None
    assert provider_class("llama-swap").key_env is None
    assert concurrency_limit(ModelSpec(provider="embedded")) == 1
    assert concurrency_limit(ModelSpec(provider="ollama", model="m")) == 100  # the HTTP pool
    assert concurrency_limit(ModelSpec(provider="sim", responses=["x"])) is None
    assert not is_paid(ModelSpec(provider="ollama", model="m"))
    assert is_paid(ModelSpec(provider="openai", model="m", base_url="http://x"))


def test_a_missing_base_url_or_model_is_a_load_problem(tmp_path: Path) -> None:
    problems = model_problems("models.m", ModelSpec(provider="llama-swap"), tmp_path)
    assert {p.where for p in problems} == {"models.m.base_url", "models.m.model"}
    assert model_problems("models.m", ModelSpec(provider="sim", responses=["x"]), tmp_path) == []


def test_the_pool_builds_clients_through_from_spec() -> None:
    pool = ClientPool({"m": ModelSpec(provider="sim", responses=["hi"])})
    assert pool.get("m").simulated
