"""Where an unclosed TOML construct opened. tomllib reports an unterminated `\"\"\"` string or
`[` array where it gave up (often the end of the file, or a line far below); the person needs
the line where it started. A light lexer of strings, brackets and comments, not a parser: it
runs only on a file that has already failed to parse."""

from __future__ import annotations

from dataclasses import dataclass

_NAMES = {
    '"""': 'multi-line string (""")',
    "'''": "multi-line string (''')",
    "[": "array ([)",
    "{": "inline table ({)",
}


@dataclass(frozen=True)
class Opening:
    """A construct that is still open at the end of the file."""

    what: str
    line: int
    column: int


def _string_end(text: str, i: int, quote: str) -> int:
    """The index just after the string starting at `i`, or -1 when it never ends. Single-line
    strings end at the line's end at the latest (tomllib reports those on their own line)."""
    j = i + len(quote)
    while j < len(text):
        if quote[0] == '"' and text[j] == "\\":
            j += 2
            continue
        if text.startswith(quote, j):
            # `""""` ends a multi-line string with a quote inside it: take the last three.
            while len(quote) == 3 and text.startswith(quote[0], j + 3):
                j += 1
            return j + len(quote)
        if len(quote) == 1 and text[j] == "\n":
            return j
        j += 1
    return -1 if len(quote) == 3 else j


def first_unclosed(text: str) -> Opening | None:
    """The outermost string, array or inline table that the file never closes, if any."""
    stack: list[tuple[str, int]] = []  # (opener, index)
    in_value = False  # after `=` on a key line, or anywhere inside brackets
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            i = n if end == -1 else end
            continue
        if ch == "\n":
            if not stack:
                in_value = False
            i += 1
            continue
        if ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            end = _string_end(text, i, quote)
            if end == -1:
                stack.append((quote, i))
                break
            i = end
            continue
        if not in_value and not stack:
            if ch == "=":
                in_value = True
            elif ch == "[":  # a table header: skip it
                end = text.find("\n", i)
                i = n if end == -1 else end
                continue
            i += 1
            continue
        if ch in "[{":
            stack.append((ch, i))
        elif ch in "]}" and stack and stack[-1][0] == {"]": "[", "}": "{"}[ch]:
            stack.pop()
        i += 1
    if not stack:
        return None
    opener, index = stack[0]
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return Opening(_NAMES[opener], line, column)
