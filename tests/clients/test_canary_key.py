"""A canary API key, set in the environment and in the user config, is used for every request
of a headless CLI run through every failure path (servers echo it back in error bodies, retry
notices, mid-stream errors), yet appears in no output, no session file and no other file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import END, FakeServer, Head, Reply, Request, Step, refused_url

pytestmark = pytest.mark.timeout(90)

ENV_CANARY = f"sk-or-v1-canary-env-{uuid.uuid4().hex}"
CONFIG_CANARY = f"sk-or-v1-canary-config-{uuid.uuid4().hex}"


def echo_key(status: int, content_type: str = "application/json") -> Reply:
    """An error whose body repeats the Authorization header it received."""

    def plan(req: Request) -> Iterator[Step]:
        auth = req.headers.get("authorization", "")
        if content_type == "application/json":
            error = {"code": status, "message": f"Invalid: {auth}", "metadata": {"raw": auth}}
            body = json.dumps({"error": error}).encode()
        else:
            body = f"<html><title>{status} {auth}</title><body>{auth}</body></html>".encode()
        headers = (("content-type", content_type), ("content-length", str(len(body))))
        yield Head(status, (*headers, ("retry-after", "0")), chunked=False)
        yield body
        yield END

    return Reply(f"echo_key({status})", plan)


def echo_midstream() -> Reply:
    def plan(req: Request) -> Iterator[Step]:
        auth = req.headers.get("authorization", "")
        yield Head(200, (("content-type", "text/event-stream"),))
        yield b'data: {"choices":[{"delta":{"content":"partial "}}]}\n\n'
        error = {"error": {"code": 502, "message": f"upstream saw {auth}"}}
        choice = {"delta": {"content": ""}, "finish_reason": "error"}
        yield f"data: {json.dumps({**error, 'choices': [choice]})}\n\n".encode()
        yield END

    return Reply("echo_midstream", plan)


FAILURES: dict[str, list[Reply]] = {
    "auth": [echo_key(401)],
    "credits": [echo_key(402)],
    "moderated": [echo_key(403)],
    "rate": [echo_key(429), echo_key(429)],
    "down": [echo_key(500, "text/html"), echo_key(502, "text/html")],
    "bad": [echo_key(400)],
    "midstream": [echo_midstream()],
    "cut": [Reply.cut(after_chunks=2)],
    "unfinished": [Reply.clean_end_no_done()],
    "silent": [Reply.stall(30)],
    "idle": [Reply.keepalives_forever(every_s=0.05, max_s=30, content="some output")],
    "error200": [Reply.error(200, {"error": {"code": 500, "message": "x"}})],
}


def model(name: str, base_url: str, **kw: object) -> str:
    fields = {
        "provider": "openrouter",
        "model": name,
        "base_url": base_url,
        "timeout_s": 1,
        "idle_timeout_s": 0.3,
        "connect_timeout_s": 1,
        "max_retries": 1,
        **kw,
    }
    body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in fields.items())
    return f"[models.{name}]\n{body}\n"


def write_task(path: Path, server: FakeServer) -> None:
    names = [*FAILURES, "refused", "last"]
    text = f'name = "canary"\nchain = {json.dumps(names)}\nretries = 0\n'
    text += 'input = "hello"\n\n'
    for name in FAILURES:
        text += model(name, server.base_url)
    text += model("refused", refused_url())
    text += model("last", server.base_url)
    text += '\n[[steps]]\nname = "s"\nprompt = "{input}"\n'
    text += '[[steps.checks]]\nkind = "contains"\ntext = "fine"\n'
    path.write_text(text)


def script(server: FakeServer) -> None:
    for name, replies in FAILURES.items():
        server.enqueue(*replies, model=name)
    server.enqueue(Reply.text("all fine in the end"), model="last")


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "escalatui", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def every_file(*dirs: Path) -> Iterator[Path]:
    for folder in dirs:
        if folder.exists():
            yield from (p for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[FakeServer, Path, Path, Path, dict[str, str]]]:
    config_dir, session_dir = tmp_path / "config", tmp_path / "sessions"
    config_dir.mkdir()
    config = config_dir / "config.toml"
    # the fake server stands in for OpenRouter: the user config trusts its host with the key
    config.write_text(f'trusted_hosts = ["127.0.0.1"]\n[keys]\nopenrouter = "{CONFIG_CANARY}"\n')
    config.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(ESCALATUI_CONFIG=str(config), ESCALATUI_SESSION_DIR=str(session_dir))
    with FakeServer() as server:
        write_task(tmp_path / "task.toml", server)
        yield server, tmp_path, config_dir, session_dir, env


def assert_no_canary(texts: list[str], dirs: list[Path], config: Path) -> None:
    for text in texts:
        assert ENV_CANARY not in text and CONFIG_CANARY not in text
    for path in every_file(*dirs):
        data = path.read_bytes()
        assert ENV_CANARY.encode() not in data, path
        if path != config:  # the config file holds its own key, by design
            assert CONFIG_CANARY.encode() not in data, path


@pytest.mark.parametrize("mode", ["--headless", "--json"])
def test_env_key_never_leaks(
    setup: tuple[FakeServer, Path, Path, Path, dict[str, str]], mode: str
) -> None:
    server, tmp, config_dir, session_dir, env = setup
    script(server)
    env["OPENROUTER_API_KEY"] = ENV_CANARY
    done = cli(["run", "task.toml", mode], env, tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    # every failure path really ran, with the key really sent
    for words in ("HTTP 401", "HTTP 402", "HTTP 403", "HTTP 429", "HTTP 502", "mid-stream"):
        assert words in out, words
    for words in ("stream broken", "without a finish reason", "no first token", "no content"):
        assert words in out, words
    assert "connection refused" in out and "[redacted]" in out and "retry 1/1" in out
    seen = {r.headers.get("authorization") for r in server.chat_requests}
    assert seen == {f"Bearer {ENV_CANARY}"}
    session = next(session_dir.glob("*.jsonl"))
    replay = cli(["replay", str(session), "--headless"], env, tmp)
    listing = cli(["sessions", "--json"], env, tmp)
    texts = [out, done.stderr, replay.stdout, replay.stderr, listing.stdout, listing.stderr]
    assert_no_canary(texts, [session_dir, config_dir, tmp], config_dir / "config.toml")


def test_config_key_never_leaks(setup: tuple[FakeServer, Path, Path, Path, dict[str, str]]) -> None:
    server, tmp, config_dir, session_dir, env = setup
    script(server)
    env.pop("OPENROUTER_API_KEY", None)
    done = cli(["run", "task.toml", "--headless"], env, tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[redacted]" in done.stdout
    seen = {r.headers.get("authorization") for r in server.chat_requests}
    assert seen == {f"Bearer {CONFIG_CANARY}"}
    dirs = [session_dir, config_dir, tmp]
    assert_no_canary([done.stdout, done.stderr], dirs, config_dir / "config.toml")
