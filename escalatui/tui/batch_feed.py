"""What carries a batch's events into the batch screen, and the queue of items waiting for a
person.

The batch's sink appends events to the open `BatchUpdate` message instead of posting one
message per event (an item streaming tokens sends hundreds a second); the screen takes them all
at once. Order is kept: one list, appended in the order the batch sent them.
"""

from __future__ import annotations

from textual.message import Message
from textual.message_pump import MessagePump

from escalatui.batch.events import BatchEvent
from escalatui.batch.inputs import Item
from escalatui.tui.live_run import PersonDecider


class BatchUpdate(Message):
    """Batch events gathered since the screen last took them."""

    bubble = False

    def __init__(self) -> None:
        super().__init__()
        self.events: list[BatchEvent] = []
        self.taken = False

    def take(self) -> list[BatchEvent]:
        """Every event gathered so far; later ones go to a new message."""
        self.taken = True
        events, self.events = self.events, []
        return events


class BatchFeed:
    """The batch's sink: `feed(event)` adds it to the pending BatchUpdate for `target`."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target
        self._pending: BatchUpdate | None = None

    def __call__(self, event: BatchEvent) -> None:
        pending = self._pending
        if pending is None or pending.taken:
            pending = self._pending = BatchUpdate()
            self.target.post_message(pending)
        pending.events.append(event)


class WaitingQueue:
    """One PersonDecider per running item; the items whose decider is asking, in the order
    they asked, so a person decides them one after another."""

    def __init__(self) -> None:
        self.deciders: dict[str, PersonDecider] = {}
        self._asked: dict[str, None] = {}
        """Item ids in the order they asked (an ordered set); stale ones are dropped lazily."""

    def decider_for(self, item: Item) -> PersonDecider:
        """The Batch's `decider_for`: the item's questions join the queue."""
        decider = PersonDecider(lambda _request: self._ask(item.id))
        self.deciders[item.id] = decider
        return decider

    def _ask(self, item_id: str) -> None:
        self._asked.pop(item_id, None)
        self._asked[item_id] = None

    def forget(self, item_id: str) -> None:
        """The item ended: nothing of it is kept."""
        self.deciders.pop(item_id, None)
        self._asked.pop(item_id, None)

    def waiting(self) -> list[str]:
        """Items waiting for a person, first asked first."""
        for item_id in [i for i in self._asked if not self.is_waiting(i)]:
            del self._asked[item_id]
        return list(self._asked)

    def is_waiting(self, item_id: str) -> bool:
        decider = self.deciders.get(item_id)
        return decider is not None and decider.waiting

    def next(self, besides: str | None = None) -> str | None:
        """The item that has waited longest (other than `besides`)."""
        return next((i for i in self.waiting() if i != besides), None)
