"""Server-sent events from raw bytes, with every buffer bounded.

Follows the WHATWG event-stream rules: UTF-8 whatever the `charset` header says, one leading
BOM ignored, lines end at CRLF, CR or LF (never U+2028 or other Unicode breaks), `:` starts a
comment, `data` lines join with LF, a blank line dispatches. Two choices of ours: a body that ends
cleanly without the last blank line still dispatches its last event (as openai-python does; the
bytes arrived whole), and `id`/`retry` are ignored (an attempt never reconnects).

A line longer than MAX_LINE_CHARS or an event over MAX_EVENT_CHARS raises BodyError: what is
*buffered* is capped, not only what is kept, so an endless line cannot fill memory.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from escalatui.clients.body import BodyError

MAX_LINE_CHARS = 1 << 20
"""One SSE line (1 Mi characters); real chunks are a few hundred bytes."""
MAX_EVENT_CHARS = 4 << 20
"""The `data` of one event, all its lines together (4 Mi characters)."""
_EOL = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Event:
    data: str
    event: str = "message"


class SSEParser:
    """Feed bytes as they arrive; get whole events back."""

    def __init__(self, max_line: int = MAX_LINE_CHARS, max_event: int = MAX_EVENT_CHARS) -> None:
        self.max_line = max_line
        self.max_event = max_event
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        self._at_start = True
        self._after_cr = False
        self._line: list[str] = []
        self._line_len = 0
        self._event = ""
        self._data: list[str] | None = None
        self._data_len = 0

    def feed(self, data: bytes) -> list[Event]:
        return self._text(self._utf8.decode(data))

    def finish(self) -> list[Event]:
        """The body ended cleanly: a last line or event without its blank line still counts."""
        events = self._text(self._utf8.decode(b"", final=True))
        if self._line:
            events += self._lines([self._take_line()])
        if self._data is not None:
            events += self._lines([""])  # the blank line that never came
        return events

    def _text(self, text: str) -> list[Event]:
        if self._at_start and text:
            self._at_start = False
            text = text.removeprefix("\ufeff")
        if not text:
            return []
        if self._after_cr and text[0] == "\n":
            text = text[1:]  # the LF of a CRLF split across two reads
        self._after_cr = text.endswith("\r")
        if not text:
            return []
        lines = _EOL.split(text) if "\r" in text else text.split("\n")
        self._grow(lines[0])
        if len(lines) == 1:
            return []
        lines[0] = self._take_line()
        rest = lines.pop()
        events = self._lines(lines)
        self._grow(rest)
        return events

    def _grow(self, piece: str) -> None:
        if not piece:
            return
        self._line_len += len(piece)
        if self._line_len > self.max_line:
            raise BodyError(f"a stream line passed {self.max_line:,} characters (its cap)")
        self._line.append(piece)

    def _take_line(self) -> str:
        line = self._line[0] if len(self._line) == 1 else "".join(self._line)
        self._line, self._line_len = [], 0
        return line

    def _lines(self, lines: list[str]) -> list[Event]:
        """Interpret whole lines (the first may be joined from pieces: all are within the cap,
        as every piece went through _grow or arrived whole in one read)."""
        events: list[Event] = []
        for line in lines:
            if not line:
                if self._data is not None:
                    events.append(Event("\n".join(self._data), self._event or "message"))
                self._data, self._data_len, self._event = None, 0, ""
                continue
            if len(line) > self.max_line:
                raise BodyError(f"a stream line passed {self.max_line:,} characters (its cap)")
            if line[0] == ":":
                continue
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                self._data_len += len(value) + 1
                if self._data_len > self.max_event:
                    raise BodyError(
                        f"a stream event passed {self.max_event:,} characters (its cap)"
                    )
                if self._data is None:
                    self._data = [value]
                else:
                    self._data.append(value)
            elif name == "event":
                self._event = value
        return events
