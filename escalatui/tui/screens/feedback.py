"""Edit the feedback the next attempt will get, then retry on the same model or escalate."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

from escalatui.engine.decisions import Action
from escalatui.tui.display import plain, screen_text

FeedbackResult = tuple[Action, str] | None


class FeedbackScreen(ModalScreen[FeedbackResult]):
    """Dismisses with (action, feedback) or None when cancelled."""

    BINDINGS = [
        Binding("ctrl+r", "send('retry')", "Retry with this", id="feedback-retry", priority=True),
        Binding(
            "ctrl+g",
            "send('escalate')",
            "Escalate with this",
            id="feedback-escalate",
            priority=True,
        ),
        Binding("escape", "cancel", "Cancel", id="feedback-cancel"),
    ]

    def __init__(self, title: str, feedback: str, can_escalate: bool) -> None:
        super().__init__()
        self.heading = title
        self.initial = feedback
        self.can_escalate = can_escalate

    def compose(self) -> ComposeResult:
        with Vertical(id="feedback-dialog"):
            yield Label(plain(self.heading), id="feedback-title")
            # The checks' feedback can quote model output: a TextArea would draw an ESC as is.
            yield TextArea(
                screen_text(self.initial), id="feedback-text", soft_wrap=True, tab_behavior="focus"
            )
            with Horizontal(id="feedback-buttons"):
                yield Button(Content("Retry  ^r"), id="retry", variant="primary")
                yield Button(Content("Escalate  ^g"), id="escalate", disabled=not self.can_escalate)
                yield Button(Content("Cancel  esc"), id="cancel")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send" and parameters == ("escalate",) and not self.can_escalate:
            return None
        return True

    def action_send(self, action: Action) -> None:
        if action == "escalate" and not self.can_escalate:
            return
        self.dismiss((action, self.query_one(TextArea).text.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#retry")
    def retry_pressed(self) -> None:
        self.action_send("retry")

    @on(Button.Pressed, "#escalate")
    def escalate_pressed(self) -> None:
        self.action_send("escalate")

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.action_cancel()
