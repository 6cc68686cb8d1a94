"""Under the stream: what the checks found, the question a person must answer, or the outcome."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from escalatui.tui.display import Display, screen_text
from escalatui.tui.run_state import RunState

VERDICT_STYLE = {
    "accept": "bold $text-success",
    "retry": "bold $text-warning",
    "escalate": "bold $text-warning",
    "error": "bold $text-error",
    "rejected": "bold $text-error",
}
MAX_FEEDBACK_LINES = 6


class DecisionBar(Static):
    """Hidden while an answer streams; shows checks, the pending decision, or the run result."""

    DEFAULT_CSS = """
    DecisionBar { height: auto; max-height: 12; }
    """

    def show(self, state: RunState, display: Display) -> None:
        """Redraw from the run state."""
        content = decision_content(state, display)
        self.set_class(content is None, "-empty")
        self.set_class(state.phase == "awaiting", "-awaiting")
        self.set_class(state.finished is not None, "-finished")
        self.update(content or "")


def _feedback(text: str | None) -> list[str | tuple[str, str]]:
    if not text:
        return []
    lines = screen_text(text).splitlines()
    if len(lines) > MAX_FEEDBACK_LINES:
        lines = lines[:MAX_FEEDBACK_LINES] + ["… (Enter on the attempt in the history shows all)"]
    return ["\n", ("feedback: ", "$text-muted"), "\n".join(lines)]


def decision_content(state: RunState, display: Display) -> Content | None:
    """The bar's text, or None when it has nothing to say."""
    if state.finished is not None:
        run = state.finished
        parts: list[str | tuple[str, str]] = [
            ("run " + run.status, VERDICT_STYLE["accept" if run.status == "accepted" else "error"]),
            f" · {run.attempts} attempt(s) · {display.seconds(run.duration_ms)} · "
            f"{display.cost(run.cost_usd, run.cost_unknown)}",
        ]
        if run.error:
            parts += ["\n", screen_text(run.error)]
        return Content.assemble(*parts)
    if state.awaiting is not None:
        ask = state.awaiting
        why = "manual approval" if ask.reason == "manual" else "before escalating"
        parts = [
            ("Your decision ", "bold $text-warning"),
            (f"({why}) · checks propose ", "$text-muted"),
            (ask.proposed, VERDICT_STYLE.get(ask.proposed, "bold")),
        ]
        if not ask.complete:
            parts.append((" · the answer is incomplete", "$text-error"))
        if not ask.can_escalate:
            parts.append((" · no stronger model left", "$text-muted"))
        return Content.assemble(*parts, *_feedback(ask.feedback))
    if state.phase == "checking":
        ended = state.ended
        if ended is not None and not ended.complete:
            return Content.assemble(("incomplete: ", "$text-error"), screen_text(ended.error or ""))
        return Content.assemble(("running checks…", "$text-muted"))
    return None
