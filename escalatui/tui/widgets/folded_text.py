"""Streamed text folded into screen rows, cheap to append to.

Greedy word wrapping only ever changes the last row when text is appended, so every row but the
last is final: an append re-wraps the open last row alone, and its cost depends on the size of
the append and the width, never on how much text came before.
"""

from __future__ import annotations

import re

from rich.cells import cell_len, chop_cells

from escalatui.tui.display import screen_text

_PIECE = re.compile(r"\S+\s*|\s+")
TAB = "    "


def wrap(text: str, width: int) -> list[str]:
    """Fold one line of text into rows of at most `width` cells, breaking between words and
    folding words longer than a row."""
    width = max(1, width)
    rows: list[str] = []
    row, used = "", 0
    for match in _PIECE.finditer(text):
        piece = match.group()
        word = piece.rstrip()
        need = cell_len(word)
        if row and used + need > width:
            rows.append(row)
            row, used = "", 0
        if need > width:
            chunks = [c for c in chop_cells(word, width) if c] or [word]
            rows.extend(chunks[:-1])
            piece = chunks[-1] + piece[len(word) :]
        row += piece
        used += cell_len(piece)
        if used > width:  # spaces past the edge are invisible: drop them, keep rows bounded
            kept = row.rstrip()
            row = kept + " " * max(0, width - cell_len(kept))
            used = cell_len(row)
    rows.append(row)
    return rows


class FoldedText:
    """Rows of text at a width; `append()` streamed text, `refold()` on resize."""

    def __init__(self, width: int = 80) -> None:
        self.width = max(1, width)
        self.rows: list[str] = []
        """Finished rows; the open one is `tail`."""
        self.tail = ""
        self._source: list[str] = []
        self._held_cr = False

    @property
    def text(self) -> str:
        """Everything appended, as shown (control characters made visible)."""
        return "".join(self._source)

    @property
    def row_count(self) -> int:
        return len(self.rows) + 1

    def row(self, index: int) -> str:
        """Row `index`, or "" past the end."""
        if index < len(self.rows):
            return self.rows[index]
        return self.tail if index == len(self.rows) else ""

    def append(self, raw: str) -> str:
        """Add untrusted model text: CRLF becomes a newline, tabs spaces, the rest inert.
        Returns the text added, as shown."""
        if self._held_cr:
            raw = "\r" + raw
            self._held_cr = False
        if raw.endswith("\r"):  # maybe the first half of a CRLF split across deltas
            raw = raw[:-1]
            self._held_cr = True
        text = screen_text(raw.replace("\r\n", "\n").replace("\t", TAB))
        if text:
            self._source.append(text)
            self._fold(text)
        return text

    def refold(self, width: int) -> None:
        """Wrap everything again at a new width."""
        width = max(1, width)
        if width == self.width:
            return
        source = self.text
        self._source = [source] if source else []
        self.width, self.rows, self.tail = width, [], ""
        self._fold(source)

    def _fold(self, text: str) -> None:
        for i, line in enumerate(text.split("\n")):
            if i:
                self.rows.append(self.tail)
                self.tail = ""
            if not line:
                continue
            tail = self.tail + line
            if cell_len(tail) > self.width:
                folded = wrap(tail, self.width)
                self.rows.extend(folded[:-1])
                tail = folded[-1]
            self.tail = tail
