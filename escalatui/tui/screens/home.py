"""The home screen: task files to run and past sessions to replay.

It is drawn first and filled after: sessions are read in a worker thread and appear in batches
(a directory of a thousand logs opens as fast as an empty one), and every task file is validated
in another, so a broken one is marked in its row before anyone opens it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label
from textual.worker import get_current_worker

if TYPE_CHECKING:
    from escalatui.config import UserConfig
    from escalatui.session import SessionSummary

from escalatui.formatting import COST_UNKNOWN
from escalatui.tui.catalog import TaskEntry, find_tasks
from escalatui.tui.display import Display, middle_cut, one_line, screen_text
from escalatui.tui.first_paint import after_paint
from escalatui.tui.screens.confirm import ConfirmScreen

SESSION_BATCH = 50
"""Sessions read before the table is updated: few updates, yet the first rows show at once."""
DESCRIPTION_CHARS = 120
"""A description is cut here; it wraps at words over a few lines of its row."""
TASK_WIDTHS = {"task": 18, "file": 16, "from": 7}
NARROW_TASK_WIDTHS = {"task": 12, "file": 12, "from": 7}
"""Under NARROW_BELOW columns: the description keeps room to say why a file is invalid."""
NARROW_BELOW = 80
SESSION_WIDTHS = {"when (UTC)": 16, "status": 10, "tries": 5, "cost": 8, "run id": 12}
"""Fixed widths that fit 80 columns; the task (or description) column takes the rest."""
CELL_PADDING = 2  # a DataTable pads each cell by one column on either side


class HomeScreen(Screen[None]):
    """Two lists; Enter runs the task or replays the session under the cursor."""

    BINDINGS = [
        Binding("tab", "app.focus_next", "Other list", id="other-list"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("d,delete", "delete_session", "Delete session", id="delete-session"),
        Binding("ctrl+r", "reload", "Reload", id="reload"),
        Binding("escape", "clear_filter", "Clear filter", id="clear-filter", show=False),
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
        self.invalid: dict[Path, str] = {}
        """Task files that do not load, and the first thing wrong with each."""
        self.checked: set[Path] = set()
        self.sessions_loaded = False
        self.filter_text = ""
        self._width = 0
        self._asking = False  # a dialog of ours is up: coming back from it is no reason to reload

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter tasks and sessions (esc clears)", id="filter")
        yield Label(Content("Tasks  (Enter runs)"), classes="home-heading")
        yield DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
        yield Label(Content(""), id="tasks-empty", classes="home-empty")
        yield Label(Content("Past sessions  (Enter replays, d deletes)"), classes="home-heading")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Label(Content(""), id="sessions-empty", classes="home-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False

    def on_screen_resume(self) -> None:
        """Shown, the first time or back from a run or replay: read the lists (again)."""
        if self._asking:
            self._asking = False
            return
        self.action_reload()

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self._draw_tasks()
            self._draw_sessions()

    # -- loading ----------------------------------------------------------------------------

    def action_reload(self) -> None:
        """Look for task files and sessions again (the slow parts after the first paint)."""
        self.tasks = find_tasks(self.sources)
        self.invalid, self.checked = {}, set()
        self.sessions, self.sessions_loaded = [], False
        self._draw_tasks()
        self._draw_sessions()
        self.query_one("#tasks", DataTable).focus()
        self.scroll_home(animate=False)
        after_paint(self, self._load_in_background)

    def _load_in_background(self) -> None:
        self.validate_tasks(list(self.tasks))
        self.read_sessions()

    @work(thread=True, exclusive=True, group="home-validate", exit_on_error=False)
    def validate_tasks(self, entries: list[TaskEntry]) -> None:
        """Load every listed task file as a run would, and mark the broken ones."""
        worker = get_current_worker()
        user = getattr(self.app, "user", None)  # the app's config (loaded here if need be)
        for entry in entries:
            if worker.is_cancelled:
                return
            problem = first_problem(entry.path, user)
            self.app.call_from_thread(self._mark_task, entry.path, problem)

    def _mark_task(self, path: Path, problem: str | None) -> None:
        self.checked.add(path)
        if problem is None:
            return
        self.invalid[path] = problem
        table = self.query_one("#tasks", DataTable)
        with contextlib.suppress(Exception):  # the row may be filtered out or redrawn
            table.update_cell(str(path), "description", self._description(path), update_width=False)

    @work(thread=True, exclusive=True, group="home-sessions", exit_on_error=False)
    def read_sessions(self) -> None:
        """Read the session logs newest first and show them a batch at a time."""
        worker = get_current_worker()
        batch: list[SessionSummary] = []
        for summary in session_summaries(self.session_dir):
            if worker.is_cancelled:
                return
            batch.append(summary)
            if len(batch) >= SESSION_BATCH:
                self.app.call_from_thread(self._add_sessions, batch, False)
                batch = []
        if not worker.is_cancelled:
            self.app.call_from_thread(self._add_sessions, batch, True)

    def _add_sessions(self, batch: list[SessionSummary], done: bool) -> None:
        self.sessions.extend(batch)
        self.sessions_loaded = done
        table = self.query_one("#sessions", DataTable)
        for summary in batch:
            if self._matches(self._session_words(summary)):
                self._add_session_row(table, summary)
        self._empty_notes()

    # -- drawing ----------------------------------------------------------------------------

    def _screen_width(self) -> int:
        return self.size.width or self.app.size.width

    def _table_width(self) -> int:
        # margins of one column either side, and room for a vertical scrollbar
        return max(40, self._screen_width() - 4)

    def _draw_tasks(self) -> None:
        table = self.query_one("#tasks", DataTable)
        table.clear(columns=True)
        widths = TASK_WIDTHS if self._screen_width() >= NARROW_BELOW else NARROW_TASK_WIDTHS
        fixed = sum(widths.values()) + CELL_PADDING * (len(widths) + 1)
        for name, width in widths.items():
            table.add_column(name, key=name, width=width)
        table.add_column("description", key="description", width=self._table_width() - fixed)
        for entry in self.tasks:
            words = f"{entry.name} {entry.path.name} {entry.source} {entry.description}"
            if not self._matches(words):
                continue
            table.add_row(
                # a name wraps at words, a word too long for the column ends in "…"
                Text(one_line(entry.name, 40), overflow="ellipsis"),
                Text(middle_cut(entry.path.name, widths["file"])),
                Text(entry.source),
                self._description(entry.path),
                key=str(entry.path),
                height=None,  # as many lines as the wrapped description needs
            )
        self._empty_notes()

    def _description(self, path: Path) -> Text:
        if path in self.invalid:
            return Text(f"invalid: {self.invalid[path]}", style="bold red")
        entry = next((e for e in self.tasks if e.path == path), None)
        return Text(one_line(entry.description, DESCRIPTION_CHARS) if entry else "")

    def _draw_sessions(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.clear(columns=True)
        fixed = sum(SESSION_WIDTHS.values()) + CELL_PADDING * (len(SESSION_WIDTHS) + 1)
        table.add_column("task", key="task", width=max(12, self._table_width() - fixed))
        for name, width in SESSION_WIDTHS.items():
            table.add_column(name, key=name, width=width)
        for summary in self.sessions:
            if self._matches(self._session_words(summary)):
                self._add_session_row(table, summary)
        self._empty_notes()

    def _add_session_row(self, table: DataTable[Text], s: SessionSummary) -> None:
        fmt = self.display_format
        table.add_row(
            Text(one_line(s.task, 40), overflow="ellipsis"),
            Text(fmt.when(s.started_at)),
            Text(screen_text(s.status)),
            Text(str(s.attempts)),
            Text(
                fmt.cost(s.cost_usd, s.cost_unknown).replace(COST_UNKNOWN, "unknown")
            ),  # the column says cost
            Text(one_line(s.run_id, 20)),
            key=str(s.path),
        )

    @staticmethod
    def _session_words(s: SessionSummary) -> str:
        return f"{s.task} {s.status} {s.run_id} {s.started_at} {s.path.name}"

    def _empty_notes(self) -> None:
        filtered = f" match {self.filter_text!r}" if self.filter_text else ""
        tasks = self.query_one("#tasks", DataTable).row_count == 0
        text = "No task files here yet (*.toml with [[steps]])."
        self._empty("#tasks-empty", tasks, f"No tasks{filtered}." if filtered else text)
        sessions = self.query_one("#sessions", DataTable).row_count == 0
        if not self.sessions_loaded:
            text = "Reading sessions…"
        else:
            text = f"No sessions{filtered}." if filtered else "No sessions yet."
        self._empty("#sessions-empty", sessions, text)

    def _empty(self, selector: str, empty: bool, text: str) -> None:
        label = self.query_one(selector, Label)
        label.update(Content(text if empty else ""))
        label.display = empty

    # -- filter -----------------------------------------------------------------------------

    def _matches(self, words: str) -> bool:
        return not self.filter_text or self.filter_text.casefold() in words.casefold()

    def action_filter(self) -> None:
        """Show the filter box and type into it."""
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._draw_tasks()
        self._draw_sessions()

    @on(Input.Submitted, "#filter")
    def filter_done(self) -> None:
        self.query_one("#tasks", DataTable).focus()

    def action_clear_filter(self) -> None:
        """Empty and hide the filter box."""
        box = self.query_one("#filter", Input)
        if not box.display:
            return
        box.value = ""
        box.display = False
        self.filter_text = ""
        self._draw_tasks()
        self._draw_sessions()
        self.query_one("#tasks", DataTable).focus()

    # -- choosing and deleting ----------------------------------------------------------------

    @on(DataTable.RowSelected, "#tasks")
    def task_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(self.TaskChosen(Path(event.row_key.value)))

    @on(DataTable.RowSelected, "#sessions")
    def session_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(self.SessionChosen(Path(event.row_key.value)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete_session":
            table = self.query_one("#sessions", DataTable)
            return table.has_focus and table.row_count > 0
        return True

    def action_delete_session(self) -> None:
        """Delete the session under the cursor, after a confirmation."""
        table = self.query_one("#sessions", DataTable)
        if not table.has_focus or table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        if key.value is None:
            return
        path = Path(key.value)
        summary = next((s for s in self.sessions if s.path == path), None)
        what = path.name
        if summary is not None:
            what = f"{one_line(summary.task, 40)}, {self.display_format.when(summary.started_at)}"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(path)

        self._asking = True
        self.app.push_screen(
            ConfirmScreen(
                "Delete this session?",
                f"{what}\n{screen_text(path.name)} is removed; this cannot be undone.",
                "Delete",
            ),
            confirmed,
        )

    def _delete(self, path: Path) -> None:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            self.notify(
                screen_text(f"cannot delete {path.name}: {exc.strerror or exc}"),
                severity="error",
                markup=False,
            )
            return
        self.sessions = [s for s in self.sessions if s.path != path]
        table = self.query_one("#sessions", DataTable)
        with contextlib.suppress(Exception):
            table.remove_row(str(path))
        self._empty_notes()
        self.notify(screen_text(f"deleted {path.name}"), timeout=3, markup=False)


def first_problem(path: Path, user: UserConfig | None) -> str | None:
    """The first thing wrong with a task file (with its line), or None when it loads."""
    from escalatui.config import ConfigError, load_task

    try:
        load_task(path, user)
    except ConfigError as exc:
        first = exc.render().split("\n", 1)[0]
        return one_line(first.removeprefix(str(path)).lstrip(":").strip() or first, 160)
    except Exception as exc:  # a file that breaks the loader must not break the home screen
        return one_line(f"cannot be loaded: {exc}", 160)
    return None


def session_summaries(directory: Path) -> Iterator[SessionSummary]:
    """Sessions in `directory`, newest first; files that vanish or cannot be read are skipped."""
    from escalatui.session.reader import summarize  # after the first frame: listing is a worker

    try:
        files = list(directory.glob("*.jsonl")) if directory.is_dir() else []
    except OSError:
        return
    dated = []
    for path in files:
        try:
            dated.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for _, path in sorted(dated, key=lambda d: d[0], reverse=True):
        try:
            yield summarize(path)
        except (OSError, ValueError):
            continue
