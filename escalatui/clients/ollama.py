"""Ollama through its OpenAI-compatible endpoint; warm/cold from `GET /api/ps`.

Ollama's OpenAI-compatible stream reports tokens but not `load_duration` (only its native
`/api/chat` does), so a cold start shows as cold plus the time to first token.
"""

from __future__ import annotations

from escalatui.clients.openai import OpenAIClient


def _tagged(name: str) -> str:
    """Ollama names without a tag mean `:latest` (`llama3` is `llama3:latest`)."""
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


class OllamaClient(OpenAIClient):
    """A model served by Ollama (default http://127.0.0.1:11434)."""

    provider = "ollama"
    local = True
    needs_base_url = False
    key_env = None
    key_home = "http://127.0.0.1:11434"
    warm_probe = "GET /api/ps"
    default_base_url = "http://127.0.0.1:11434"

    async def warm(self) -> bool | None:
        """True when `/api/ps` lists the model, False when it does not, None if it cannot say."""
        data = await self.probe_json("/api/ps")
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, list):
            return None
        names = {
            _tagged(str(entry.get(field)))
            for entry in models
            if isinstance(entry, dict)
            for field in ("name", "model")
            if entry.get(field)
        }
        if _tagged(self.model) in names:
            return True
        self.note(
            f"ollama: {self.model} is not loaded; this request loads it (the first token "
            "waits for the load, within timeout_s)"
        )
        return False
