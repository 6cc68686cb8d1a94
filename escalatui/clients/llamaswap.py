"""llama-swap: one OpenAI-compatible address in front of many llama.cpp servers, started on
demand. Warm/cold from `GET /running` (`state == "ready"`). Never `/v1/models`: it lists every
configured model, loaded or not. A cold model is loaded while the request waits (up to the
proxy's `healthCheckTimeout`, 120 s by default), so the first token needs `timeout_s` to fit it.
"""

from __future__ import annotations

from escalatui.clients.openai import OpenAIClient


class LlamaSwapClient(OpenAIClient):
    """A model behind llama-swap."""

    provider = "llama-swap"
    local = True
    key_env = None
    key_home = None
    warm_probe = "GET /running"

    async def warm(self) -> bool | None:
        """True when the model is `ready`; False when starting, stopping or not running; None
        when `/running` cannot be read."""
        data = await self.probe_json("/running")
        running = data.get("running") if isinstance(data, dict) else None
        if not isinstance(running, list):
            return None
        states = [
            str(entry.get("state") or "")
            for entry in running
            if isinstance(entry, dict) and entry.get("model") == self.model
        ]
        if "ready" in states:
            return True
        if not states:
            self.note(f"llama-swap: {self.model} is not running; this request starts it (loading)")
            return False
        if "starting" in states:
            self.note(f"llama-swap: {self.model} is starting (loading)")
            return False
        if all(states):
            self.note(f"llama-swap: {self.model} is {states[0]}; it will be loaded again")
            return False
        return None  # listed without a state: cannot say
