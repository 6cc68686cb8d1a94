"""Keys go only where they belong: a provider's key to its own host, to a host the user config
trusts, or to a model the user config defines itself. A task file that points a provider (or an
`api_key_env` of its choosing) elsewhere gets no key, and the attempt says why without the key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from client_helpers import collect, serve
from fakeserver import END, FakeServer, Head, Reply, Request, Step

from escalatui.clients.base import ProviderError
from escalatui.clients.keys import destination_ok
from escalatui.clients.openai import OpenAIClient
from escalatui.clients.registry import ClientPool, provider_class
from escalatui.config import ConfigError, load_task
from escalatui.config.models import ModelSpec

pytestmark = pytest.mark.timeout(60)
server = pytest.fixture(serve, name="server")
KEY = "sk-or-v1-hostcheck-0123456789abcdef"


def echo_auth() -> Reply:
    """An answer whose text is the Authorization header the server received."""

    def plan(req: Request) -> Iterator[Step]:
        auth = req.headers.get("authorization", "(none)")
        chunk = {"choices": [{"index": 0, "delta": {"content": auth}, "finish_reason": "stop"}]}
        yield Head(200, (("content-type", "text/event-stream"),))
        yield f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
        yield END

    return Reply("echo_auth", plan)


def spec(server: FakeServer, **kw: Any) -> ModelSpec:
    fields = {"provider": "openrouter", "model": "a/b", "base_url": server.base_url, **kw}
    return ModelSpec.model_validate(fields)


def withheld(port: int, source: str = "OPENROUTER_API_KEY") -> str:
    return (
        f"{source} is not sent to 127.0.0.1:{port}: it is the key for openrouter.ai; "
        "add the host to trusted_hosts in your config to send it"
    )


@pytest.mark.parametrize(
    ("provider", "url", "ok"),
    [
        ("openrouter", None, True),
        ("openrouter", "https://openrouter.ai/api/v1", True),
        ("openrouter", "https://OpenRouter.AI:443/api/v1/", True),
        ("openrouter", "http://openrouter.ai/api/v1", False),  # the key in clear text
        ("openrouter", "https://openrouter.ai:8443/api/v1", False),
        ("openrouter", "https://openrouter.ai@evil.example/api/v1", False),
        ("openrouter", "https://openrouter.ai.evil.example/api/v1", False),
        ("openrouter", "https://api.openai.com/v1", False),
        ("openrouter", "http://127.0.0.1:8080", False),
        ("openrouter", "https://openrouter.ai:notaport/v1", False),
        ("openai", "https://api.openai.com/v1", True),
        ("openai", "https://openrouter.ai/api/v1", False),
        ("ollama", "http://127.0.0.1:11434", True),
        ("ollama", "http://192.168.1.9:11434", False),
        ("openai", "http://127.0.0.1:8080", False),
    ],
)
def test_the_providers_own_host(provider: str, url: str | None, ok: bool) -> None:
    assert destination_ok(provider_class(provider).key_home, url, ())[0] is ok


@pytest.mark.parametrize(
    ("entries", "url", "ok"),
    [
        (["my-proxy.example"], "https://my-proxy.example/v1", True),
        (["MY-PROXY.example "], "http://my-proxy.example:9000", True),
        (["my-proxy.example:9000"], "http://my-proxy.example:9000", True),
        (["my-proxy.example:9000"], "http://my-proxy.example:9001", False),
        (["https://my-proxy.example"], "https://my-proxy.example", True),
        (["proxy.example"], "https://my-proxy.example", False),
        (["[::1]:8080"], "http://[::1]:8080/v1", True),
        (["127.0.0.1"], "http://127.0.0.1:1234", True),
        (["bad:port:x"], "http://bad:1", False),
    ],
)
def test_trusted_hosts_entries(entries: list[str], url: str, ok: bool) -> None:
    assert destination_ok("https://openrouter.ai", url, entries)[0] is ok


async def test_the_default_key_is_withheld_from_a_foreign_host(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    with pytest.raises(ProviderError) as caught:
        ClientPool({"m": spec(server)}).get("m")
    assert withheld(server.port) in str(caught.value)
    assert KEY not in str(caught.value) and caught.value.kind == "config"
    assert server.chat_requests == []


async def test_a_config_key_is_withheld_too(server: FakeServer) -> None:
    with pytest.raises(ProviderError) as caught:
        ClientPool({"m": spec(server)}, {"openrouter": KEY}).get("m")
    assert withheld(server.port, "the key from [keys] openrouter in the user config") in str(
        caught.value
    )
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.1:{port}", "http://127.0.0.1:{port}"])
async def test_a_trusted_host_gets_the_key(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    server.enqueue(echo_auth())
    pool = ClientPool({"m": spec(server)}, trusted_hosts=[entry.format(port=server.port)])
    out = await collect(pool.get("m"))
    await pool.aclose()
    assert out.text == f"Bearer {KEY}"


async def test_a_trusted_host_on_another_port_does_not(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    pool = ClientPool({"m": spec(server)}, trusted_hosts=[f"127.0.0.1:{server.port + 1}"])
    with pytest.raises(ProviderError, match="trusted_hosts"):
        pool.get("m")


async def test_a_model_of_the_users_own_config_gets_the_key(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    server.enqueue(echo_auth())
    mine = spec(server)
    pool = ClientPool({"m": mine}, own_specs={"m": mine})
    out = await collect(pool.get("m"))
    await pool.aclose()
    assert out.text == f"Bearer {KEY}"
    # the same name redefined by a task file (another address) is not the user's model
    theirs = spec(server, base_url=f"http://localhost:{server.port}")
    with pytest.raises(ProviderError, match="not sent to localhost"):
        ClientPool({"m": theirs}, own_specs={"m": mine}).get("m")


async def test_a_task_cannot_send_any_variable_to_any_host(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "aws-secret-0123456789abcdefghij"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    for provider in ("openrouter", "openai", "ollama", "lmstudio", "llama-swap"):
        bad = spec(server, provider=provider, api_key_env="AWS_SECRET_ACCESS_KEY")
        with pytest.raises(ProviderError) as caught:
            ClientPool({"m": bad}).get("m")
        text = str(caught.value)
        assert f"AWS_SECRET_ACCESS_KEY is not sent to 127.0.0.1:{server.port}" in text
        assert "the task file names it" in text and secret not in text
    assert server.chat_requests == []


async def test_a_keyless_local_server_still_works_and_a_withheld_key_is_said(
    server: FakeServer,
) -> None:
    server.enqueue(echo_auth())
    local = ModelSpec.model_validate(
        {"provider": "openai", "model": "m", "base_url": server.base_url}
    )
    pool = ClientPool({"m": local}, {"openai": KEY})
    client = pool.get("m")
    assert isinstance(getattr(client, "inner", client), OpenAIClient)  # behind its gate
    out = await collect(client)
    await pool.aclose()
    assert out.error is None and out.text == "(none)"  # asked without the key
    assert any("[keys] openai" in i and "trusted_hosts" in i for i in out.infos)
    assert all(KEY not in i for i in out.infos)


def test_a_task_file_cannot_trust_hosts(tmp_path: Path) -> None:
    path = tmp_path / "task.toml"
    path.write_text(
        'name = "t"\ntrusted_hosts = ["evil.example"]\nchain = ["m"]\n'
        '[models.m]\nprovider = "sim"\n[[steps]]\nname = "s"\nprompt = "p"\n'
    )
    with pytest.raises(ConfigError, match="trusted_hosts"):
        load_task(path)


def test_headless_run_says_why_the_key_was_withheld(server: FakeServer, tmp_path: Path) -> None:
    task = tmp_path / "task.toml"
    task.write_text(
        'name = "t"\nchain = ["router"]\ninput = "hi"\n'
        f'[models.router]\nprovider = "openrouter"\nmodel = "a/b"\nbase_url = "{server.base_url}"\n'
        '[[steps]]\nname = "s"\nprompt = "{input}"\n'
    )
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env["OPENROUTER_API_KEY"] = KEY
    done = subprocess.run(
        [sys.executable, "-m", "escalatui", "run", str(task), "--headless"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # the run refuses before anything is sent: this tier can never get its key
    assert done.returncode == 2, done.stderr[-2000:]
    assert "OPENROUTER_API_KEY is set but is not sent to this model's base_url" in done.stderr
    assert "trusted_hosts" in done.stderr
    assert KEY not in done.stdout + done.stderr
    assert server.chat_requests == []


def trusted_request(server: FakeServer, tmp_path: Path) -> Any:
    """A run of a task on the server, with the key and the host in the user config."""
    from escalatui.config import LoadedTask, UserConfig
    from escalatui.config.models import Task
    from escalatui.run_session import RunRequest

    task = Task.model_validate(
        {
            "name": "t",
            "models": {"m": spec(server).model_dump(exclude_unset=True)},
            "steps": [{"name": "s", "prompt": "{input}", "chain": ["m"]}],
        }
    )
    user = UserConfig.model_validate(
        {"keys": {"openrouter": KEY}, "trusted_hosts": [f"127.0.0.1:{server.port}"]}
    )
    return RunRequest(LoadedTask(tmp_path / "t.toml", task), user, tmp_path / "s", input="hi")


async def test_a_run_sends_the_key_to_a_host_the_user_trusts(
    server: FakeServer, tmp_path: Path
) -> None:
    from escalatui.run_session import RunSession

    server.enqueue(echo_auth())
    finished = await RunSession(trusted_request(server, tmp_path)).run([])
    assert (finished.status, finished.output) == ("accepted", f"Bearer {KEY}")


async def test_a_batch_item_sends_the_key_to_a_host_the_user_trusts(
    server: FakeServer, tmp_path: Path
) -> None:
    from escalatui.batch.events import ItemFinished
    from escalatui.batch.inputs import Item
    from escalatui.batch.scheduler import Batch, BatchOptions

    server.enqueue(echo_auth())
    batch = Batch(trusted_request(server, tmp_path), [Item("i1", "hi", 1)], BatchOptions())
    seen: list[object] = []
    await batch.run(seen.append)
    done = [e for e in seen if isinstance(e, ItemFinished)]
    assert [e.status for e in done] == ["accepted"]  # without the key: a config error, failed
