"""Run a step's checks on an answer. Every check must pass; a crash is an error, not a pass."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from escalatui.clients.registry import ClientPool
from escalatui.config.models import Check, JudgeCheck
from escalatui.engine.checks.command import check_command
from escalatui.engine.checks.judge import check_judge
from escalatui.engine.checks.pycall import check_python
from escalatui.engine.checks.regex import check_regex
from escalatui.engine.checks.text import check_contains, check_json
from escalatui.engine.events import CheckOutcome

AnyCheck = Check


class CheckRunner:
    """Holds what checks share in a run: the judge clients and the task dir."""

    def __init__(self, pool: ClientPool, base_dir: Path | None = None) -> None:
        self.pool = pool
        self.base_dir = base_dir

    async def run(
        self, checks: list[AnyCheck], answer: str, context: dict[str, Any]
    ) -> list[CheckOutcome]:
        """Cheap checks first; an LLM judge only once they all pass (it costs money)."""
        outcomes = [
            await self._one(c, answer, context) for c in checks if not isinstance(c, JudgeCheck)
        ]
        if all(o.passed for o in outcomes):
            for check in checks:
                if isinstance(check, JudgeCheck):
                    outcomes.append(await self._one(check, answer, context))
                    if not outcomes[-1].passed:
                        break
        return outcomes

    async def _one(self, check: AnyCheck, answer: str, context: dict[str, Any]) -> CheckOutcome:
        try:
            return await RUNNERS[check.kind](check, answer, context, self)
        except Exception as exc:  # a check never passes because it crashed
            return CheckOutcome(kind=check.kind, passed=False, error=f"{type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        """Nothing is held between checks now (regex searches run in threads); the runner still
        calls this at the end of a run."""


async def _contains(
    check: Any, answer: str, context: dict[str, Any], run: CheckRunner
) -> CheckOutcome:
    return check_contains(check, answer)


def _judge(
    check: Any, answer: str, context: dict[str, Any], run: CheckRunner
) -> Awaitable[CheckOutcome]:
    task_input = str(context.get("input", ""))
    return check_judge(
        check, answer, task_input, run.pool.get(check.model), run.pool.specs[check.model]
    )


Run = Callable[[Any, str, dict[str, Any], CheckRunner], Awaitable[CheckOutcome]]
RUNNERS: dict[str, Run] = {
    "contains": _contains,
    "regex": lambda check, answer, context, run: check_regex(check, answer),
    "json": lambda check, answer, context, run: check_json(check, answer),
    "command": lambda check, answer, context, run: check_command(check, answer, run.base_dir),
    "python": lambda check, answer, context, run: check_python(
        check, answer, context, run.base_dir
    ),
    "judge": _judge,
}
"""How each check kind runs, keyed by the `kind`s of config.models.CHECK_MODELS (a test keeps
the two key sets equal): (check, answer, the step's context, the run's shared parts)."""


def feedback_of(outcomes: list[CheckOutcome]) -> str | None:
    """The failed checks' feedback, one line each; errors are named as errors."""
    lines = []
    for o in outcomes:
        if o.error:
            lines.append(f"- check error ({o.kind}): {o.error}")
        elif not o.passed and o.feedback:
            lines.append(f"- {o.feedback}")
    return "\n".join(lines) or None
