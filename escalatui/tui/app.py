"""The Textual app and the one factory (`make_app`) the CLI and the tests both use."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from escalatui.config import ConfigError, LoadedTask, UserConfig, load_task
from escalatui.config.models import Approval
from escalatui.engine.decisions import Action
from escalatui.session import ReadResult, read_session
from escalatui.tui.display import Display, screen_text
from escalatui.tui.screens.home import HomeScreen
from escalatui.tui.screens.problems import ProblemsScreen
from escalatui.tui.screens.replay import ReplayScreen
from escalatui.tui.screens.run import DECISION_ACTIONS, RunScreen

if TYPE_CHECKING:
    from escalatui.batch.scheduler import Batch


class EscalatuiApp(App[int]):
    """Home, run and replay screens; `run()` returns the process exit code."""

    CSS_PATH = "app.tcss"
    TITLE = "escalatui"
    BINDINGS = [Binding("q", "quit", "Quit", id="quit")]

    def __init__(
        self,
        *,
        user: UserConfig,
        session_dir: Path,
        approval: Approval | None = None,
        loaded: LoadedTask | None = None,
        task_input: str | None = None,
        replay: ReadResult | None = None,
        theme: str | None = None,
        frozen: bool = False,
        task_sources: list[tuple[str, Path]] | None = None,
        replay_speed: float | None = 1.0,
        batch: Batch | None = None,
    ) -> None:
        super().__init__()
        self.batch = batch
        self.user = user
        self.session_dir = session_dir
        self.approval = approval
        self.loaded = loaded
        self.task_input = task_input
        self.replay = replay
        self.theme_name = theme or user.theme
        self.display_format = Display(frozen=frozen)
        self.task_sources = task_sources
        self.replay_speed = replay_speed

    def on_mount(self) -> None:
        self._install_themes()
        self.set_keymap(self.user.keymap)
        self._quit_on_signals()
        if self.batch is not None:
            from escalatui.tui.screens.batch import BatchScreen

            self.push_screen(BatchScreen(self.batch, self.display_format))
        elif self.loaded is not None:
            self.push_screen(self._run_screen(self.loaded, from_home=False))
        elif self.replay is not None:
            self.push_screen(
                ReplayScreen(self.replay, self.display_format, speed=self.replay_speed)
            )
        else:
            self.push_screen(HomeScreen(self.session_dir, self.task_sources, self.display_format))

    def _install_themes(self) -> None:
        """Register the bundled and user themes, then pick `--theme` / the config's theme."""
        from escalatui.tui.themes import FALLBACK_THEME, register_themes

        for notice in register_themes(self):
            self.notify(notice, title="Themes", severity="warning", markup=False)
        wanted = self.theme_name or FALLBACK_THEME
        if wanted not in self.available_themes:
            self.notify(
                screen_text(f"unknown theme {wanted!r}; using {FALLBACK_THEME}"),
                severity="warning",
                markup=False,
            )
            wanted = FALLBACK_THEME
        if wanted in self.available_themes:
            self.theme = wanted

    def _run_screen(self, loaded: LoadedTask, from_home: bool) -> RunScreen:
        return RunScreen(
            loaded,
            self.user,
            self.session_dir,
            self.task_input if not from_home else None,
            self.approval,
            self.display_format,
            from_home=from_home,
        )

    def _quit_on_signals(self) -> None:
        """SIGTERM and SIGHUP (the terminal went away) quit like `q`, so a run in progress
        still ends its log with the partial attempt and a `cancelled` record."""
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.call_later, self.action_quit)

    # -- from the home screen ---------------------------------------------------------

    def on_home_screen_task_chosen(self, message: HomeScreen.TaskChosen) -> None:
        try:
            loaded = load_task(message.path, self.user)
        except ConfigError as exc:
            problems = exc.render().splitlines()
            self.push_screen(ProblemsScreen(f"{message.path.name} cannot be run", problems))
            return
        self.push_screen(self._run_screen(loaded, from_home=True))

    def on_home_screen_session_chosen(self, message: HomeScreen.SessionChosen) -> None:
        try:
            result = read_session(message.path)
        except OSError as exc:
            problem = f"{message.path}: cannot read: {exc.strerror or exc}"
            self.push_screen(ProblemsScreen("Session cannot be opened", [problem]))
            return
        if not result.events:
            problems = result.problems or ["no session records found"]
            self.push_screen(ProblemsScreen(f"{message.path.name} has nothing to replay", problems))
            return
        self.push_screen(
            ReplayScreen(result, self.display_format, from_home=True, speed=self.replay_speed)
        )

    # -- quitting -------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; a run still going is cancelled first and its log closed consistent."""
        from escalatui.tui.screens.batch import BatchScreen

        code = 0
        for screen in reversed(self.screen_stack):
            if isinstance(screen, RunScreen | BatchScreen) and await screen.stop_run():
                code = 130
        top = next((s for s in reversed(self.screen_stack) if not isinstance(s, ModalScreen)), None)
        if code == 0 and isinstance(top, RunScreen):
            code = top.exit_code or 0
        batch = next((s for s in self.screen_stack if isinstance(s, BatchScreen)), None)
        if batch is not None:
            code = batch.exit_code
        self.exit(code)

    # -- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = getattr(screen, "commands", None)
        if callable(commands):  # the batch screens list their own
            yield from commands()
        if isinstance(screen, RunScreen) and screen.running:
            for action, help_text in DECISION_ACTIONS.items():
                yield SystemCommand(
                    action.capitalize(), help_text, _bound(screen.action_decide, action)
                )
            yield SystemCommand(
                "Edit feedback",
                "Edit the feedback, then retry or escalate",
                screen.action_edit_feedback,
            )
        if isinstance(screen, ReplayScreen):
            yield SystemCommand("Pause / play", "Pause or resume the replay", screen.action_pause)
            yield SystemCommand("Step", "Play to the next event", screen.action_step)
            yield SystemCommand("Speed", "Real time, ×2, ×10, instant", screen.action_speed)


def _bound(method: Callable[[Action], None], action: Action) -> Callable[[], None]:
    def call() -> None:
        method(action)

    return call


def make_app(
    *,
    user: UserConfig,
    session_dir: Path,
    theme: str | None = None,
    approval: str | None = None,
    loaded: LoadedTask | None = None,
    task_input: str | None = None,
    replay: ReadResult | None = None,
    frozen: bool = False,
    task_sources: list[tuple[str, Path]] | None = None,
    replay_speed: float | None = 1.0,
    batch: Batch | None = None,
) -> EscalatuiApp:
    """The app for the CLI and the tests. `frozen` pins clocks, durations and run ids (for
    snapshots); `task_sources` replaces the home screen's task directories; `batch` opens the
    batch screen on it."""
    return EscalatuiApp(
        user=user,
        session_dir=session_dir,
        approval=approval,  # type: ignore[arg-type]
        loaded=loaded,
        task_input=task_input,
        replay=replay,
        theme=theme,
        frozen=frozen,
        task_sources=task_sources,
        replay_speed=replay_speed,
        batch=batch,
    )
