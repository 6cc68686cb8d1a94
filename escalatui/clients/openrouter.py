"""OpenRouter: one key for many models, `usage.cost` per answer, its own error shapes.

Errors before output are HTTP statuses with `{"error": {"code", "message", "metadata"}}`: 401 bad
key, 402 no credits, 403 moderation (metadata.reasons), 408, 429, 502 model down, 503 no
provider. Once output started they arrive inside the 200 stream as a chunk holding `error` and
`finish_reason: "error"` (chunks.py). Keep-alives are `: OPENROUTER PROCESSING` comments.
"""

from __future__ import annotations

from typing import Any

from escalatui.clients.base import ProviderError
from escalatui.clients.errors import ADVICE
from escalatui.clients.openai import OpenAIClient

ATTRIBUTION = {
    "HTTP-Referer": "https://github.com/escalatui/escalatui",
    "X-Title": "escalatui",
}
"""OpenRouter's app attribution headers (shown on its leaderboards and in the user's activity)."""


class OpenRouterClient(OpenAIClient):
    """OpenRouter's OpenAI-compatible API; a key is required."""

    provider = "openrouter"
    needs_base_url = False
    key_env = "OPENROUTER_API_KEY"
    key_home = "https://openrouter.ai"
    key_required = True
    default_base_url = "https://openrouter.ai/api/v1"
    advice = {
        **ADVICE,
        "quota": "out of credits: add credits at https://openrouter.ai/settings/credits, "
        "or choose a cheaper model",
        "forbidden": "OpenRouter refused the input (moderation or a guardrail): rephrase it "
        "or choose another model",
        "rate": "rate limited by OpenRouter",
        "timeout": "OpenRouter timed out",
        "server": "the model is down or no provider could serve it right now",
    }

    def __init__(self, **kw: Any) -> None:
        kw["headers"] = {**ATTRIBUTION, **(kw.get("headers") or {})}
        super().__init__(**kw)
        if not self._key:
            raise ProviderError(
                "openrouter: no API key; set OPENROUTER_API_KEY, or add "
                '`openrouter = "..."` under [keys] in the user config',
                kind="auth",
            )

    def _auth_advice(self, key_source: str) -> str:
        return (
            f"OpenRouter rejected the key (taken from {key_source}); check it at "
            "https://openrouter.ai/settings/keys"
        )
