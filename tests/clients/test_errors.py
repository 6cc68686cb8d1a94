"""Error bodies of every shape are classified with a plain message, never a crash."""

from __future__ import annotations

import json

import pytest
from fakeserver import CONTEXT_ERRORS

from escalatui.clients.errors import MAX_SHOWN, classify, is_loading


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, "bad_request", False),
        (401, "auth", False),
        (402, "quota", False),
        (403, "forbidden", False),
        (404, "bad_request", False),
        (408, "timeout", True),
        (409, "server", True),
        (429, "rate", True),
        (500, "server", True),
        (502, "server", True),
        (503, "server", True),
    ],
)
def test_openrouter_shape_by_status(status: int, kind: str, retryable: bool) -> None:
    body = json.dumps({"error": {"code": status, "message": f"message {status}", "metadata": {}}})
    err = classify(status, body, "application/json", "openrouter at x: ")
    assert (err.kind, err.retryable, err.status) == (kind, retryable, status)
    assert err.message.startswith(f"openrouter at x: HTTP {status}: message {status}")


@pytest.mark.parametrize("style", sorted(CONTEXT_ERRORS))
def test_context_window_errors_in_each_shape(style: str) -> None:
    err = classify(400, json.dumps(CONTEXT_ERRORS[style]), "application/json")
    assert err.kind == "context" and not err.retryable


@pytest.mark.parametrize(
    ("body", "ctype", "shown"),
    [
        ('{"error": "model not found"}', "application/json", "model not found"),
        ("upstream exploded", "text/plain", "upstream exploded"),
        (
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            "text/html",
            "502 Bad Gateway",
        ),
        ('{"object": "error", "message": "vllm says no", "code": 400}', "", "vllm says no"),
        ('{"detail": "fastapi says no"}', "application/json", "fastapi says no"),
        ('[{"error": {"message": "in a list", "code": 400}}]', "", "in a list"),
        ("", "", "(empty body)"),
        ('{"error": {"code": 400}}', "", '{"code": 400}'),
        ('{"error": {"message": "x", "code": "weird"}}', "", "x [weird]"),
        ("[" * 100_000 + "]" * 100_000, "application/json", "[[["),
        ('{"truncated": ', "application/json", '{"truncated":'),
    ],
)
def test_any_body_shape(body: str, ctype: str, shown: str) -> None:
    err = classify(400, body, ctype)
    assert shown in err.message
    assert err.body == body  # the whole body is kept for the log


def test_moderation_reasons_and_provider_raw_are_shown() -> None:
    meta = {"reasons": ["violence"], "flagged_input": "...", "provider_name": "Acme"}
    body = json.dumps({"error": {"code": 403, "message": "flagged", "metadata": meta}})
    assert "flagged: violence" in classify(403, body).message
    error = {"code": 502, "message": "Provider returned error", "metadata": {"raw": "oops"}}
    raw = {"error": error}
    assert "oops" in classify(502, json.dumps(raw)).message


def test_long_bodies_are_cut_on_screen_but_kept() -> None:
    body = "x" * 50_000
    err = classify(500, body, "text/plain")
    assert len(err.message) < MAX_SHOWN + 100
    assert err.body == body


def test_a_200_holding_an_error_uses_its_code_and_is_not_retried() -> None:
    body = json.dumps({"error": {"code": 429, "message": "slow down"}})
    err = classify(200, body, "application/json")
    assert err.kind == "rate" and not err.retryable


def test_loading_model_is_recognised() -> None:
    body = json.dumps({"error": {"code": 503, "message": "Loading model"}})
    assert is_loading(classify(503, body))
    assert not is_loading(classify(502, body))
