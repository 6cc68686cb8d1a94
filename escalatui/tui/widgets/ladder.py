"""The chain of the current step as a ladder: strongest tier on top, the run climbing up."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from escalatui.tui.display import one_line, screen_text, warm_word
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
MARKER = {"accepted": "✓", "failed": "✗", "escalated": "↑", "retrying": "↻", "waiting": " "}


class Ladder(Static):
    """Each rung: tier number, label, provider, warm/cold and what it is doing. `fold` 1 draws
    a rung a line, 2 the whole ladder on one line (small terminals)."""

    DEFAULT_CSS = """
    Ladder { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fold = 0
        self._state: RunState | None = None

    def show(self, state: RunState) -> None:
        """Redraw from the run state."""
        self._state = state
        if self.fold == 2:
            self.update(ladder_line(state))
        else:
            self.update(ladder_content(state, compact=self.fold == 1))

    def set_fold(self, fold: int) -> None:
        if fold != self.fold:
            self.fold = fold
            if self._state is not None:
                self.show(self._state)


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


def ladder_content(state: RunState, compact: bool = False) -> Content:
    """The ladder as styled text (every name from a task file is shown inert)."""
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
        parts.extend(_short_rung(rung, here) if compact else _rung(rung, here))
    return Content.assemble(*parts, end="")


def _rung(rung: Rung, current: bool) -> list[str | tuple[str, str] | Content]:
    tier = rung.tier
    style = STATE_STYLE.get(rung.state, "")
    marker = "▶" if current else MARKER.get(rung.state, "·")
    where = [tier.model, tier.provider + (" (simulated)" if tier.simulated else "")]
    model_id = tier.provider_model
    if model_id not in ("(default)", tier.model):
        where.append(model_id.rsplit("/", 1)[-1] if model_id.startswith("/") else model_id)
    warm = warm_word(rung.warm) if rung.attempts else "-"
    tries = f" ×{rung.attempts}" if rung.attempts > 1 else ""
    return [
        (f"{marker} {tier.index + 1} ", style),
        (screen_text(tier.label), "bold" if current else ""),
        "\n",
        (f"    {screen_text(' · '.join(where))}\n    {warm} · ", "$text-muted"),
        (rung.state + tries, style),
        "\n",
    ]


def _short_rung(rung: Rung, current: bool) -> list[str | tuple[str, str] | Content]:
    """`▶ 1 small local model  streaming`: one line, the provider left to the full ladder."""
    style = STATE_STYLE.get(rung.state, "")
    marker = "▶" if current else MARKER.get(rung.state, "·")
    tries = f" ×{rung.attempts}" if rung.attempts > 1 else ""
    return [
        (f"{marker} {rung.tier.index + 1} ", style),
        (one_line(rung.tier.label, 12), "bold" if current else ""),
        " ",
        (rung.state + tries, style),
        "\n",
    ]
