"""Turn an HTTP error response of any shape into a ProviderError with a plain message."""

from __future__ import annotations

import json
import re

from escalatui.clients.base import ErrorKind, ProviderError

MAX_SHOWN = 300
_CONTEXT = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|exceeds? the (available )?context|"
    r"too many tokens|prompt is too long|context_length_exceeded|exceed_context_size",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]+>")
_ADVICE = {
    "auth": "check the API key (its environment variable or the user config)",
    "quota": "add credits to the account, or use a cheaper model",
    "forbidden": "the provider refused this request (moderation or permissions)",
    "context": "the prompt is too long for this model; escalating to the next tier",
    "rate": "rate limited; retry later",
}


def error_text(body: str, content_type: str = "") -> tuple[str, str | None]:
    """The human message inside an error body, and its code/type when one is given."""
    text = body.strip()
    try:
        data = json.loads(text) if text[:1] in "{[" else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, str):
            return err, None
        if isinstance(err, dict):
            msg = err.get("message") or err.get("msg") or json.dumps(err)[:MAX_SHOWN]
            meta = err.get("metadata")
            if isinstance(meta, dict) and isinstance(meta.get("raw"), str):
                msg = f"{msg} ({meta['raw'][:MAX_SHOWN]})"
            code = err.get("code") or err.get("type")
            return str(msg), None if code is None else str(code)
    if "html" in content_type or text.lower().startswith(("<!doctype", "<html")):
        title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = title.group(1) if title else _TAGS.sub(" ", text)
    return " ".join(text.split()), None


def classify(status: int, body: str, content_type: str = "", where: str = "") -> ProviderError:
    """A ProviderError for an HTTP status and body; long bodies are cut in the message only."""
    message, code = error_text(body, content_type)
    kind: ErrorKind
    retryable = False
    if _CONTEXT.search(message) or _CONTEXT.search(code or ""):
        kind = "context"
    elif status == 401:
        kind = "auth"
    elif status == 402:
        kind = "quota"
    elif status == 403:
        kind = "forbidden"
    elif status == 429:
        kind, retryable = "rate", True
    elif status in (408, 409):
        kind, retryable = "timeout" if status == 408 else "server", True
    elif status >= 500:
        kind, retryable = "server", True
    elif status >= 400:
        kind = "bad_request"
    else:
        kind = "other"
    shown = message if len(message) <= MAX_SHOWN else message[:MAX_SHOWN] + "…"
    text = f"{where}HTTP {status}: {shown or '(empty body)'}"
    if kind in _ADVICE:
        text += f" — {_ADVICE[kind]}"
    return ProviderError(text, kind=kind, status=status, retryable=retryable, body=body)
