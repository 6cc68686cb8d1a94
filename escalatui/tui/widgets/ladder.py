"""The chain of the current step as a ladder: strongest tier on top, the run climbing up."""

from __future__ import annotations

import re
import time

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from escalatui.engine.events import Tier
from escalatui.formatting import provider_text, warm_word
from escalatui.tui.display import one_line, screen_text
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
    """Each rung: tier number, label, provider, warm/cold and what it is doing. `fold` 1 draws
    a rung a line, 2 the whole ladder on one line (small terminals)."""

    DEFAULT_CSS = """
    Ladder { height: auto; }
    """

    def __init__(self, *, frozen: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.frozen = frozen
        self.fold = 0
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

    def set_fold(self, fold: int) -> None:
        if fold != self.fold:
            self.fold = fold
            self._draw()

    def _tick(self) -> None:
        self._frame += 1
        self._draw()

    def _draw(self) -> None:
        if self._state is None:
            return
        if self.fold == 2:
            self.update(ladder_line(self._state))
            return
        loading = None
        if self._loading is not None:
            seconds = 0.1 if self.frozen else time.monotonic() - self._loading[1]
            spinner = SPINNER[self._frame % len(SPINNER)]
            loading = (spinner, seconds)
        self.update(ladder_content(self._state, loading, compact=self.fold == 1))


def ladder_line(state: RunState) -> Content:
    """The step and every rung on one line, cheapest first: `step 1/2 answer │ ▶1 small …`."""
    step = state.step
    if step is None:
        return Content.assemble(("starting…", "$text-muted"))
    total = len(state.started.steps) if state.started else step.step_index + 1
    parts: list[str | tuple[str, str] | Content] = [
        (f"{step.step_index + 1}/{total} ", "$text-muted"),
        (screen_text(step.step)[:16], "bold"),
    ]
    current = state.attempt.tier.index if state.attempt else None
    for rung in state.rungs:
        here = rung.tier.index == current and state.phase != "finished"
        marker = "▶" if here else MARKER.get(rung.state, "·")
        style = STATE_STYLE.get(rung.state, "")
        parts += [(" │ ", "$text-muted"), (f"{marker}{rung.tier.index + 1} ", style)]
        parts.append((one_line(rung.tier.label, 14), "bold" if here else ""))
        if here:
            parts.append((f" {rung.state}", style))
    return Content.assemble(*parts, end="")


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


def ladder_content(
    state: RunState, loading: tuple[str, float] | None = None, compact: bool = False
) -> Content:
    """The ladder as styled text (every name from a task file is shown inert). `loading` is
    the spinner frame and seconds so far of a cold load of the current tier; `compact` draws
    a rung a line."""
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
        here = rung.tier.index == current and state.phase != "finished"
        if compact:
            parts.extend(_short_rung(rung, here))
        else:
            parts.extend(_rung(rung, here, loading if here else None))
    return Content.assemble(*parts, end="")


def _rung(
    rung: Rung, current: bool, loading: tuple[str, float] | None = None
) -> list[str | tuple[str, str] | Content]:
    tier = rung.tier
    style = STATE_STYLE.get(rung.state, "")
    marker = "▶" if current else MARKER.get(rung.state, "·")
    where = [tier.model, provider_text(tier.provider, tier.simulated)]
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


def _short_rung(rung: Rung, current: bool) -> list[str | tuple[str, str] | Content]:
    """`▶ 1 small local model  streaming`: one line, the provider left to the full ladder."""
    style = STATE_STYLE.get(rung.state, "")
    marker = "▶" if current else MARKER.get(rung.state, "·")
    tries = f" ×{rung.attempts}" if rung.attempts > 1 else ""
    return [
        (f"{marker} {rung.tier.index + 1} ", style),
        # the label gives way to the tries, so a rung stays on its one line
        (one_line(rung.tier.label, 12 - len(tries)), "bold" if current else ""),
        " ",
        (rung.state + tries, style),
        "\n",
    ]
