"""Work that waits for the screen to be drawn first."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


def after_paint(widget: Widget, callback: Callable[[], object]) -> None:
    """Call `callback` once `widget`'s screen is on the terminal: after the refresh that lays it
    out and the one that draws it. A thread started sooner (reading a long log, or every task
    file) competes with the drawing for the interpreter: a 10,000-attempt replay's first frame
    then came at 0.5 to 2.0 s instead of 0.5 to 0.65 s (tests/bench/bench_open.py)."""
    widget.call_after_refresh(widget.call_after_refresh, callback)
