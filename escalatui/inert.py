"""The one filter for untrusted text on its way to a terminal.

Task files, session files, servers, models and file names can all carry escape sequences (an
OSC 52 clipboard write, `ESC[2J`, 8-bit C1 codes). Everything printed passes through `inert`.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1, and lone surrogates (broken UTF-8 from a model or
# a file name: printing one raises UnicodeEncodeError).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: object) -> str:
    """`text` made safe for a terminal: control characters and lone surrogates become visible
    escapes (`\\x1b`); tab and newline stay. Anything not a string is shown as `str()` would."""
    return _CONTROL.sub(_visible, text if isinstance(text, str) else str(text))
