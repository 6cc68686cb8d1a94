"""LM Studio through its OpenAI-compatible endpoint; warm/cold from its REST API:
`GET /api/v1/models` (LM Studio 0.4+: `models[].key`, `loaded_instances[].id`), falling back to
`GET /api/v0/models` (`data[].id`, `state: "loaded" | "not-loaded"`) when v1 is missing."""

from __future__ import annotations

from typing import Any

from escalatui.clients.openai import OpenAIClient


def _entries(data: Any, key: str) -> list[dict[str, Any]] | None:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return [item for item in items if isinstance(item, dict)]


class LMStudioClient(OpenAIClient):
    """A model served by LM Studio (default http://127.0.0.1:1234)."""

    provider = "lmstudio"
    local = True
    needs_base_url = False
    key_env = None
    key_home = "http://127.0.0.1:1234"
    warm_probe = "GET /api/v1/models, else /api/v0/models"
    default_base_url = "http://127.0.0.1:1234"

    async def warm(self) -> bool | None:
        """True when an instance of the model is loaded, False when it is downloaded but not
        loaded, None when LM Studio cannot say or does not list it."""
        status, data = await self.probe("/api/v1/models")
        models = _entries(data, "models")
        if models is not None:
            return self._from_v1(models)
        if status == 404:
            legacy = _entries(await self.probe_json("/api/v0/models"), "data")
            if legacy is not None:
                return self._from_v0(legacy)
        return None

    def _from_v1(self, models: list[dict[str, Any]]) -> bool | None:
        for entry in models:
            instances = entry.get("loaded_instances")
            if not isinstance(instances, list):
                continue
            ids = {i.get("id") for i in instances if isinstance(i, dict)}
            if self.model in ids:
                return True
            if entry.get("key") == self.model:
                if instances:
                    return True
                self.note(f"lmstudio: {self.model} is not loaded; this request loads it")
                return False
        self._unlisted()
        return None

    def _from_v0(self, models: list[dict[str, Any]]) -> bool | None:
        for entry in models:
            if entry.get("id") == self.model and entry.get("state") in ("loaded", "not-loaded"):
                loaded = entry["state"] == "loaded"
                if not loaded:
                    self.note(f"lmstudio: {self.model} is not loaded; this request loads it")
                return loaded
        self._unlisted()
        return None

    def _unlisted(self) -> None:
        self.note(f"lmstudio: {self.model} is not among LM Studio's models; check the model key")
