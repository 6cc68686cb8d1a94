"""How numbers, times and untrusted text look on screen.

Model output, feedback, errors and notices can hold anything a model or a server sent: they are
made inert (control characters shown as `\\x1b`) and wrapped in `Content`, never parsed as
markup. `Display(frozen=True)` shows fixed clocks and durations so snapshots do not flake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.content import Content

from escalatui import formatting
from escalatui.inert import inert

__all__ = ["Display", "one_line", "plain", "screen_text"]


def plain(text: str) -> Content:
    """Untrusted text as inert Content: no markup, no escape sequences."""
    return Content(screen_text(text))


def one_line(text: str, limit: int = 200) -> str:
    """Inert text folded onto one line (for table cells), cut at `limit` characters."""
    flat = " ".join(screen_text(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def middle_cut(text: str, width: int) -> str:
    """One line of at most `width` characters, cut in the middle so both ends show (a file
    name keeps its start and its `.toml`)."""
    flat = one_line(text, 10_000)
    if len(flat) <= width:
        return flat
    tail = (width - 1) // 2
    return flat[: width - 1 - tail] + "…" + flat[len(flat) - tail :]


@dataclass(frozen=True)
class Display:
    """Formats for figures that change from run to run; `frozen` pins the ones that are timing."""

    frozen: bool = False

    def seconds(self, ms: int | None) -> str:
        """A duration in milliseconds as `1.23s`, or `–` when unknown."""
        if ms is not None and self.frozen:
            return "0.10s"
        return formatting.seconds(ms)

    def elapsed(self, seconds: float) -> str:
        """Run time as `m:ss` (or `h:mm:ss`)."""
        if self.frozen:
            return "0:01"
        whole = max(0, int(seconds))
        hours, rest = divmod(whole, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"

    def when(self, iso: str) -> str:
        """An ISO 8601 time as `2025-01-02 13:04` (UTC, as logged)."""
        if not iso:
            return "?"
        return iso.replace("T", " ")[:16]

    @staticmethod
    def cost(dollars: float | None, unknown: bool = False) -> str:
        """Dollars as `formatting.usd` writes them (`$0.0000162`, `cost unknown`); with
        `unknown`, `dollars` is the known part of a sum whose other parts are unknown
        (`$0.0123 + unknown`)."""
        return formatting.usd_total(dollars, unknown)

    @staticmethod
    def tokens(prompt: int | None, completion: int | None) -> str:
        """`prompt+completion` token counts, `–` for an unknown part."""
        return formatting.tokens(prompt, completion)


# Characters that are not control codes but still change how a terminal lays text out (line
# and paragraph separators, bidirectional overrides): shown by name, like control characters.
_LAYOUT = re.compile("[\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def screen_text(text: str) -> str:
    """Untrusted text with every control and layout-changing character made visible (a CRLF
    is a newline, not a visible `\\x0d`)."""
    return _LAYOUT.sub(lambda m: f"\\u{ord(m.group()):04x}", inert(text.replace("\r\n", "\n")))
