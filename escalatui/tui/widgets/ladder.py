"""The chain of the current step as a ladder: strongest tier on top, the run climbing up."""

from __future__ import annotations

import re
import time

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from escalatui.engine.events import Tier
from escalatui.tui.display import screen_text, warm_word
from escalatui.tui.run_state import Rung, RunState

STATE_STYLE = {
    "waiting": "$text-muted",
    "starting": "$text-accent",
    "cold-loading": "$text-warning",
    "streaming": "bold $text-accent",
    "checking": "$text-secondary",
    "awaiting": "bold $text-warning",
    "retrying": "$text-warning",
    "accepted": "bold $text-success",
    "escalated": "$text-warning",
    "failed": "bold $text-error",
}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
MARKER = {"accepted": "✓", "failed": "✗", "escalated": "↑", "retrying": "↻", "waiting": " "}


class Ladder(Static):
    """Each rung: tier number, label, provider, warm/cold and what it is doing."""

    DEFAULT_CSS = """
    Ladder { height: auto; }
    """

    def __init__(self, *, frozen: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.frozen = frozen
        self._state: RunState | None = None
        self._loading: tuple[tuple[int, int], float] | None = None  # attempt, since when
        self._ticker: Timer | None = None
        self._frame = 0

    def show(self, state: RunState) -> None:
        """Redraw from the run state; while a model loads, a spinner and a clock tick."""
        self._state = state
        key = state.current_key
        if key is not None and _cold_loading(state):
            if self._loading is None or self._loading[0] != key:
                self._loading = (key, time.monotonic())
            if self._ticker is None and not self.frozen:
                self._ticker = self.set_interval(0.1, self._tick, name="loading-clock")
        else:
            self._loading = None
            if self._ticker is not None:
                self._ticker.stop()
                self._ticker = None
        self._draw()

    def _tick(self) -> None:
        self._frame += 1
        self._draw()

    def _draw(self) -> None:
        if self._state is None:
            return
        loading = None
        if self._loading is not None:
            seconds = 0.1 if self.frozen else time.monotonic() - self._loading[1]
            spinner = SPINNER[self._frame % len(SPINNER)]
            loading = (spinner, seconds)
        self.update(ladder_content(self._state, loading))


def _cold_loading(state: RunState) -> bool:
    current = state.attempt.tier.index if state.attempt else None
    return any(r.tier.index == current and r.state == "cold-loading" for r in state.rungs)


def loading_name(tier: Tier) -> str:
    """The model being loaded, short: a GGUF file's name, a model id, or the label."""
    model_id = tier.provider_model
    if model_id.endswith(".gguf"):
        return model_id.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
    if model_id not in ("(default)", tier.model, ""):
        return model_id
    return re.sub(r"\s*\([^)]*\)$", "", tier.label) or tier.model


def ladder_content(state: RunState, loading: tuple[str, float] | None = None) -> Content:
    """The ladder as styled text (every name from a task file is shown inert). `loading` is
    the spinner frame and seconds so far of a cold load of the current tier."""
    step = state.step
    if step is None:
        return Content.assemble(("starting…", "$text-muted"))
    total = len(state.started.steps) if state.started else step.step_index + 1
    parts: list[str | tuple[str, str] | Content] = [
        (f"step {step.step_index + 1}/{total} ", "$text-muted"),
        (screen_text(step.step), "bold"),
        "\n",
    ]
    current = state.attempt.tier.index if state.attempt else None
    for rung in reversed(state.rungs):
        now = rung.tier.index == current and state.phase != "finished"
        parts.extend(_rung(rung, now, loading if now else None))
    return Content.assemble(*parts, end="")


def _rung(
    rung: Rung, current: bool, loading: tuple[str, float] | None = None
) -> list[str | tuple[str, str] | Content]:
    tier = rung.tier
    style = STATE_STYLE.get(rung.state, "")
    marker = "▶" if current else MARKER.get(rung.state, "·")
    where = [tier.model, tier.provider + (" (simulated)" if tier.simulated else "")]
    model_id = tier.provider_model
    if model_id not in ("(default)", tier.model):
        where.append(model_id.rsplit("/", 1)[-1] if model_id.startswith("/") else model_id)
    warm = warm_word(rung.warm) if rung.attempts else "-"
    tries = f" ×{rung.attempts}" if rung.attempts > 1 else ""
    doing = rung.state + tries
    if loading is not None and rung.state == "cold-loading":
        spinner, seconds = loading
        doing = f"{spinner} loading {screen_text(loading_name(tier))} · {seconds:.1f} s"
    return [
        (f"{marker} {tier.index + 1} ", style),
        (screen_text(tier.label), "bold" if current else ""),
        "\n",
        (f"    {screen_text(' · '.join(where))}\n    {warm} · ", "$text-muted"),
        (doing, style),
        "\n",
    ]
