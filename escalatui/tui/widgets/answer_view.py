"""The answer of the current attempt, rendered as Markdown or shown raw (`m` switches).

Model text is made inert first (control characters shown as `\\x1b`), then rendered: Markdown
links are drawn but never followed, and markup-looking text is shown as written.

Rendering while streaming costs a re-parse of the last Markdown block every frame, and a block
(one long paragraph, a fenced code block) can be the whole answer. So the rendered view is
redrawn less often as the answer grows (`frame_delay`: the work per second stays that of a
`STEADY_CHARS` answer at full frame rate, and the cost per delta stays flat); past `LIVE_CHARS`
the answer streams raw (the flat-cost plain view) and is rendered once when it ends; past
`RENDER_CHARS` it stays raw.
"""

from __future__ import annotations

import json

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from escalatui.tui.widgets.stream_view import FRAME_S, StreamView

LIVE_CHARS = 20_000
STEADY_CHARS = 2_000
RENDER_CHARS = 100_000
JSON_FENCE = "```json\n"


class AnswerView(Vertical):
    """A raw `StreamView` and a rendered `Markdown`, one of them shown."""

    DEFAULT_CSS = """
    AnswerView {
        height: 1fr;
        #stream { height: 1fr; }
        #rendered {
            height: 1fr;
            background: $surface;
            scrollbar-gutter: stable;
            display: none;
        }
        #markdown { margin: 0; padding: 0; background: $surface; }
        &.-rendered #rendered { display: block; }
        &.-rendered #stream { display: none; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rendered = True
        """Markdown (True) or raw text (False), as the person chose with `m`."""
        self.stream = StreamView(id="stream")
        self._markdown_stream: MarkdownStream | None = None
        self._pending: list[str] = []
        self._fed = 0
        self._live = True
        self._fenced = False
        self._started = False
        self._timer: Timer | None = None
        self.render_note = ""
        """Why the answer shows raw although rendering is on ("" when it does not)."""

    def compose(self) -> ComposeResult:
        yield self.stream
        with VerticalScroll(id="rendered"):
            yield Markdown(id="markdown", open_links=False)

    def on_mount(self) -> None:
        self._show()

    def _follow(self) -> None:
        """Keep the end of the answer in view while it grows, unless the person scrolled up."""
        scroll = self.query_one("#rendered", VerticalScroll)
        if scroll.is_vertical_scroll_end or scroll.max_scroll_y == 0:
            self.call_after_refresh(scroll.scroll_end, animate=False, immediate=True)

    @property
    def markdown(self) -> Markdown:
        return self.query_one("#markdown", Markdown)

    @property
    def text(self) -> str:
        """The answer as shown (inert)."""
        return self.stream.text

    def toggle(self) -> None:
        """Switch between rendered and raw."""
        self.rendered = not self.rendered
        self._show()

    def _show(self) -> None:
        self.set_class(self.rendered and self._live, "-rendered")

    async def clear(self) -> None:
        """A new attempt: start both views over."""
        self.stream.clear()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        await self._stop_stream()
        self._pending.clear()
        self._fed = 0
        self._live, self._fenced, self._started = True, False, False
        self.render_note = ""
        await self.markdown.update("")
        self._show()

    def append(self, raw: str) -> None:
        """Add streamed model text; the rendered view catches up at the next frame."""
        shown = self.stream.append(raw)
        if not self._live or not shown:
            return
        if not self._started:
            head = shown.lstrip()
            if not head:
                return  # leading whitespace: wait to see how the answer starts
            self._started = True
            if head.startswith("{"):  # a JSON answer: highlight it as one
                self._fenced = True
                self._pending.append(JSON_FENCE)
        self._pending.append(shown)
        self._fed += len(shown)
        if self._fed > LIVE_CHARS:
            self._go_raw(f"over {LIVE_CHARS:,} characters: raw while streaming")
            return
        if self._timer is None:
            self._timer = self.set_timer(frame_delay(self._fed), self._frame, name="markdown-frame")

    async def _frame(self) -> None:
        self._timer = None
        if not self._pending or not self._live:
            return
        text = "".join(self._pending)
        self._pending.clear()
        if self._markdown_stream is None:
            self._markdown_stream = Markdown.get_stream(self.markdown)
        self._follow()
        await self._markdown_stream.write(text)

    def _go_raw(self, why: str) -> None:
        self._live = False
        self._pending.clear()
        self.render_note = why
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.call_later(self._stop_stream)  # its task would otherwise outlive the view
        self._show()

    async def on_unmount(self) -> None:
        await self._stop_stream()  # quitting mid-stream: no task is left pending at exit

    async def _stop_stream(self) -> None:
        if self._markdown_stream is not None:
            stream, self._markdown_stream = self._markdown_stream, None
            await stream.stop()

    async def finish(self) -> None:
        """The attempt ended: render the whole answer once (a JSON answer as highlighted
        JSON), unless it is too long."""
        self.stream.flush()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        await self._stop_stream()
        self._pending.clear()
        text = self.stream.text
        if len(text) > RENDER_CHARS:
            self._go_raw(f"over {RENDER_CHARS:,} characters: shown raw")
            return
        self._follow()
        await self.markdown.update(as_markdown(text))
        self._live = True
        self.render_note = ""
        self._show()

    @on(Markdown.LinkClicked)
    def link_clicked(self, event: Markdown.LinkClicked) -> None:
        # Model text is inert: a link it wrote is shown, never opened or run.
        event.stop()
        event.prevent_default()
        self.notify("Links in model answers are not opened.", timeout=3, markup=False)


def frame_delay(chars: int) -> float:
    """Seconds until the rendered view next catches up with an answer of `chars` characters:
    a frame up to `STEADY_CHARS`, then in proportion to the length, as each redraw re-parses
    up to the whole answer."""
    return FRAME_S * max(1.0, chars / STEADY_CHARS)


def as_markdown(text: str) -> str:
    """The answer as Markdown to render: a whole-JSON answer becomes a highlighted block."""
    body = text.strip()
    if body[:1] in ("{", "[") and "```" not in body:
        try:
            json.loads(body)
        except ValueError:
            return text
        return JSON_FENCE + body + "\n```\n"
    return text
