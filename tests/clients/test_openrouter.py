"""OpenRouter as its users know it: key, attribution, cost, its errors; the key never shown."""

from __future__ import annotations

import json

import pytest
from client_helpers import FAST, collect, serve
from fakeserver import FakeServer, Reply

from escalatui.clients.base import ProviderError
from escalatui.clients.openrouter import OpenRouterClient
from escalatui.clients.registry import ClientPool
from escalatui.config.models import ModelSpec

pytestmark = pytest.mark.timeout(30)
server = pytest.fixture(serve, name="server")
KEY = "sk-or-v1-test-key-0123456789abcdef"


def router(server: FakeServer, key: str = KEY) -> OpenRouterClient:
    return OpenRouterClient(
        base_url=server.base_url + "/api/v1", model="openai/gpt-4o-mini", api_key=key, policy=FAST
    )


async def test_request_carries_key_attribution_and_model(server: FakeServer) -> None:
    client = router(server)
    out = await collect(client)
    await client.aclose()
    assert out.error is None
    req = server.chat_requests[0]
    assert req.path == "/api/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["http-referer"].startswith("https://")
    assert req.headers["x-title"] == "escalatui"
    assert req.json["model"] == "openai/gpt-4o-mini" and req.json["stream"] is True


async def test_cost_from_usage_cost_and_keepalive_comments(server: FakeServer) -> None:
    usage = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15, "cost": 0.000042}
    server.enqueue(Reply.text("one two three", usage=usage, delay_s=0.02, keepalive_every_s=0.005))
    client = router(server)
    out = await collect(client)
    await client.aclose()
    assert out.error is None and out.text == "one two three"
    assert out.usage is not None and out.usage.cost_usd == pytest.approx(0.000042)
    # `: OPENROUTER PROCESSING` comments went out between the 7 data events, and were ignored
    assert server.chat_requests[0].chunks_sent > 10


def spec(**kw: object) -> ModelSpec:
    return ModelSpec.model_validate({"provider": "openrouter", "model": "a/b", **kw})


def test_key_from_environment_wins_over_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-from-environment-123")
    client = ClientPool({"m": spec()}, {"openrouter": "sk-from-config-456789"}).get("m")
    assert client._http.headers["authorization"] == "Bearer sk-from-environment-123"  # type: ignore[attr-defined]


def test_key_from_user_config() -> None:
    client = ClientPool({"m": spec()}, {"openrouter": "sk-from-config-456789"}).get("m")
    assert client._http.headers["authorization"] == "Bearer sk-from-config-456789"  # type: ignore[attr-defined]


def test_a_named_api_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_ROUTER_KEY", "sk-from-my-var-999999")
    client = ClientPool({"m": spec(api_key_env="MY_ROUTER_KEY")}).get("m")
    assert client._http.headers["authorization"] == "Bearer sk-from-my-var-999999"  # type: ignore[attr-defined]


def test_no_key_says_what_to_do() -> None:
    with pytest.raises(ProviderError) as caught:
        ClientPool({"m": spec()}).get("m")
    assert caught.value.kind == "auth"
    assert "OPENROUTER_API_KEY" in str(caught.value) and "[keys]" in str(caught.value)


def test_a_key_that_cannot_be_sent_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-abc def\u00e9-SECRETPART")
    with pytest.raises(ProviderError) as caught:
        ClientPool({"m": spec()}).get("m")
    assert caught.value.kind == "config" and "SECRETPART" not in str(caught.value)
    assert "OPENROUTER_API_KEY" in str(caught.value)


def test_a_trailing_newline_in_the_key_is_forgiven(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-newline-at-end-1234\n")
    client = ClientPool({"m": spec()}).get("m")
    assert client._http.headers["authorization"] == "Bearer sk-or-newline-at-end-1234"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (401, "auth", "OPENROUTER_API_KEY"),
        (402, "quota", "openrouter.ai/settings/credits"),
        (403, "forbidden", "moderation"),
    ],
)
async def test_error_statuses_become_plain_advice_without_the_key(
    server: FakeServer, status: int, kind: str, words: str
) -> None:
    meta = {"reasons": ["harassment"], "flagged_input": KEY} if status == 403 else {}
    server.enqueue(Reply.openrouter_error(status, f"nope, {KEY} is not welcome", metadata=meta))
    client = OpenRouterClient(
        base_url=server.base_url, model="x", api_key=KEY, key_source="OPENROUTER_API_KEY"
    )
    out = await collect(client)
    await client.aclose()
    assert out.error is not None and out.error.kind == kind and words in str(out.error)
    assert KEY not in str(out.error) and KEY not in (out.error.body or "")
    assert "[redacted]" in str(out.error)
    assert len(server.chat_requests) == 1


async def test_midstream_error_chunk(server: FakeServer) -> None:
    server.enqueue(Reply.midstream_error(after_chunks=2, message="Upstream overloaded", code=502))
    client = router(server)
    out = await collect(client)
    await client.aclose()
    assert out.text == "partial output "
    assert out.error is not None and out.error.kind == "stream"
    assert "Upstream overloaded" in str(out.error) and "code 502" in str(out.error)


async def test_rate_limit_retry_notices_never_hold_the_key(server: FakeServer) -> None:
    body = {"error": {"code": 429, "message": f"slow down {KEY}"}}
    server.enqueue(Reply.error(429, body, headers={"retry-after": "0"}), Reply.text("fine"))
    client = router(server)
    out = await collect(client)
    await client.aclose()
    assert out.text == "fine" and len(out.notices) == 1
    assert KEY not in json.dumps(out.notices) and "[redacted]" in out.notices[0]
