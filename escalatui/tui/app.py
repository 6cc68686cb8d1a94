"""The Textual app and the one factory (`make_app`) the CLI and the tests both use.

Imports are lazy where they can be: the first frame should cost little more than a bare Textual
app's, so the run screen (and with it the engine, the providers and their HTTP stack) and the
config models load when first needed, not before the home screen is drawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.notifications import Notify
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen

from escalatui.tui.display import Display, screen_text
from escalatui.tui.screens.home import HomeScreen
from escalatui.tui.themes import FALLBACK_THEME

if TYPE_CHECKING:
    from escalatui.config import LoadedTask, UserConfig
    from escalatui.config.models import Approval
    from escalatui.engine.decisions import Action
    from escalatui.interrupts import Held
    from escalatui.run_session import RunRequest
    from escalatui.session import ReadResult
    from escalatui.tui.live_run import LiveRun
    from escalatui.tui.screens.run import RunScreen

RUN_SCREEN_MODULE = "escalatui.tui.screens.run"
REPLAY_SCREEN_MODULE = "escalatui.tui.screens.replay"
BATCH_SCREEN_MODULE = "escalatui.tui.screens.batch"


def _loaded_class(module: str, name: str) -> type | None:
    """A screen class if its module was imported (no screen of it can exist otherwise)."""
    found = sys.modules.get(module)
    return getattr(found, name, None) if found is not None else None


if TYPE_CHECKING:
    from escalatui.batch.scheduler import Batch
    from escalatui.tui.screens.batch import BatchScreen
    from escalatui.tui.screens.replay import ReplayScreen
    from escalatui.tui.screens.run import RunScreen


FIRST_SCREEN_WAIT_S = 5.0
"""At most this long the app's start waits for its first screen to be composed."""
NOTICE_WIDE = 100
"""Columns from which a start-up notice (the demo's tier 2) stays up 20 s instead of 8 s."""


class EscalatuiApp(App[int]):
    """Home, run and replay screens; `run()` returns the process exit code."""

    CSS_PATH = "app.tcss"
    TITLE = "escalatui"
    theme: Reactive[str] = Reactive(FALLBACK_THEME)
    """Ours from the start: setting a theme makes Textual parse every style sheet again once
    the app runs (about 5% of the first frame), so only another theme is set."""
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        # Ctrl+C quits (exit 130) as it does everywhere else in the product; in the feedback
        # editor it still copies, since the focused text area's binding comes first.
        Binding("ctrl+c", "quit", "Quit", show=False, id="quit-ctrl-c"),
    ]

    def __init__(
        self,
        *,
        user: UserConfig | None,
        session_dir: Path,
        approval: Approval | None = None,
        request: RunRequest | None = None,
        replay: ReadResult | None = None,
        theme: str | None = None,
        frozen: bool = False,
        task_sources: list[tuple[str, Path]] | None = None,
        replay_speed: float | None = 1.0,
        notice: str | None = None,
        replay_path: Path | None = None,
        batch: Batch | None = None,
    ) -> None:
        super().__init__()
        self._user = user
        self.batch = batch
        self.session_dir = session_dir
        self.approval = approval
        self.request = request
        self.replay = replay
        self.replay_path = replay_path
        self.theme_name = theme or (user.theme if user is not None else None)
        self.display_format = Display(frozen=frozen)
        self.task_sources = task_sources
        self.replay_speed = replay_speed
        self.signalled = False
        self.notice = notice
        self.runs: list[LiveRun] = []  # every run started here, for the exit summary
        self.early_signal: Held | None = None
        """A SIGINT held by the command line until this app handles signals itself."""
        # Registered and chosen before the app runs; what went wrong is told once it does.
        self._theme_notices = self._install_themes()

    @property
    def user(self) -> UserConfig:
        """The user config; none given (no config file) means the defaults."""
        if self._user is None:
            from escalatui.config import UserConfig

            self._user = UserConfig()
        return self._user

    def on_load(self) -> None:
        # As soon as the event loop runs: a signal while the screens are being mounted must
        # come here too. One that came before (held by the command line) is acted on now.
        self._quit_on_signals()
        if self.early_signal is not None and self.early_signal.came:
            self._quit_on_signal()

    async def on_mount(self) -> None:
        for notice in self._theme_notices:
            self.notify(screen_text(notice), title="Themes", severity="warning", markup=False)
        if self._user is not None:
            self.set_keymap(self._user.keymap)
        if self.notice:  # on a small screen it covers the decision bar: shorter there
            timeout = 20 if self.size.width >= NOTICE_WIDE else 8
            self.notify(screen_text(self.notice), timeout=timeout, markup=False)
        await self._first_screen_composed()

    def get_default_screen(self) -> Screen[None]:
        """The screen the app opens on (Textual makes it the bottom of the stack), built
        before the first frame, so that frame shows it: pushed in `on_mount` instead, the
        app first drew an empty screen, then this one (home's first frame took 1.3x longer)."""
        if self.batch is not None:
            from escalatui.tui.screens.batch import BatchScreen

            return BatchScreen(self.batch, self.display_format)
        if self.request is not None:
            return self._run_screen(self.request, from_home=False)
        if self.replay is not None or self.replay_path is not None:
            from escalatui.tui.screens.replay import ReplayScreen

            return ReplayScreen(
                self.replay, self.display_format, speed=self.replay_speed, path=self.replay_path
            )
        return HomeScreen(self.session_dir, self.task_sources, self.display_format)

    async def _first_screen_composed(self) -> None:
        """Return once the first screen and its widgets are mounted (bounded): the app
        counts as started only then, so a pilot (the tests, the screenshot script) starts
        on a whole screen, as a person does. Textual itself waits only for the app."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_SCREEN_WAIT_S
        while not self.screen_is_mounted() and loop.time() < deadline:
            await asyncio.sleep(0.001)

    def screen_is_mounted(self) -> bool:
        """Whether the current screen and every widget on it are mounted."""
        try:
            screen = self.screen
        except ScreenStackError:
            return False
        return screen.is_mounted and all(widget.is_mounted for widget in screen.query("*"))

    def on_notify(self, event: Notify) -> None:
        # At 60x15 (the run screen's folded layout) an expired toast stayed on the terminal
        # over the decision bar until the next layout: lay the screen out when it is due.
        self.set_timer(event.notification.timeout + 0.1, self._after_toast, name="toast-expiry")

    def _after_toast(self) -> None:
        with contextlib.suppress(ScreenStackError):  # quitting: no screen left to draw
            self.screen.refresh(layout=True)

    def _install_themes(self) -> list[str]:
        """Register the bundled and user themes, then pick `--theme` / the config's theme;
        returns what to tell the user once the app runs."""
        from escalatui.tui.themes import register_themes

        notices = register_themes(self)
        wanted = self.theme_name or FALLBACK_THEME
        if wanted not in self.available_themes:
            notices.append(f"unknown theme {wanted!r}; using {FALLBACK_THEME}")
            wanted = FALLBACK_THEME
        if wanted not in self.available_themes:  # the bundled files are missing
            return notices
        if wanted == self.theme:  # the default: what setting it does, but no style reparse
            self.set_class(True, f"-theme-{wanted}", update=False)
            # No style sheet is parsed yet: its colours come from the theme from the start.
            self.stylesheet.set_variables(self.get_css_variables())
        else:
            self.theme = wanted
        return notices

    def _run_screen(self, request: RunRequest, from_home: bool) -> RunScreen:
        from escalatui.tui.screens.run import RunScreen

        screen = RunScreen(request, self.display_format, from_home=from_home)
        self.runs.append(screen.live)
        return screen

    def _request_for(self, loaded: LoadedTask) -> RunRequest:
        """A task chosen on the home screen runs with this app's settings and no `--input`."""
        from escalatui.run_session import RunRequest

        return RunRequest(
            loaded, self.user, self.session_dir, approval=self.approval, theme=self.theme_name
        )

    def exit_summaries(self) -> list[str]:
        """What each run started in this app did, to print once the terminal is back."""
        from escalatui.tui.summary import summary_text

        return [
            summary_text(live.record, live.session.session_path)
            for live in self.runs
            if live.record.task_name
        ]

    def get_driver_class(self) -> type[Driver]:
        from escalatui.tui.terminal import driver_class

        return driver_class(super().get_driver_class())

    def _quit_on_signals(self) -> None:
        """SIGINT (a `kill -INT`; the Ctrl+C key arrives as a key), SIGTERM and SIGHUP (the
        terminal went away) quit like `q`, so a run in progress still ends its log with the
        partial attempt and a `cancelled` record, and the process exits 130."""
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._quit_on_signal)

    def _quit_on_signal(self) -> None:
        from escalatui.tui.terminal import end_after_grace

        self.signalled = True
        end_after_grace(130)
        self._quit_once_mounted()

    def _quit_once_mounted(self) -> None:
        """Quit like `q`, but not while the screen's widgets are still being mounted (a signal
        during start-up): quitting then failed inside the half-built widgets, with a
        traceback on the terminal. Checked again every 20 ms; the grace above bounds it."""
        if not self.screen_is_mounted():
            self.set_timer(0.02, self._quit_once_mounted, name="quit-once-mounted")
            return
        self.call_later(self.action_quit)

    def end_if_signalled(self, code: object = None) -> None:
        """After SIGHUP/SIGTERM, once the app has quit and its log is closed: end the process
        now. A normal exit would first stop the embedded llama.cpp server, which waits for
        its generation to finish, seconds or more, with the terminal gone."""
        if self.signalled:
            from escalatui.tui.terminal import end_now

            end_now(130)  # ended by a signal: interrupted, whatever the run had reached

    # -- from the home screen ---------------------------------------------------------

    def on_home_screen_task_chosen(self, message: HomeScreen.TaskChosen) -> None:
        from escalatui.config import ConfigError, load_task
        from escalatui.tui.screens.problems import ProblemsScreen

        try:
            loaded = load_task(message.path, self.user)
        except ConfigError as exc:
            problems = exc.render().splitlines()
            self.push_screen(ProblemsScreen(f"{message.path.name} cannot be run", problems))
            return
        self.push_screen(self._run_screen(self._request_for(loaded), from_home=True))

    def on_home_screen_session_chosen(self, message: HomeScreen.SessionChosen) -> None:
        from escalatui.session import read_session
        from escalatui.tui.screens.problems import ProblemsScreen
        from escalatui.tui.screens.replay import ReplayScreen

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
        code = 0
        run_screen = cast("type[RunScreen] | None", _loaded_class(RUN_SCREEN_MODULE, "RunScreen"))
        batch_screen = cast(
            "type[BatchScreen] | None", _loaded_class(BATCH_SCREEN_MODULE, "BatchScreen")
        )
        for screen in reversed(self.screen_stack):
            running = (run_screen and isinstance(screen, run_screen)) or (
                batch_screen and isinstance(screen, batch_screen)
            )
            if running and await cast("RunScreen | BatchScreen", screen).stop_run():
                code = 130
        top = next((s for s in reversed(self.screen_stack) if not isinstance(s, ModalScreen)), None)
        if code == 0 and run_screen and isinstance(top, run_screen):
            code = top.exit_code or 0
        batch = next(
            (s for s in self.screen_stack if batch_screen and isinstance(s, batch_screen)), None
        )
        if batch is not None:
            code = batch.exit_code
        self.exit(code)

    # -- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = getattr(screen, "commands", None)
        if callable(commands):  # the batch screens list their own
            yield from commands()
        run_screen = cast("type[RunScreen] | None", _loaded_class(RUN_SCREEN_MODULE, "RunScreen"))
        replay_screen = cast(
            "type[ReplayScreen] | None", _loaded_class(REPLAY_SCREEN_MODULE, "ReplayScreen")
        )
        if run_screen and isinstance(screen, run_screen) and screen.running:
            from escalatui.tui.screens.run import DECISION_ACTIONS

            for action, help_text in DECISION_ACTIONS.items():
                yield SystemCommand(
                    action.capitalize(), help_text, _bound(screen.action_decide, action)
                )
            yield SystemCommand(
                "Edit feedback",
                "Edit the feedback, then retry or escalate",
                screen.action_edit_feedback,
            )
        if replay_screen and isinstance(screen, replay_screen):
            yield SystemCommand("Pause / play", "Pause or resume the replay", screen.action_pause)
            yield SystemCommand("Step", "Play one event (a chunk of text)", screen.action_step)
            yield SystemCommand(
                "Next attempt", "Play to the next attempt", screen.action_next_attempt
            )
            yield SystemCommand("Speed", "Real time, ×2, ×10, instant", screen.action_speed)


def _bound(method: Callable[[Action], None], action: Action) -> Callable[[], None]:
    def call() -> None:
        method(action)

    return call


def make_app(
    request: RunRequest | None = None,
    *,
    user: UserConfig | None = None,
    session_dir: Path | None = None,
    theme: str | None = None,
    approval: str | None = None,
    replay: ReadResult | None = None,
    frozen: bool = False,
    task_sources: list[tuple[str, Path]] | None = None,
    replay_speed: float | None = 1.0,
    notice: str | None = None,
    replay_path: Path | None = None,
    batch: Batch | None = None,
) -> EscalatuiApp:
    """The app for the CLI and the tests. With a `request` it opens the run screen on it, and
    takes the user config, session directory, approval and theme from it; else they are given.
    `frozen` pins clocks, durations and run ids (tests and snapshots only); `task_sources`
    replaces the home screen's task directories; `batch` opens the batch screen on it."""
    if request is not None:
        user, session_dir = request.user, request.session_dir
        approval, theme = request.approval, request.theme
    if session_dir is None:
        raise ValueError("make_app needs a request or a session_dir")
    return EscalatuiApp(
        user=user,
        session_dir=session_dir,
        approval=approval,  # type: ignore[arg-type]
        request=request,
        replay=replay,
        theme=theme,
        frozen=frozen,
        task_sources=task_sources,
        replay_speed=replay_speed,
        notice=notice,
        replay_path=replay_path,
        batch=batch,
    )
