"""The chain of the current step as a ladder: strongest tier on top, the run climbing up."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

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
MARKER = {"accepted": "✓", "failed": "✗", "escalated": "↑", "retrying": "↻", "waiting": " "}


class Ladder(Static):
    """Each rung: tier number, label, provider, warm/cold and what it is doing."""

    DEFAULT_CSS = """
    Ladder { height: auto; }
    """

    def show(self, state: RunState) -> None:
        """Redraw from the run state."""
        self.update(ladder_content(state))


def ladder_content(state: RunState) -> Content:
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
        parts.extend(_rung(rung, rung.tier.index == current and state.phase != "finished"))
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
