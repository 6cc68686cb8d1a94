"""The live text of the current attempt: inert, word-wrapped, repainted at most ~30 times a second.

Only the visible rows are rendered, and appending re-wraps only the last row (`FoldedText`), so
the cost of a delta stays flat however long the answer grows.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from escalatui.tui.widgets.folded_text import FoldedText

FRAME_S = 1 / 30


class StreamView(ScrollView, can_focus=True):
    """Shows streamed model text as plain characters, never markup or escape sequences."""

    DEFAULT_CSS = """
    StreamView {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._folded = FoldedText()
        self._timer: Timer | None = None
        self._style: Style | None = None
        self._painted_rows = 0
        self._following = True
        self.paints = 0
        """How many times new text was painted (tests check the coalescing with it)."""

    @property
    def text(self) -> str:
        """All text shown for the current attempt (control characters made visible)."""
        return self._folded.text

    @property
    def rows(self) -> list[str]:
        """The wrapped rows, as drawn."""
        return [self._folded.row(i) for i in range(self._folded.row_count)]

    def clear(self) -> None:
        """Start over (a new attempt)."""
        self._folded = FoldedText(self._content_width())
        self._paint(everything=True)

    def append(self, text: str) -> str:
        """Add streamed text; the screen catches up at the next frame. Returns the text added,
        as shown (inert)."""
        shown = self._folded.append(text)
        if self._timer is None:
            self._timer = self.set_timer(FRAME_S, self._paint, name="stream-frame")
        return shown

    def flush(self) -> None:
        """Paint pending text now (end of an attempt)."""
        if self._timer is not None:
            self._paint()

    def _content_width(self) -> int:
        # Hidden (the rendered view is shown instead), the view has no width: keep folding at
        # the last real one rather than one character a row.
        width = self.scrollable_content_region.width
        return width if width > 0 else self._folded.width

    def _paint(self, everything: bool = False, follow: bool | None = None) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if follow is None:
            follow = self.is_vertical_scroll_end or self.max_scroll_y == 0
        self._following = follow
        top = self.scroll_offset.y
        rows = self._folded.row_count
        self.virtual_size = Size(self._content_width(), rows)
        if follow:
            # force: the scrollbar only appears at the next layout, and without it
            # scroll_end would do nothing and the view would stop following for good.
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.paints += 1
        if everything or self.scroll_offset.y != top or rows < self._painted_rows:
            self.refresh()
        else:
            # Appending only changes the old last row and the rows after it.
            first = max(0, self._painted_rows - 1)
            self.refresh_lines(first, rows - first)
        self._painted_rows = rows

    def on_resize(self) -> None:
        # After a resize the old position says nothing about following: keep what the last
        # paint did (the view shrinks when the decision bar appears, for one).
        if self.scrollable_content_region.width <= 0:
            return
        self._folded.refold(self._content_width())
        self._paint(everything=True, follow=self._following)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._style is None:  # looking it up costs more than drawing the row
            self._style = self.rich_style
        style = self._style
        if width <= 0:
            return Strip.blank(0, style)
        text = self._folded.row(self.scroll_offset.y + y)
        strip = Strip([Segment(text, style)], cell_len(text))
        return strip.crop_extend(0, width, style)
