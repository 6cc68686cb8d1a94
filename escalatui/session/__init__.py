"""Session logs: one JSON Lines file per run (format: docs/reference.md, "Session log")."""

from escalatui.session.reader import (
    ReadResult,
    SessionSummary,
    list_sessions,
    read_session,
    scan_sessions,
)
from escalatui.session.writer import SessionWriteError, SessionWriter

__all__ = [
    "ReadResult",
    "SessionSummary",
    "SessionWriteError",
    "SessionWriter",
    "list_sessions",
    "read_session",
    "scan_sessions",
]
