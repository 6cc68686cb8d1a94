"""Chat-completion payloads (stream chunks or one whole JSON answer) turned into Chunks.

Tolerates what servers send: `choices: []` usage chunks, `content: null`, a missing `delta`,
content given as a list of parts, reasoning deltas (progress, not answer text), `usage.cost`
(OpenRouter; one that is not a finite number >= 0 is unknown, with a notice), tool calls (their
function names are collected: reader.py decides what a tool call means). Raises ProviderError
for errors inside the stream: a top-level `error` (OpenAI, OpenRouter, llama.cpp), vLLM's
`{"object": "error"}`, or `finish_reason: "error"`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from escalatui.clients.base import Chunk, ProviderError, Usage
from escalatui.clients.errors import error_object, kind_for

REASONING_KEYS = ("reasoning", "reasoning_content", "thinking")


@dataclass
class Parsed:
    """What one payload held: chunks to pass on and how much progress (text or reasoning)."""

    chunks: list[Chunk]
    progress: int = 0
    tools: list[str] = field(default_factory=list)
    """Function names of tool calls ("" while a streamed call has not named itself)."""
    notes: list[str] = field(default_factory=list)
    """Things worth telling a person (a cost that is not a cost)."""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts: [{"type": "text", "text": "..."}]
        return "".join(p.get("text", "") for p in value if isinstance(p, dict))
    return ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def cost_of(value: Any) -> tuple[float | None, str | None]:
    """(cost in USD, a notice): a cost that is not a finite number >= 0 (NaN, Infinity, -1,
    "0.1", true) is unknown, never a number that would poison totals."""
    if value is None:
        return None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if math.isfinite(value) and value >= 0:
            return float(value), None
    shown = json.dumps(value, default=str)[:40]  # NaN and Infinity as the server wrote them
    return None, f"the server reported usage.cost {shown}, which is not a cost; it is unknown"


def _usage(raw: Any, notes: list[str]) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    cost_usd, note = cost_of(raw.get("cost"))
    if note:
        notes.append(note)
    return Usage(_int(raw.get("prompt_tokens")), _int(raw.get("completion_tokens")), cost_usd)


def _tool_names(delta: dict[str, Any]) -> list[str]:
    """Function names of the tool calls in a delta or message (streamed calls name the
    function in their first delta only; later deltas carry arguments)."""
    names = []
    calls = delta.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        names.append(name if isinstance(name, str) else "")
    legacy = delta.get("function_call")  # the older single-function shape
    if isinstance(legacy, dict):
        name = legacy.get("name")
        names.append(name if isinstance(name, str) else "")
    return names


def stream_error(obj: Any, where: str, chars: int, advice: Mapping[str, str]) -> ProviderError:
    """The error a stream reported after `chars` characters of output."""
    found = error_object(obj)
    message, label, number = found if found else ("(no message)", None, None)
    kind, _ = kind_for(number or 500, message, label)
    code = number if number is not None else label
    text = f"{where}error mid-stream after {chars} characters: {message[:300]}"
    if code is not None and str(code) not in text:
        text += f" (code {code})"
    tip = advice.get(kind) if kind in ("context", "quota", "forbidden", "auth") else None
    if tip:
        text += f" — {tip}"
    return ProviderError(
        text,
        kind=kind if kind in ("context", "quota", "forbidden", "auth") else "stream",
        status=number,
        body=json.dumps(obj)[:1_000_000],
    )


def parse_payload(obj: Any, where: str, chars: int, advice: Mapping[str, str]) -> Parsed:
    """Chunks from one decoded JSON payload; raises ProviderError when it carries an error."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if obj.get("error") or obj.get("object") == "error":
        raise stream_error(obj, where, chars, advice)
    out = Parsed([])
    choices = obj.get("choices")
    if choices is not None and not isinstance(choices, list):
        raise ValueError("choices is not a list")
    for choice in choices or []:
        if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
            continue  # only the first choice is the answer (n=1)
        delta: dict[str, Any] = {}
        for key in ("delta", "message"):
            if isinstance(choice.get(key), dict):
                delta = choice[key]
                break
        reason = choice.get("finish_reason")
        if reason == "error":
            raise stream_error(
                {"error": {"message": "the stream ended with finish_reason 'error'"}},
                where,
                chars,
                advice,
            )
        text = _text(delta.get("content"))
        out.tools += _tool_names(delta)
        out.progress += len(text) + sum(len(_text(delta.get(key))) for key in REASONING_KEYS)
        if text or reason:
            out.chunks.append(Chunk(text=text, finish_reason=reason or None))
    usage = _usage(obj.get("usage"), out.notes)
    if usage is not None:
        out.chunks.append(Chunk(usage=usage))
    return out
