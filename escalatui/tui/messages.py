"""App-wide messages: engine events on their way to the widgets that show them."""

from __future__ import annotations

from textual.message import Message

from escalatui.engine.events import Event


class EngineEvent(Message):
    """One engine event (never a Delta: stream text travels in a `StreamBatch`)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class StreamBatch(Message):
    """Stream text of one attempt, still growing until the handler takes it.

    The feed keeps appending deltas to the batch it last posted until that batch is taken or
    another event comes, so a fast stream costs one message per frame, not one per token.
    """

    bubble = False

    def __init__(self, key: tuple[int, int]) -> None:
        super().__init__()
        self.key = key
        """(step_index, attempt) the text belongs to."""
        self.parts: list[str] = []
        self.taken = False

    def take(self) -> str:
        """All text gathered so far; later deltas go to a new batch."""
        self.taken = True
        text = "".join(self.parts)
        self.parts.clear()
        return text
