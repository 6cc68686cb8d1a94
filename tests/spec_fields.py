"""The attempt record fields docs/reference.md ("Session log") promises, with the JSON types
each may take."""

from __future__ import annotations

ATTEMPT_FIELDS: dict[str, tuple[type, ...]] = {
    "step": (str,),
    "step_index": (int,),
    "attempt": (int,),
    "tier": (int,),
    "model": (str,),
    "provider": (str,),
    "provider_model": (str,),
    "warm": (bool, type(None)),
    "started_at": (str,),
    "duration_ms": (int,),
    "ttft_ms": (int, type(None)),
    "prompt_tokens": (int, type(None)),
    "completion_tokens": (int, type(None)),
    "cost_usd": (float, int, type(None)),
    "output": (str,),
    "complete": (bool,),
    "error": (str, type(None)),
    "verdict": (str,),
    "feedback": (str, type(None)),
    "decided_by": (str,),
}
