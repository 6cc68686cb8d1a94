"""Turn an error response of any shape into a ProviderError with a plain message.

Shapes seen in the wild: OpenAI / OpenRouter / llama.cpp `{"error": {"message", "code", "type",
"metadata"}}`, `{"error": "text"}`, vLLM `{"object": "error", "message"}`, FastAPI
`{"detail": ...}`, a JSON list of those, text/plain, a proxy's HTML page, an empty body, and a
200 whose JSON holds `error`. The message shown is cut to MAX_SHOWN characters; the whole body
stays on the error (`body`) for the log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from escalatui.clients.base import ErrorKind, ProviderError

MAX_SHOWN = 300
_CONTEXT = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|exceeds? the (available )?context|"
    r"too many tokens|prompt is too long|context_length_exceeded|exceed_context_size|"
    r"input is too long|reduce the length of the (messages|prompt)",
    re.IGNORECASE,
)
_LOADING = re.compile(r"loading model|model is loading|is currently loading", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
ADVICE: dict[str, str] = {
    "auth": "check the API key",
    "quota": "add credits to the account, or use a cheaper model",
    "forbidden": "the provider refused this request (permissions or moderation)",
    "context": "the prompt is too long for this model; a larger model is needed",
    "rate": "rate limited",
    "timeout": "the server timed out",
    "server": "the server failed",
}


def _shorten(text: str, limit: int = MAX_SHOWN) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _loads(text: str) -> Any:
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None


def _metadata_text(meta: Any) -> str:
    """OpenRouter's `metadata`: moderation reasons, the upstream provider and its raw error."""
    if not isinstance(meta, dict):
        return ""
    parts = []
    reasons = meta.get("reasons")
    if isinstance(reasons, list) and reasons:
        parts.append("flagged: " + ", ".join(str(r) for r in reasons[:5]))
    if isinstance(meta.get("provider_name"), str):
        parts.append(f"provider {meta['provider_name']}")
    raw = meta.get("raw")
    if raw is not None:
        raw_text = raw if isinstance(raw, str) else json.dumps(raw)
        parts.append(_shorten(raw_text, 200))
    return "; ".join(parts)


def error_object(data: Any) -> tuple[str, str | None, int | None] | None:
    """(message, code/type, numeric code) from a parsed JSON error body, or None if none."""
    if isinstance(data, list):
        found = (error_object(item) for item in data[:5])
        return next((f for f in found if f is not None), None)
    if not isinstance(data, dict):
        return None
    err: Any = data.get("error")
    if err is None and data.get("object") == "error":
        err = data  # vLLM
    if err is None and "detail" in data:
        detail = data["detail"]
        return (detail if isinstance(detail, str) else json.dumps(detail)), None, None
    if isinstance(err, str):
        return err, None, None
    if not isinstance(err, dict):
        return None
    message = err.get("message") or err.get("msg") or json.dumps(err)
    if not isinstance(message, str):
        message = json.dumps(message)
    extra = _metadata_text(err.get("metadata"))
    if extra:
        message = f"{message} ({extra})"
    code = err.get("code")
    label = err.get("type") or (code if isinstance(code, str) else None)
    number = code if isinstance(code, int) and not isinstance(code, bool) else None
    return message, None if label is None else str(label), number


def error_text(body: str, content_type: str = "") -> tuple[str, str | None, int | None]:
    """The human message inside an error body, its code/type label and any numeric code."""
    text = body.strip()
    found = error_object(_loads(text))
    if found is not None:
        return found
    if "html" in content_type or text[:15].lower().startswith(("<!doctype", "<html")):
        title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = title.group(1) if title else _TAGS.sub(" ", text)
    return _SPACE.sub(" ", text).strip(), None, None


def kind_for(status: int, message: str, label: str | None) -> tuple[ErrorKind, bool]:
    """The error kind and whether the request may be retried, from the status and text."""
    if _CONTEXT.search(message) or _CONTEXT.search(label or "") or status == 413:
        return "context", False
    if status == 401:
        return "auth", False
    if status == 402:
        return "quota", False
    if status == 403:
        return "forbidden", False
    if status == 429:
        return "rate", True
    if status == 408:
        return "timeout", True
    if status == 409 or status >= 500:
        return "server", True
    if status >= 400:
        return "bad_request", False
    return "other", False


def classify(
    status: int,
    body: str,
    content_type: str = "",
    where: str = "",
    advice: Mapping[str, str] | None = None,
) -> ProviderError:
    """A ProviderError for an HTTP status and body (a 200 holding an error uses its code)."""
    message, label, number = error_text(body, content_type)
    effective = number if status < 300 and number and 400 <= number < 600 else status
    kind, retryable = kind_for(effective, message, label)
    if status < 300:
        retryable = False  # an answer arrived: retrying is the engine's call, not the client's
    shown = _shorten(message) or "(empty body)"
    if label and label not in shown:
        shown += f" [{label}]"
    text = f"{where}HTTP {status}: {shown}"
    tip = (advice or ADVICE).get(kind) or ADVICE.get(kind)
    if tip:
        text += f" — {tip}"
    return ProviderError(text, kind=kind, status=status, retryable=retryable, body=body)


def is_loading(err: ProviderError) -> bool:
    """llama.cpp (and friends) answering 503 while the model loads: worth waiting for."""
    return err.status == 503 and bool(_LOADING.search(err.message))
