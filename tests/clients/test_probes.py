"""Warm/cold from each local server's own endpoint; "unknown" (None) rather than a guess."""

from __future__ import annotations

import pytest
from client_helpers import client_for, collect, serve
from fakeserver import FakeServer, Reply, refused_url

from escalatui.clients.llamaswap import LlamaSwapClient
from escalatui.clients.lmstudio import LMStudioClient
from escalatui.clients.ollama import OllamaClient
from escalatui.clients.openai import OpenAIClient
from escalatui.clients.openrouter import OpenRouterClient

pytestmark = pytest.mark.timeout(30)
server = pytest.fixture(serve, name="server")

PROBE_PATHS = {
    OllamaClient: "/api/ps",
    LlamaSwapClient: "/running",
    LMStudioClient: "/api/v1/models",
}


async def warm_of(server: FakeServer, cls: type[OpenAIClient], model: str = "m") -> bool | None:
    client = client_for(server.base_url + "/v1", cls, model=model)
    client.probe_timeout_s = 0.3
    try:
        return await client.warm()
    finally:
        await client.aclose()


# -- Ollama ----------------------------------------------------------------------------


async def test_ollama_warm_and_cold(server: FakeServer) -> None:
    server.set_state(loaded=["m:latest", "other:7b"])
    assert await warm_of(server, OllamaClient, "m") is True  # "m" means "m:latest"
    assert await warm_of(server, OllamaClient, "other:7b") is True
    assert await warm_of(server, OllamaClient, "other") is False
    server.set_state(loaded=[])
    assert await warm_of(server, OllamaClient, "m") is False
    assert {r.path for r in server.requests} == {"/api/ps"}


async def test_ollama_cold_start_is_announced_in_the_stream(server: FakeServer) -> None:
    client = client_for(server.base_url, OllamaClient)
    assert await client.warm() is False
    out = await collect(client)
    await client.aclose()
    assert out.error is None
    assert any("not loaded" in info for info in out.infos)


# -- llama-swap ------------------------------------------------------------------------


async def test_llama_swap_ready_starting_absent(server: FakeServer) -> None:
    server.set_state(loaded=["m"], running_states={"big": "starting", "old": "stopping"})
    assert await warm_of(server, LlamaSwapClient, "m") is True
    assert await warm_of(server, LlamaSwapClient, "big") is False
    assert await warm_of(server, LlamaSwapClient, "old") is False
    assert await warm_of(server, LlamaSwapClient, "never-started") is False
    # never /v1/models: it lists every configured model, loaded or not
    assert {r.path for r in server.requests} == {"/running"}


async def test_llama_swap_starting_is_shown_as_loading(server: FakeServer) -> None:
    server.set_state(running_states={"m": "starting"})
    client = client_for(server.base_url, LlamaSwapClient)
    assert await client.warm() is False
    out = await collect(client)
    await client.aclose()
    assert any("starting (loading)" in info for info in out.infos)
    assert out.notices == []  # not a retry


async def test_llama_swap_entry_without_state_is_unknown(server: FakeServer) -> None:
    server.override("/running", Reply.error(200, {"running": [{"model": "m"}]}))
    assert await warm_of(server, LlamaSwapClient) is None


# -- LM Studio -------------------------------------------------------------------------


async def test_lmstudio_loaded_instances(server: FakeServer) -> None:
    server.set_state(models=["m", "n"], loaded=["m"])
    assert await warm_of(server, LMStudioClient, "m") is True
    assert await warm_of(server, LMStudioClient, "n") is False
    assert await warm_of(server, LMStudioClient, "unknown-model") is None


async def test_lmstudio_instance_id_counts_as_loaded(server: FakeServer) -> None:
    entry = {"key": "m", "loaded_instances": [{"id": "m:2", "config": {}}]}
    server.override("/api/v1/models", Reply.error(200, {"models": [entry]}))
    assert await warm_of(server, LMStudioClient, "m:2") is True


async def test_lmstudio_before_0_4_falls_back_to_api_v0(server: FakeServer) -> None:
    server.override("/api/v1/models", Reply.error(404, {"error": "Unexpected endpoint"}))
    legacy = {
        "object": "list",
        "data": [{"id": "m", "state": "loaded"}, {"id": "n", "state": "not-loaded"}],
    }
    server.override("/api/v0/models", Reply.error(200, legacy))
    assert await warm_of(server, LMStudioClient, "m") is True
    assert await warm_of(server, LMStudioClient, "n") is False


# -- unknown, never a guess ------------------------------------------------------------


@pytest.mark.parametrize("cls", list(PROBE_PATHS))
@pytest.mark.parametrize(
    "reply",
    [
        Reply.stall(10),
        Reply.stall(10, after_headers=True),
        Reply.error(500, "no"),
        Reply.error(200, "not json", content_type="text/plain"),
        Reply.error(200, {"unexpected": "shape"}),
        Reply.error(200, ["a", "list"]),
        Reply.error(401, {"error": "unauthorized"}),
    ],
    ids=["stalled", "stalled-after-headers", "500", "not-json", "odd-shape", "list", "401"],
)
async def test_probe_failures_answer_unknown(
    server: FakeServer, cls: type[OpenAIClient], reply: Reply
) -> None:
    server.override(PROBE_PATHS[cls], reply)
    assert await warm_of(server, cls) is None


@pytest.mark.parametrize("cls", list(PROBE_PATHS))
async def test_probe_of_a_server_that_is_not_there(cls: type[OpenAIClient]) -> None:
    client = client_for(refused_url(), cls)
    assert await client.warm() is None
    await client.aclose()


async def test_openai_and_openrouter_cannot_say() -> None:
    plain = client_for(refused_url())
    router = OpenRouterClient(model="x", api_key="sk-or-test-0000000000")
    assert await plain.warm() is None and await router.warm() is None
    await plain.aclose()
    await router.aclose()


def test_default_addresses() -> None:
    assert OllamaClient(model="m").base_url == "http://127.0.0.1:11434/v1"
    assert LMStudioClient(model="m").base_url == "http://127.0.0.1:1234/v1"
    router = OpenRouterClient(model="m", api_key="sk-or-test-0000000000")
    assert router.base_url == "https://openrouter.ai/api/v1"
