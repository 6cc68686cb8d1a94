"""The run service: one object owns a run (runner, session log, sinks, cancellation, the exit
code) so the headless printer, the TUI and batch runs are thin adapters over the same code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from escalatui.clients.registry import ClientPool, known_secrets
from escalatui.config import LoadedTask, UserConfig
from escalatui.config.models import Approval
from escalatui.engine.decisions import Action, Decider, Decision
from escalatui.engine.drive import Sink, drive
from escalatui.engine.events import Event, RunFinished, RunStatus
from escalatui.engine.history import AcceptHistory
from escalatui.engine.runner import Runner
from escalatui.session import SessionWriter

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_FOR_STATUS: Mapping[RunStatus, int] = {
    "accepted": EXIT_OK,
    "failed": EXIT_FAILED,
    "budget": EXIT_FAILED,
    "cancelled": EXIT_INTERRUPTED,
}


def exit_code(status: RunStatus) -> int:
    """The process exit code for a run that ended with `status`."""
    return EXIT_FOR_STATUS.get(status, EXIT_FAILED)


@dataclass(frozen=True)
class RunRequest:
    """Everything a run needs, built once from the command line (or by a batch, per item)."""

    loaded: LoadedTask
    user: UserConfig
    session_dir: Path
    input: str | None = None
    approval: Approval | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    """A batch item's other fields, for `{item.KEY}` placeholders."""
    theme: str | None = None
    """`--theme` (the TUI's; None: the user config's)."""

    @property
    def keys(self) -> dict[str, str]:
        """API keys from the user config, by provider name."""
        return {k: v.get_secret_value() for k, v in self.user.keys.items()}

    def new_pool(self) -> ClientPool:
        """The task's clients with the user's keys, trusted hosts and own models."""
        return ClientPool(
            self.loaded.task.models,
            self.keys,
            trusted_hosts=self.user.trusted_hosts,
            own_specs=self.user.models,
        )


class RunSession:
    """One run of a task: `run(sinks)` drives it to the end with the session log as the first
    sink; `act()` lets a person steer it; `exit_code` says how the process should end.

    A batch passes its own `pool`, shared by all its runs (one embedded server, one limit per
    model); otherwise the run owns its pool and closes it at the end.
    """

    def __init__(
        self,
        request: RunRequest,
        *,
        decider: Decider | None = None,
        pool: ClientPool | None = None,
        history: AcceptHistory | None = None,
        **runner_options: object,
    ) -> None:
        self.request = request
        task = request.loaded.task
        self._owns_pool = pool is None
        self.pool = pool or request.new_pool()
        if history is None and any(s.skip_below is not None for s in task.steps):
            from escalatui.stats import history_from_sessions

            history = history_from_sessions(request.session_dir, task.name)
        self.runner = Runner(
            task,
            self.pool,
            decider=decider,
            input=request.input,
            approval=request.approval,
            task_path=request.loaded.path,
            item=request.fields,
            history=history,
            **runner_options,  # type: ignore[arg-type]
        )
        self.writer = SessionWriter(request.session_dir, known_secrets(request.keys, task.models))
        self.finished: RunFinished | None = None
        self.on_log_failure: Callable[[str], object] | None = None
        self._warned = False

    @property
    def session_path(self) -> Path | None:
        return self.writer.path

    def check_writable(self) -> None:
        """Raise SessionWriteError before anything is spent when the log cannot be written."""
        self.writer.check_writable()

    async def run(self, sinks: list[Sink]) -> RunFinished:
        """Drive the run to its end, logging every event first; the log is closed however it
        ends (a cancelled run still gets its partial attempt and `cancelled` record)."""
        try:
            self.finished = await drive(
                self.runner, [self._log, *sinks], close_pool=self._owns_pool
            )
            return self.finished
        finally:
            self.writer.close()

    def _log(self, event: Event) -> None:
        self.writer.handle(event)
        if self.writer.failed and not self._warned:
            self._warned = True
            if self.on_log_failure is not None:
                self.on_log_failure(self.writer.failed)

    def act(
        self,
        action: Action,
        feedback: str | None = None,
        decider_resolve: Callable[[Decision], bool] | None = None,
    ) -> str:
        """A person's action: answers a pending question (through `decider_resolve`), else
        interrupts the running stream (or is kept for the attempt's decision while its checks
        run). Says which it did."""
        decision = Decision(action, feedback)
        if decider_resolve is not None and decider_resolve(decision):
            return "decided"
        self.runner.control.interrupt(action, feedback)
        return "interrupted" if self.runner.control.streaming else "queued"

    @property
    def exit_code(self) -> int:
        return exit_code(self.finished.status) if self.finished else EXIT_INTERRUPTED
