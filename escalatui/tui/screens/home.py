"""The home screen: task files to run and past sessions to replay."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label

from escalatui.session import SessionSummary, list_sessions
from escalatui.tui.catalog import TaskEntry, find_tasks
from escalatui.tui.display import Display, one_line


class HomeScreen(Screen[None]):
    """Two lists; Enter runs the task or replays the session under the cursor."""

    BINDINGS = [
        Binding("tab", "app.focus_next", "Other list", id="other-list"),
        Binding("ctrl+r", "reload", "Reload", id="reload"),
    ]

    @dataclass
    class TaskChosen(Message):
        path: Path

    @dataclass
    class SessionChosen(Message):
        path: Path

    def __init__(
        self, session_dir: Path, sources: list[tuple[str, Path]] | None, display: Display
    ) -> None:
        super().__init__()
        self.session_dir = session_dir
        self.sources = sources
        self.display_format = display
        self.tasks: list[TaskEntry] = []
        self.sessions: list[SessionSummary] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(Content("Tasks  (Enter runs)"), classes="home-heading")
        yield DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
        yield Label(Content(""), id="tasks-empty", classes="home-empty")
        yield Label(Content("Past sessions  (Enter replays)"), classes="home-heading")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Label(Content(""), id="sessions-empty", classes="home-empty")
        yield Footer()

    def on_mount(self) -> None:
        tasks = self.query_one("#tasks", DataTable)
        tasks.add_columns("task", "file", "from", "description")
        sessions = self.query_one("#sessions", DataTable)
        sessions.add_columns("task", "when (UTC)", "status", "cost", "attempts", "run id")
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.app.sub_title = ""  # a run or replay named its task there
        self.action_reload()

    def action_reload(self) -> None:
        """Look for task files and sessions again."""
        self.tasks = find_tasks(self.sources)
        table = self.query_one("#tasks", DataTable)
        table.clear()
        for entry in self.tasks:
            table.add_row(
                Text(one_line(entry.name, 40)),
                Text(one_line(entry.path.name, 40)),
                Text(entry.source),
                Text(one_line(entry.description, 200)),
            )
        self._empty(
            "#tasks-empty", not self.tasks, "No task files here yet (*.toml with [[steps]])."
        )
        self.sessions = list_sessions(self.session_dir)
        table = self.query_one("#sessions", DataTable)
        table.clear()
        fmt = self.display_format
        for s in self.sessions:
            table.add_row(
                Text(one_line(s.task, 40)),
                Text(fmt.when(s.started_at)),
                Text(s.status),
                Text(fmt.cost(s.cost_usd, s.cost_unknown)),
                Text(str(s.attempts)),
                Text(one_line(s.run_id, 20)),
            )
        self._empty("#sessions-empty", not self.sessions, "No sessions yet.")

    def _empty(self, selector: str, empty: bool, text: str) -> None:
        label = self.query_one(selector, Label)
        label.update(Content(text if empty else ""))
        label.display = empty

    @on(DataTable.RowSelected, "#tasks")
    def task_chosen(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.tasks):
            self.post_message(self.TaskChosen(self.tasks[event.cursor_row].path))

    @on(DataTable.RowSelected, "#sessions")
    def session_chosen(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.sessions):
            self.post_message(self.SessionChosen(self.sessions[event.cursor_row].path))
