"""Every step of the run: done ✓, current ▶ or pending ·, with the tier that answered it.
Enter on a step opens the attempt that gave its output."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from escalatui.tui.display import one_line
from escalatui.tui.run_state import RunState

NAME_CHARS = 16


class Steps(OptionList):
    """One row per step of the task, redrawn from the run state."""

    DEFAULT_CSS = """
    Steps {
        height: auto;
        max-height: 8;
        border: none;
        padding: 0;
        background: transparent;
        &:focus { border: none; }
    }
    """

    @dataclass
    class Chosen(Message):
        """A person asked to see one step's output."""

        steps: Steps
        index: int

        @property
        def control(self) -> Steps:
            return self.steps

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[Content] = []

    def show(self, state: RunState) -> None:
        """Redraw from the run state (only when a row changed: rebuilding moves the cursor)."""
        rows = steps_content(state)
        if rows == self._shown:
            return
        self._shown = rows
        highlighted = self.highlighted
        self.set_options(Option(row, id=str(i)) for i, row in enumerate(rows))
        if highlighted is not None and highlighted < len(rows):
            self.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self, event.option_index))


def steps_content(state: RunState) -> list[Content]:
    """One styled line per step."""
    names = list(state.started.steps) if state.started else []
    current = state.step.step_index if state.step else None
    if current is not None and current >= len(names):
        names += [state.step.step] if state.step else []
    rows = []
    for index, name in enumerate(names):
        done = state.step_done.get(index)
        answer = state.step_answer(index) if index in state.step_done else None
        by = f" · {one_line(answer.model, NAME_CHARS)}" if answer is not None else ""
        label = f"{index + 1} {one_line(name, NAME_CHARS)}"
        if done is not None:
            mark, style = ("✓", "$text-success") if done.accepted else ("✗", "$text-error")
        elif index == current and state.finished is None:
            mark, style = "▶", "bold $text-accent"
        elif index == current:
            mark, style = "✗", "$text-error"
        else:
            mark, style, by = "·", "$text-muted", ""
        rows.append(Content.assemble((f"{mark} ", style), label, (by, "$text-muted")))
    return rows
