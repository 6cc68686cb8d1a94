"""The terminal driver: like Textual's, but a terminal that went away cannot hang the app.

Textual writes the screen from a thread that takes text from a queue of 30. When the terminal
is closed (the window, ssh or tmux session is gone) a write fails with EIO, that thread ends,
the queue fills, and the next screen update blocks the event loop for good: the app can no
longer run its SIGHUP/SIGTERM handling and stays alive. Here a failed write marks the terminal
gone and later writes are dropped, so the app goes on to quit and close its log.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import IO, Any

from textual.driver import Driver

# After SIGHUP or SIGTERM the app quits on its own within moments; should anything still hold
# it, it ends anyway rather than stay alive with no terminal.
QUIT_GRACE_S = 10.0


class TerminalFile:
    """A text file that stops writing, quietly, once the terminal behind it is gone."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self._file.write(text)
            except (OSError, ValueError):  # EIO/EPIPE: the terminal closed; ValueError: closed
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._file.flush()
            except (OSError, ValueError):
                self.gone = True

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True


def driver_class(base: type[Driver]) -> type[Driver]:
    """`base` (Textual's own driver for this platform) writing through a TerminalFile."""

    class EscalatuiDriver(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            file = getattr(self, "_file", None)
            if file is not None and not isinstance(file, TerminalFile):
                self._file = TerminalFile(file)

    return EscalatuiDriver


def end_now(code: int) -> None:
    """End the process at once (what could be flushed, is), skipping exit handlers."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def end_after_grace(code: int) -> None:
    """Backstop after a quit signal: end the process if it has not ended within the grace."""
    timer = threading.Timer(QUIT_GRACE_S, end_now, args=(code,))
    timer.daemon = True
    timer.start()
