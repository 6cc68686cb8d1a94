"""The batch's items, one row each: rows are added once, then only the cells that changed are
updated, at most a few times a second, so a table of 10,000 items stays fast."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from escalatui.batch.inputs import Item
from escalatui.formatting import usd
from escalatui.tui.display import Display, one_line

STATUS_STYLE = {
    "queued": "dim",
    "running": "bold",
    "waiting": "bold reverse",
    "accepted": "green",
    "failed": "bold red",
    "budget": "bold red",
    "cancelled": "yellow",
}
COLUMNS = (
    ("id", 8, 6),
    ("input", 0, 0),
    ("status", 9, 9),
    ("step", 8, 6),
    ("model", 10, 8),
    ("att", 3, 3),
    ("cost", 8, 7),
    ("time", 8, 6),
)
"""Key, width, and width on a narrow screen (under WIDE columns: 80 leaves the input 17); the
input column takes what the screen leaves (at least INPUT_MIN)."""
WIDE = 100
INPUT_MIN = 12
CHUNK = 500
"""Rows added at a time: the first screenful shows at once, the rest follow between frames
(the table measures every new cell, about a second per 10,000 rows)."""


@dataclass(slots=True)
class ItemRow:
    """What the table shows of one item (small: 10,000 of them are kept)."""

    status: str = "queued"
    step: str = ""
    model: str = ""
    attempts: int = 0
    cost_usd: float | None = 0.0
    started: float | None = None
    duration_ms: int | None = None

    def cells(self, display: Display, now: float) -> dict[str, object]:
        """The cells that change, by column key."""
        if self.duration_ms is not None:
            seconds = display.seconds(self.duration_ms)
        elif self.started is not None:
            seconds = display.seconds(int((now - self.started) * 1000))
        else:
            seconds = ""
        if self.cost_usd is None:
            cost = "?"
        elif self.cost_usd or self.duration_ms is not None:
            cost = usd(self.cost_usd, compact=True)
        else:
            cost = ""  # nothing decided yet: what the attempt costs is not known
        return {
            "status": Text(self.status, style=STATUS_STYLE.get(self.status, "")),
            "step": Text(one_line(self.step, 40), overflow="ellipsis"),
            "model": Text(one_line(self.model, 40), overflow="ellipsis"),
            "att": str(self.attempts) if self.attempts else "",
            "cost": cost,
            "time": seconds,
        }


def column_widths(width: int) -> dict[str, int]:
    """Each column's width on a screen `width` columns wide."""
    widths = {key: wide if width >= WIDE else narrow for key, wide, narrow in COLUMNS}
    fixed = sum(widths.values()) + 2 * len(COLUMNS) + 2  # cell padding, scrollbar
    widths["input"] = max(INPUT_MIN, width - fixed)
    return widths


class ItemTable(DataTable[object]):
    """Every item of the batch; `mark(id)` then `flush()` redraws what changed."""

    BINDINGS = [Binding("enter", "select_cursor", "Open item", id="batch-open")]

    def __init__(self, items: list[Item], display: Display, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.items = items
        self.display_format = display
        self.rows_by_id: dict[str, ItemRow] = {item.id: ItemRow() for item in items}
        self.dirty: set[str] = set()
        self.position = {item.id: i for i, item in enumerate(items)}
        self.added = 0
        """Rows added so far, in item order."""

    def build(self, width: int) -> None:
        """Add the columns, then every row, once. Fixed column widths: no re-measuring."""
        for key, w in column_widths(width).items():
            self.add_column(key, width=w, key=key)
        self._add_rows()

    def fit(self, width: int) -> None:
        """New column widths for a screen now `width` wide; the rows stay (no re-adding)."""
        widths = column_widths(width)
        if not self.columns or [c.width for c in self.columns.values()] == list(widths.values()):
            return  # not built yet (it is built at its first width), or no change
        for key, w in widths.items():
            self.columns[ColumnKey(key)].width = w
        total = sum(column.get_render_width(self) for column in self.columns.values())
        self.virtual_size = Size(total, self.virtual_size.height)
        self._clear_caches()  # DataTable's rendered rows, cached at the old widths
        self.refresh()

    @property
    def complete(self) -> bool:
        """Every item has its row."""
        return self.added == len(self.items)

    def _add_rows(self) -> None:
        now = time.monotonic()
        end = min(len(self.items), self.added + CHUNK)
        for item in self.items[self.added : end]:
            row = self.rows_by_id[item.id]
            self.add_row(
                Text(one_line(item.id, 60), overflow="ellipsis"),
                Text(one_line(item.input, 200), overflow="ellipsis"),
                *row.cells(self.display_format, now).values(),
                key=item.id,
            )
        self.added = end
        if not self.complete:
            # a timer, not after the next refresh: it goes on while another screen is on top
            self.set_timer(0.01, self._add_rows, name="batch-rows")

    def mark(self, item_id: str) -> None:
        self.dirty.add(item_id)

    def flush(self) -> int:
        """Update the cells of the rows marked since the last flush (and the clock of running
        ones); returns how many rows were touched."""
        now = time.monotonic()
        touched = 0
        for item_id in self.dirty:
            if self.position[item_id] >= self.added:
                continue  # its row is still to come, drawn as it is by then
            row = self.rows_by_id[item_id]
            for key, value in row.cells(self.display_format, now).items():
                self.update_cell(item_id, key, value)
            touched += 1
        self.dirty.clear()
        return touched

    def tick(self, running: set[str]) -> None:
        """Advance the time of running items (once a second is enough)."""
        self.dirty |= running
