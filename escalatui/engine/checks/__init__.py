"""Run a step's checks on an answer. Every check must pass; a crash is an error, not a pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from escalatui.clients.registry import ClientPool
from escalatui.config.models import (
    CommandCheck,
    ContainsCheck,
    JsonCheck,
    JudgeCheck,
    PythonCheck,
    RegexCheck,
)
from escalatui.engine.checks.command import check_command
from escalatui.engine.checks.judge import check_judge
from escalatui.engine.checks.pycall import check_python
from escalatui.engine.checks.regex import RegexWorker, check_regex
from escalatui.engine.checks.text import check_contains, check_json
from escalatui.engine.events import CheckOutcome

AnyCheck = ContainsCheck | RegexCheck | JsonCheck | CommandCheck | JudgeCheck | PythonCheck


class CheckRunner:
    """Holds what checks share in a run: the regex worker, the judge clients, the task dir."""

    def __init__(self, pool: ClientPool, base_dir: Path | None = None) -> None:
        self.pool = pool
        self.base_dir = base_dir
        self.regex = RegexWorker()

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
            match check:
                case ContainsCheck():
                    return check_contains(check, answer)
                case RegexCheck():
                    return await check_regex(check, answer, self.regex)
                case JsonCheck():
                    return await check_json(check, answer, self.regex)
                case CommandCheck():
                    return await check_command(check, answer, self.base_dir)
                case PythonCheck():
                    return await check_python(check, answer, context, self.base_dir)
                case JudgeCheck():
                    client = self.pool.get(check.model)
                    return await check_judge(
                        check,
                        answer,
                        str(context.get("input", "")),
                        client,
                        self.pool.specs[check.model],
                    )
        except Exception as exc:  # a check never passes because it crashed
            return CheckOutcome(kind=check.kind, passed=False, error=f"{type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        await self.regex.aclose()


def feedback_of(outcomes: list[CheckOutcome]) -> str | None:
    """The failed checks' feedback, one line each; errors are named as errors."""
    lines = []
    for o in outcomes:
        if o.error:
            lines.append(f"- check error ({o.kind}): {o.error}")
        elif not o.passed and o.feedback:
            lines.append(f"- {o.feedback}")
    return "\n".join(lines) or None
