"""The fake server behaves as scripted (checked with plain httpx, no escalatui code)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fakeserver import FakeServer, Reply, megabytes_content, refused_url

pytestmark = pytest.mark.timeout(20)

CHAT = "/v1/chat/completions"
BODY = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5.0) as c:
        yield c


def events(raw: bytes) -> list[str]:
    """SSE blocks of a well-formed body: data payloads, and comments as ':text'."""
    out = []
    for block in raw.decode().split("\n\n"):
        if block.startswith("data: "):
            out.append(block[len("data: ") :])
        elif block.startswith(":"):
            out.append(block)
    return out


def chunks(payloads: list[str]) -> list[dict[str, Any]]:
    return [json.loads(p) for p in payloads if p.startswith("{")]


def content(payloads: list[str]) -> str:
    deltas = [c["choices"][0]["delta"] for c in chunks(payloads) if c["choices"]]
    return "".join(d.get("content") or "" for d in deltas)


def post_stream(server: FakeServer, client: httpx.Client, **body: Any) -> httpx.Response:
    response = client.post(server.base_url + CHAT, json=BODY | body)
    return response


def test_normal_stream(server: FakeServer, client: httpx.Client) -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "cost": 0.0012}
    server.enqueue(Reply.text("Hello brave world", usage=usage))
    with client.stream("POST", server.base_url + CHAT, json=BODY) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["transfer-encoding"] == "chunked"
        payloads = events(response.read())
    assert content(payloads) == "Hello brave world"
    assert payloads[-1] == "[DONE]"
    parsed = chunks(payloads)
    assert parsed[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert parsed[-2]["choices"][0]["finish_reason"] == "stop"
    assert parsed[-1] == parsed[-1] | {"choices": [], "usage": usage}
    assert {c["model"] for c in parsed} == {"m"}
    assert parsed[0]["object"] == "chat.completion.chunk"


def test_explicit_chunks_and_length(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.text("", chunks=["a", "", "b\u2028c"], finish_reason="length"))
    raw = post_stream(server, client).content
    assert "\u2028".encode() in raw  # raw, not escaped
    payloads = events(raw)
    assert content(payloads) == "ab\u2028c"
    assert chunks(payloads)[-1]["choices"][0]["finish_reason"] == "length"


def test_non_stream_json(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.text("whole answer", usage={"total_tokens": 5}))
    response = post_stream(server, client, stream=False)
    assert response.headers["content-type"] == "application/json"
    assert "content-length" in response.headers
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["choices"][0]["message"] == {"role": "assistant", "content": "whole answer"}
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"] == {"total_tokens": 5}


def test_queue_order_default_and_per_model(server: FakeServer, client: httpx.Client) -> None:
    server.default = Reply.text("fallback")
    server.enqueue(Reply.text("one"), Reply.text("two"))
    server.enqueue(Reply.text("judge says"), model="judge")
    assert content(events(post_stream(server, client, model="judge").content)) == "judge says"
    assert content(events(post_stream(server, client).content)) == "one"
    url = server.base_url + "/api/v1/chat/completions"  # OpenRouter-style base path
    assert content(events(client.post(url, json=BODY).content)) == "two"
    assert content(events(post_stream(server, client, model="judge").content)) == "fallback"
    assert server.pending == 0
    assert [r.model for r in server.chat_requests] == ["judge", "m", "m", "judge"]


def test_error_with_headers(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.rate_limited(2, retry_after_ms=1500, should_retry=True))
    response = post_stream(server, client)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.headers["retry-after-ms"] == "1500"
    assert response.headers["x-should-retry"] == "true"
    assert response.json()["error"]["code"] == 429


@pytest.mark.parametrize(
    ("reply", "status", "check"),
    [
        (Reply.error(401, {"error": "bad key"}), 401, lambda r: r.json() == {"error": "bad key"}),
        (
            Reply.openrouter_error(402, "Insufficient credits", metadata={"x": 1}),
            402,
            lambda r: (
                r.json()["error"]
                == {"code": 402, "message": "Insufficient credits"} | {"metadata": {"x": 1}}
            ),
        ),
        (
            Reply.error(500, "boom", content_type="text/plain"),
            500,
            lambda r: r.text == "boom" and r.headers["content-type"] == "text/plain",
        ),
        (Reply.html_502(), 502, lambda r: "<h1>502 Bad Gateway</h1>" in r.text),
        (Reply.error(200, {"error": {"message": "x"}}), 200, lambda r: "error" in r.json()),
        (Reply.loading_model(), 503, lambda r: r.json()["error"]["message"] == "Loading model"),
        (
            Reply.context_exceeded("openai"),
            400,
            lambda r: r.json()["error"]["code"] == "context_length_exceeded",
        ),
        (
            Reply.context_exceeded("llamacpp"),
            400,
            lambda r: r.json()["error"]["type"] == "exceed_context_size_error",
        ),
        (
            Reply.context_exceeded("openrouter"),
            400,
            lambda r: "maximum context length" in r.json()["error"]["message"],
        ),
        (Reply.error(418, b"\xff\xfe raw"), 418, lambda r: r.content == b"\xff\xfe raw"),
    ],
)
def test_error_shapes(
    server: FakeServer, client: httpx.Client, reply: Reply, status: int, check: Any
) -> None:
    server.enqueue(reply)
    response = post_stream(server, client)
    assert response.status_code == status
    assert check(response)


@pytest.mark.parametrize("reset", [False, True])
def test_cut_stream_raises_on_read(server: FakeServer, client: httpx.Client, reset: bool) -> None:
    server.enqueue(Reply.cut(after_chunks=2, content="alpha beta gamma delta", reset=reset))
    received = b""
    with client.stream("POST", server.base_url + CHAT, json=BODY) as response:
        assert response.status_code == 200
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            for piece in response.iter_bytes():
                received += piece
    if not reset:  # an RST may discard data still in flight; a FIN never does
        assert content(events(received)) == "alpha beta "
    assert b"[DONE]" not in received
    assert b'finish_reason": "stop' not in received


def test_clean_end_without_done(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.clean_end_no_done("half an answer"))
    payloads = events(post_stream(server, client).content)  # httpx raises nothing
    assert content(payloads) == "half an answer"
    assert "[DONE]" not in payloads
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks(payloads))
    assert server.requests[0].completed


def test_midstream_error(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.midstream_error(after_chunks=1, message="upstream died", code=502))
    payloads = events(post_stream(server, client).content)
    last = chunks(payloads)[-1]
    assert last["error"] == {"code": 502, "message": "upstream died"}
    assert last["choices"] == [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]
    assert content(payloads) == "partial "
    assert "[DONE]" not in payloads


def test_refuse_is_a_connection_error(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.refuse())
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        post_stream(server, client)
    assert server.requests[0].reply == "refuse()"


def test_nothing_listening_is_connect_error(client: httpx.Client) -> None:
    with pytest.raises(httpx.ConnectError):
        client.get(refused_url() + "/v1/models")


@pytest.mark.parametrize("after_headers", [False, True])
def test_stall_times_out_client_and_is_seen(
    server: FakeServer, client: httpx.Client, after_headers: bool
) -> None:
    server.enqueue(Reply.stall(15, after_headers=after_headers))
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        with client.stream("POST", server.base_url + CHAT, json=BODY, timeout=0.3) as r:
            r.read()
    assert time.monotonic() - started < 3
    assert server.wait_until(lambda: server.disconnects == 1, timeout=3)


def test_keepalives_forever_defeat_read_timeout(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.keepalives_forever(every_s=0.05, max_s=0.4, content="one two"))
    received = b""
    started = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError):  # a read timeout of 0.3 s never fires
        with client.stream("POST", server.base_url + CHAT, json=BODY, timeout=0.3) as r:
            for piece in r.iter_bytes():
                received += piece
    assert time.monotonic() - started >= 0.4
    payloads = events(received)
    assert content(payloads) == "one two"
    assert payloads.count(": OPENROUTER PROCESSING") >= 5


def test_text_with_delays_and_keepalives(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(
        Reply.text(
            "a b",
            delay_s=0.12,
            keepalive_every_s=0.05,
            comment_text="PING",
            first_byte_delay_s=0.2,
        )
    )
    started = time.monotonic()
    with client.stream("POST", server.base_url + CHAT, json=BODY) as response:
        assert time.monotonic() - started >= 0.2  # headers only after the first-byte delay
        payloads = events(response.read())
    assert content(payloads) == "a b"
    assert payloads.count(": PING") == 4  # two per 0.12 s gap at 0.05 s
    assert payloads[1] == ": PING"  # keep-alives precede the first content too


def test_drip_is_per_character(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.drip("héllo", delay_s=0.01))
    payloads = events(post_stream(server, client).content)
    assert [c["choices"][0]["delta"].get("content") for c in chunks(payloads)][1:6] == list("héllo")


def test_raw_bytes_exact_and_split(server: FakeServer, client: httpx.Client) -> None:
    parts = [
        b'data: {"choices":[{"delta":{"content":"\xc3',
        b'\xa9"}}]}\r\n\r\n',
        b"data:[DONE]\r\n",
    ]
    server.enqueue(Reply.raw(parts, gap_s=0.05))
    pieces = []
    with client.stream("POST", server.base_url + CHAT, json=BODY) as response:
        pieces = list(response.iter_raw())
    assert b"".join(pieces) == b"".join(parts)
    assert len(pieces) == 3  # each part arrived on its own, splitting the UTF-8 of "é"


def test_raw_str_surrogates_and_cut(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.raw('data: {"x": "\ud800"}\n\n', cut=True))
    with client.stream("POST", server.base_url + CHAT, json=BODY) as response:
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


def test_megabytes_lazy_stream(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.megabytes(20_000, chunk_chars=1), Reply.megabytes(1_000_000, 4096))
    payloads = events(post_stream(server, client).content)
    assert content(payloads) == megabytes_content(20_000)
    assert len(payloads) == 20_000 + 3  # role chunk, 20k deltas, finish, [DONE]
    payloads = events(post_stream(server, client).content)
    assert content(payloads) == megabytes_content(1_000_000)
    assert payloads[-1] == "[DONE]"


def test_warm_cold_endpoints(server: FakeServer, client: httpx.Client) -> None:
    def get(path: str) -> Any:
        response = client.get(server.base_url + path)
        assert response.status_code == 200, path
        return response.json()

    assert get("/props")["is_sleeping"] is False
    assert get("/api/ps") == {"models": []}
    assert get("/running") == {"running": []}
    assert get("/api/v1/models")["models"][0]["loaded_instances"] == []

    server.set_state(models=["small", "big"], loaded=["small"], running_states={"big": "starting"})
    server.set_state(sleeping=True, loading=True)
    assert get("/props") | {"is_sleeping": True, "total_slots": 1} == get("/props")
    health = client.get(server.base_url + "/health")
    assert health.status_code == 503 and health.json()["error"]["message"] == "Loading model"
    ps = get("/api/ps")["models"]
    assert [(m["name"], m["model"]) for m in ps] == [("small", "small")]
    assert {"size", "expires_at", "size_vram"} <= set(ps[0])
    assert get("/running")["running"] == [
        {"model": "small", "state": "ready"},
        {"model": "big", "state": "starting"},
    ]
    lmstudio = {m["key"]: m for m in get("/api/v1/models")["models"]}
    assert lmstudio["small"]["loaded_instances"] == [
        {"id": "small", "config": {"context_length": 8192}}
    ]
    assert lmstudio["big"]["loaded_instances"] == [] and lmstudio["big"]["type"] == "llm"
    assert [m["id"] for m in get("/v1/models")["data"]] == ["small", "big"]  # lists cold too
    assert [m["id"] for m in get("/models")["data"]] == ["small", "big"]
    assert client.get(server.base_url + "/nope").status_code == 404
    with pytest.raises(TypeError):
        server.set_state(no_such_field=1)


def test_overrides_make_probes_stall_or_fail(server: FakeServer, client: httpx.Client) -> None:
    server.override("/api/ps", Reply.stall(10))
    server.override("/running", Reply.error(500, "llama-swap broke", content_type="text/plain"))
    with pytest.raises(httpx.ReadTimeout):
        client.get(server.base_url + "/api/ps", timeout=0.2)
    assert client.get(server.base_url + "/running").status_code == 500
    server.override("/running", None)
    assert client.get(server.base_url + "/running").json() == {"running": []}


def test_requests_are_recorded(server: FakeServer, client: httpx.Client) -> None:
    headers = {"Authorization": "Bearer sk-test", "X-Title": "escalatui"}
    client.post(server.base_url + CHAT + "?a=1", json=BODY, headers=headers)
    client.post(server.base_url + CHAT, content=b"not json{")
    client.post(server.base_url + CHAT, content=iter([b'{"model":', b'"chunked"}']))
    client.get(server.base_url + "/props")
    first, bad, chunked, get = server.wait_for_requests(4)
    assert (first.method, first.path, first.query) == ("POST", CHAT, "a=1")
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.headers["x-title"] == "escalatui"
    assert first.json == BODY and json.loads(first.body) == BODY
    assert first.completed and not first.client_disconnected
    assert bad.json is None and bad.body == b"not json{"
    assert chunked.model == "chunked"
    assert (get.method, get.path, get.json, get.body) == ("GET", "/props", None, b"")
    with pytest.raises(TimeoutError):
        server.wait_for_requests(5, timeout=0.1)


def test_client_disconnect_mid_stream_is_detected(server: FakeServer, client: httpx.Client) -> None:
    server.enqueue(Reply.drip("x" * 400, delay_s=0.01))
    with client.stream("POST", server.base_url + CHAT, json=BODY) as response:
        lines = response.iter_lines()
        for _ in range(6):
            next(lines)
    # leaving the block closes the connection
    assert server.wait_until(lambda: server.disconnects == 1, timeout=3)
    request = server.requests[0]
    sent = request.chunks_sent
    time.sleep(0.2)
    assert request.chunks_sent == sent < 100  # the server stopped generating
    assert request.client_disconnected and not request.completed


def test_stop_is_prompt_with_stalled_connections() -> None:
    server = FakeServer(script=[Reply.stall(30), Reply.stall(30, after_headers=True)])
    server.start()
    sockets = []
    for _ in range(2):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"
        )
        sockets.append(sock)
    server.wait_for_requests(2)
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)  # sends nothing
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    for sock in [*sockets, idle]:
        sock.settimeout(2)
        while sock.recv(4096):  # the server closed it: EOF, not a hang
            pass
        sock.close()


def test_threads_and_subprocess_style_use(server: FakeServer) -> None:
    """Several clients at once, from other threads, each get their own reply."""
    server.enqueue(*(Reply.drip(str(i), delay_s=0.05) for i in range(4)))
    results: list[str] = []

    def worker() -> None:
        with httpx.Client(trust_env=False, timeout=5) as c:
            results.append(content(events(c.post(server.base_url + CHAT, json=BODY).content)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert sorted(results) == ["0", "1", "2", "3"]


async def test_async_client() -> None:
    with FakeServer(script=[Reply.text("async ok")]) as server:
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            response = await client.post(server.base_url + CHAT, json=BODY)
            assert content(events(response.content)) == "async ok"
            assert len(await server.await_requests(1)) == 1
