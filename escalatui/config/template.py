"""Prompt templates: `{input}`, `{previous}`, `{steps.NAME}`; `{{` and `}}` are literal braces."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escalatui.config.models import Task

_NAME = re.compile(r"[A-Za-z_][\w.-]*")


class TemplateError(ValueError):
    """A template that cannot be parsed (an unclosed or stray brace)."""


@dataclass(frozen=True)
class Template:
    """A parsed template: literal text and placeholder names, alternating."""

    parts: tuple[str | tuple[str], ...]

    @property
    def placeholders(self) -> list[str]:
        """Every placeholder name, in order."""
        return [p[0] for p in self.parts if isinstance(p, tuple)]

    def render(self, values: Mapping[str, str]) -> str:
        """Fill the placeholders; a missing name raises KeyError."""
        return "".join(p if isinstance(p, str) else values[p[0]] for p in self.parts)


def parse(text: str) -> Template:
    """Parse `text`, raising TemplateError with the character offset of a bad brace."""
    parts: list[str | tuple[str]] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            buf.append("{")
            i += 2
        elif ch == "}" and text.startswith("}}", i):
            buf.append("}")
            i += 2
        elif ch == "{":
            end = text.find("}", i + 1)
            name = text[i + 1 : end] if end != -1 else ""
            if end == -1 or not _NAME.fullmatch(name):
                raise TemplateError(
                    f"stray '{{' at offset {i}: a placeholder is {{name}}; write {{{{ for a "
                    "literal brace"
                )
            parts.append("".join(buf))
            buf = []
            parts.append((name,))
            i = end + 1
        elif ch == "}":
            raise TemplateError(f"stray '}}' at offset {i}: write }}}} for a literal brace")
        else:
            buf.append(ch)
            i += 1
    parts.append("".join(buf))
    return Template(tuple(parts))


def item_keys(task: Task) -> set[str]:
    """The batch item fields a task's prompts use (`{item.KEY}`)."""
    keys: set[str] = set()
    for step in task.steps:
        try:
            names = parse(step.prompt).placeholders
        except TemplateError:
            continue
        keys.update(n.removeprefix("item.") for n in names if n.startswith("item."))
    return keys
