"""The local-server status endpoints (llama.cpp, Ollama, llama-swap, LM Studio, /v1/models)
and the warm/cold ``WarmState`` they report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .plan import Request
from .replies import Reply


@dataclass(frozen=True)
class WarmState:
    """What the local-server status endpoints report (change it with ``set_state``)."""

    models: tuple[str, ...] = ("fake-model",)
    """Every configured/downloaded model (/v1/models, LM Studio's list, llama-swap config)."""
    loaded: tuple[str, ...] = ()
    """Models in memory: Ollama /api/ps, llama-swap ``ready``, LM Studio ``loaded_instances``."""
    running_states: dict[str, str] = field(default_factory=dict)
    """Extra llama-swap /running entries, e.g. ``{"big": "starting"}`` (wins over ``loaded``)."""
    sleeping: bool = False
    """llama.cpp /props ``is_sleeping``."""
    loading: bool = False
    """llama.cpp /health answers 503 "Loading model"."""
    model_path: str = "/models/fake-model.gguf"

    def all_models(self) -> list[str]:
        names = [*self.models, *self.loaded, *self.running_states]
        return list(dict.fromkeys(names))


def status_reply(req: Request, state: WarmState) -> Reply:
    """The answer to a non-chat request: a status endpoint from ``state``, else a 404."""

    def ok(obj: Any) -> Reply:
        return replace(Reply.error(200, obj), label=f"status {req.path}")

    if req.method == "GET":
        match req.path:
            case "/props":
                props = {"is_sleeping": state.sleeping, "model_path": state.model_path}
                return ok(
                    props | {"total_slots": 1, "default_generation_settings": {"n_ctx": 8192}}
                )
            case "/health":
                return Reply.loading_model() if state.loading else ok({"status": "ok"})
            case "/api/ps":
                return ok({"models": [_ollama_entry(name) for name in state.loaded]})
            case "/running":
                states = {name: "ready" for name in state.loaded} | state.running_states
                return ok({"running": [{"model": m, "state": s} for m, s in states.items()]})
            case "/v1/models" | "/models":
                data = [
                    {"id": m, "object": "model", "owned_by": "fake"} for m in state.all_models()
                ]
                return ok({"object": "list", "data": data})
            case "/api/v1/models":
                entries = [_lmstudio_entry(m, m in state.loaded) for m in state.all_models()]
                return ok({"models": entries})
    message = f"no route for {req.method} {req.path}"
    return Reply.error(404, {"error": {"message": message, "type": "not_found_error"}})


def _ollama_entry(name: str) -> dict[str, Any]:
    size = 4_000_000_000
    details = {"format": "gguf", "family": "llama", "parameter_size": "7B"}
    entry: dict[str, Any] = {
        "name": name,
        "model": name,
        "size": size,
        "digest": "0" * 64,
        "details": details,
    }
    return entry | {"expires_at": "2099-01-01T00:00:00Z", "size_vram": size}


def _lmstudio_entry(key: str, loaded: bool) -> dict[str, Any]:
    instances = [{"id": key, "config": {"context_length": 8192}}] if loaded else []
    entry: dict[str, Any] = {"type": "llm", "publisher": "fake", "key": key, "display_name": key}
    entry |= {"architecture": "llama", "size_bytes": 4_000_000_000, "params_string": "7B"}
    return entry | {"max_context_length": 32768, "format": "gguf", "loaded_instances": instances}
