"""One decided attempt in full: verdict, checks, feedback, error, answer and prompt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from escalatui.engine.events import AttemptDecided
from escalatui.formatting import provider_text, warm_word
from escalatui.tui.display import Display, plain, screen_text

SHOWN_CHARS = 200_000
"""Longer texts are cut here (a Static lays out all its text); the session log has all of it."""


def _cap(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    return (
        text[:SHOWN_CHARS] + f"\n… {len(text) - SHOWN_CHARS:,} more characters in the session log"
    )


def _no_checks(a: AttemptDecided) -> bool:
    return a.decided_by == "checks" and not a.checks


class AttemptScreen(ModalScreen[None]):
    """Read-only; Escape closes it."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="attempt-close"),
        Binding("c", "copy('answer')", "Copy answer", id="attempt-copy"),
        Binding("p", "copy('prompt')", "Copy prompt", id="attempt-copy-prompt"),
    ]

    def __init__(self, attempt: AttemptDecided, display: Display) -> None:
        super().__init__()
        self.attempt = attempt
        self.display_format = display

    def compose(self) -> ComposeResult:
        a, fmt = self.attempt, self.display_format
        with VerticalScroll(id="attempt-dialog") as scroll:
            scroll.border_title = plain(f"#{a.attempt} {a.step} · {a.model}")
            scroll.border_subtitle = Content("c copies the answer · p the prompt · esc closes")
            yield Static(self._summary(a, fmt), classes="attempt-summary")
            for title, body in self._sections(a):
                yield Static(Content.assemble((title, "bold $text-accent")), classes="attempt-head")
                yield Static(plain(body), classes="attempt-body")

    @staticmethod
    def _summary(a: AttemptDecided, fmt: Display) -> Content:
        return Content.assemble(
            ("verdict ", "$text-muted"),
            (a.verdict, "bold"),
            (" · no checks" if _no_checks(a) else f" by {a.decided_by}", "$text-muted"),
            "\n",
            screen_text(
                f"{provider_text(a.provider, a.simulated)} {a.provider_model} · "
                f"{warm_word(a.warm)} · "
                f"{fmt.seconds(a.duration_ms)} (first token {fmt.seconds(a.ttft_ms)}) · "
                f"{fmt.tokens(a.prompt_tokens, a.completion_tokens)} tokens · "
                f"{fmt.cost(a.cost_usd)}"
            ),
        )

    @staticmethod
    def _sections(a: AttemptDecided) -> list[tuple[str, str]]:
        sections = []
        if not a.complete:
            sections.append(("incomplete", a.error or "the answer did not finish"))
        if a.checks:
            lines = []
            for c in a.checks:
                mark = "error" if c.error else "pass" if c.passed else "fail"
                note = c.error or c.feedback or ""
                lines.append(f"{mark:5} {c.kind}" + (f": {note}" if note else ""))
            sections.append(("checks", "\n".join(lines)))
        if a.feedback:
            sections.append(("feedback", a.feedback))
        sections.append(("answer", _cap(a.output) or "(empty)"))
        if a.prompt:
            sections.append(("prompt", _cap(a.prompt)))
        return sections

    def action_copy(self, what: str) -> None:
        """Copy this attempt's answer or prompt (control characters shown, as on screen)."""
        text = self.attempt.output if what == "answer" else self.attempt.prompt
        if not text:
            self.notify(f"This attempt has no {what}.", timeout=3, markup=False)
            return
        self.app.copy_to_clipboard(screen_text(text))
        self.notify(f"Copied the {what} ({len(text):,} characters).", timeout=3, markup=False)

    def action_close(self) -> None:
        self.dismiss()
