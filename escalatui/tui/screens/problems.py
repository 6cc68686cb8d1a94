"""Why a task file cannot be run: every problem the loader found, in the app, not a crash."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from escalatui.tui.display import plain


class ProblemsScreen(ModalScreen[None]):
    """A list of problems; Escape or Enter closes it."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="problems-close")]

    def __init__(self, title: str, problems: list[str]) -> None:
        super().__init__()
        self.heading = title
        self.problems = problems

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="problems-dialog") as scroll:
            scroll.border_title = plain(self.heading)
            scroll.border_subtitle = Content("esc closes")
            yield Static(plain("\n".join(self.problems)), id="problems-text")

    def action_close(self) -> None:
        self.dismiss()
