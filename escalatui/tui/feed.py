"""The sink that carries engine events into the UI: a live run and a replay both use it.

Structural events travel as `EngineEvent` messages. Stream deltas are appended to the open
`StreamBatch` message instead (one is posted when the first delta arrives), so a megabyte of
1-character deltas costs a list append each, not a message and a repaint each. Order is kept:
any other event closes the open batch before it is posted.
"""

from __future__ import annotations

from textual.message_pump import MessagePump

from escalatui.engine.events import Delta, Event
from escalatui.tui.messages import EngineEvent, StreamBatch


class EventFeed:
    """Callable sink: `feed(event)` posts to `target`, which handles the messages."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target
        self._batch: StreamBatch | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, Delta):
            key = (event.step_index, event.attempt)
            batch = self._batch
            if batch is None or batch.taken or batch.key != key:
                batch = self._batch = StreamBatch(key)
                self.target.post_message(batch)
            batch.parts.append(event.text)
            return
        self._batch = None
        self.target.post_message(EngineEvent(event))
