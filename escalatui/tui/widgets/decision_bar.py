"""Under the stream: what the checks found, the question a person must answer, or the outcome."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from escalatui.tui.display import Display, one_line, screen_text
from escalatui.tui.run_state import RunState

VERDICT_STYLE = {
    "accept": "bold $text-success",
    "retry": "bold $text-warning",
    "escalate": "bold $text-warning",
    "error": "bold $text-error",
    "rejected": "bold $text-error",
}
MAX_FEEDBACK_LINES = 6


CHECK_MARK = {"pass": ("✓ pass ", "$text-success"), "fail": ("✗ fail ", "$text-error")}
CHECK_MARK["error"] = ("! error", "$text-error")
DECISION_KEY_IDS = ("approve", "retry", "escalate", "feedback", "abort")
"""The bindings (by id) that answer a pending decision, in the order the bar lists them."""


class DecisionBar(Static):
    """Hidden while an answer streams; shows each check, the pending decision, or the run
    result. `lines` caps the checks and feedback shown (small terminals get fewer)."""

    DEFAULT_CSS = """
    DecisionBar { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines = MAX_FEEDBACK_LINES

    def show(self, state: RunState, display: Display) -> None:
        """Redraw from the run state."""
        keys = self._decision_keys() if state.awaiting is not None else []
        content = decision_content(state, display, self.lines, keys)
        self.set_class(content is None, "-empty")
        self.set_class(state.phase == "awaiting", "-awaiting")
        self.set_class(state.finished is not None, "-finished")
        self.update(content or "")

    def _decision_keys(self) -> list[tuple[str, str]]:
        """(key, what it does) for each decision this screen can take now, with the user's
        keymap: the footer cannot hold them all under 120 columns. none in a replay."""
        found: dict[str, tuple[str, str]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id in DECISION_KEY_IDS and active.enabled and binding.id not in found:
                found[binding.id] = (self.app.get_key_display(binding), binding.description)
        return [found[name] for name in DECISION_KEY_IDS if name in found]


def _feedback(text: str | None, limit: int) -> list[str | tuple[str, str]]:
    if not text:
        return []
    lines = screen_text(text).splitlines()
    if len(lines) > limit:
        lines = lines[: max(1, limit - 1)] + ["… (Enter on the attempt shows all)"]
    return ["\n", ("feedback: ", "$text-muted"), "\n".join(lines)]


def _key_line(keys: list[tuple[str, str]]) -> list[str | tuple[str, str]]:
    parts: list[str | tuple[str, str]] = []
    for key, what in keys:
        parts += ["  " if parts else "\n", (key, "bold $text-accent"), " ", what]
    return parts


def check_lines(state: RunState, limit: int) -> list[str | tuple[str, str]]:
    """Each check of the current attempt: pass / fail / error and what it said, one line
    each; "no checks" for a step without any."""
    done = state.checks
    if done is None:
        return []
    if not done.outcomes:
        return ["\n", ("no checks", "$text-muted")]
    parts: list[str | tuple[str, str]] = []
    shown = done.outcomes if len(done.outcomes) <= limit else done.outcomes[: max(1, limit - 1)]
    for outcome in shown:
        result = "error" if outcome.error else "pass" if outcome.passed else "fail"
        mark, style = CHECK_MARK[result]
        note = outcome.error or ("" if outcome.passed else outcome.feedback) or ""
        parts += ["\n", (mark, style), " ", (screen_text(outcome.kind), "bold")]
        if note:
            parts.append((": " + one_line(note, 100), "$text-muted"))
    if len(shown) < len(done.outcomes):
        parts += ["\n", (f"… {len(done.outcomes) - len(shown)} more checks", "$text-muted")]
    return parts


def decision_content(
    state: RunState,
    display: Display,
    lines: int = 6,
    keys: list[tuple[str, str]] | None = None,
) -> Content | None:
    """The bar's text, or None when it has nothing to say; under a pending decision's
    question, `keys`: (key, what it does) pairs."""
    if state.finished is not None:
        run = state.finished
        parts: list[str | tuple[str, str]] = [
            ("run " + run.status, VERDICT_STYLE["accept" if run.status == "accepted" else "error"]),
            f" · {run.attempts} attempt(s) · {display.seconds(run.duration_ms)} · "
            f"{display.cost(run.cost_usd, run.cost_unknown)}",
        ]
        if run.error:
            parts += ["\n", screen_text(run.error)]
        return Content.assemble(*parts, *check_lines(state, lines))
    if state.awaiting is not None:
        ask = state.awaiting
        why = "manual approval" if ask.reason == "manual" else "before escalating"
        parts = [
            ("Your decision ", "bold $text-warning"),
            (f"({why}) · " if lines >= MAX_FEEDBACK_LINES else "· ", "$text-muted"),
            ("checks propose ", "$text-muted"),
            (ask.proposed, VERDICT_STYLE.get(ask.proposed, "bold")),
        ]
        if not ask.complete:
            parts.append((" · the answer is incomplete", "$text-error"))
        if not ask.can_escalate:
            parts.append((" · no stronger model left", "$text-muted"))
        checks = check_lines(state, lines)
        # With every check on its own line, the feedback only repeats them.
        feedback = [] if checks and len(checks) > 2 else _feedback(ask.feedback, lines)
        # The keys right under the question: a long check note may be cut at the bar's
        # height, the keys that answer it never are.
        return Content.assemble(*parts, *_key_line(keys or []), *checks, *feedback)
    if state.phase == "checking":
        ended = state.ended
        if ended is not None and not ended.complete:
            return Content.assemble(("incomplete: ", "$text-error"), screen_text(ended.error or ""))
        return Content.assemble(("running checks…", "$text-muted"))
    return None
