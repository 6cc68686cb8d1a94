"""A yes/no question in a small dialog, its buttons always in view (it fits 60×15)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from escalatui.tui.display import plain


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True for the action button (or `y`), False for Cancel, Escape or `n`."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel", id="confirm-no"),
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
    ]

    def __init__(self, question: str, detail: str, action: str) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.action_label = action

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog") as dialog:
            dialog.border_title = plain(self.question)
            yield Static(plain(self.detail), id="confirm-text")
            with Horizontal(id="confirm-buttons"):
                yield Button(self.action_label, variant="error", id="confirm-yes")
                yield Button("Cancel", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # the safe choice under Enter

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
