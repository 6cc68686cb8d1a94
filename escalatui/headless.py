"""The headless printer: a line per attempt, notices, and a summary (or JSON, one event a line)."""

from __future__ import annotations

import sys
from typing import TextIO

from escalatui.engine.events import (
    AttemptDecided,
    Event,
    Notice,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TierSkipped,
    strict_json,
    to_record,
)
from escalatui.formatting import provider_text, seconds, tokens, usd, usd_total, warm_word
from escalatui.inert import inert

__all__ = ["HeadlessPrinter", "attempt_line"]


def attempt_line(r: AttemptDecided) -> str:
    """`[step] #1 tier 1 local (embedded, cold) 1.20s ttft 0.31s 40+12 tok $0.0000 -> retry`
    (`cost unknown` in place of the dollars when no figure tells)."""
    by = "" if r.decided_by == "checks" else f" (by {r.decided_by})"
    line = (
        f"[{r.step}] #{r.attempt} tier {r.tier + 1} {r.model} "
        f"({provider_text(r.provider, r.simulated)}, {warm_word(r.warm)}) "
        f"{seconds(r.duration_ms)} ttft {seconds(r.ttft_ms)} "
        f"{tokens(r.prompt_tokens, r.completion_tokens)} tok {usd(r.cost_usd)} -> {r.verdict}{by}"
    )
    if not r.complete and r.error:
        line += f"\n    incomplete: {inert(r.error)}"
    shown: set[str] = set()
    for o in r.checks:
        if o.error:
            line += f"\n    check error ({o.kind}): {inert(o.error)}"
            shown.add(f"- check error ({o.kind}): {o.error}")
    # feedback lines that only repeat a check error printed just above are left out
    rest = [f for f in (r.feedback or "").split("\n") if f not in shown]
    if any(rest) and r.verdict != "accept":
        body = inert("\n".join(rest)).replace("\n", "\n      ")
        sent = " (sent with the next attempt)" if r.next in ("retry", "escalate") else ""
        line += f"\n    feedback{sent}: {body}"
    return line


class HeadlessPrinter:
    """Prints events as they come; `json_mode` prints every event as one JSON line."""

    def __init__(self, out: TextIO | None = None, json_mode: bool = False) -> None:
        self.out = out or sys.stdout
        self.json_mode = json_mode
        self.session_path: str | None = None
        self.steps: list[StepFinished] = []
        """Every finished step, so the end prints each step's output, not only the last."""
        self._last: AttemptDecided | None = None

    def __call__(self, event: Event) -> None:
        if self.json_mode:
            self.out.write(strict_json(to_record(event)) + "\n")
            self.out.flush()
            return
        text = self._text(event)
        if text is not None:
            # Names, ids and statuses come from task and session files too: the whole line
            # passes the filter, not only the parts known to be model text.
            self.out.write(inert(text) + "\n")
            self.out.flush()

    def _text(self, event: Event) -> str | None:
        match event:
            case RunStarted():
                budget = "" if event.budget_usd is None else f", budget {usd(event.budget_usd, 2)}"
                return (
                    f"run {event.run_id}: {event.task_name} ({len(event.steps)} step(s), "
                    f"approval {event.approval}{budget})"
                )
            case StepStarted():
                chain = " -> ".join(
                    f"{t.model}({provider_text(t.provider, t.simulated)})"
                    + (f' "{inert(t.label)}"' if t.label != t.model else "")
                    for t in event.chain
                )
                return f"[{event.step}] chain: {chain}"
            case TierSkipped():
                return (
                    f"[{event.step}] skipped {inert(event.tier.model)}: {event.accepted}/"
                    f"{event.samples} accepted, below {event.skip_below:.0%} (learned chain)"
                )
            case Notice():
                return f"  ! {inert(event.message)}"
            case AttemptDecided():
                self._last = event
                return attempt_line(event)
            case StepFinished():
                self.steps.append(event)
            case RunFinished():
                line = (
                    f"run {event.status}: {event.attempts} attempt(s), "
                    f"{seconds(event.duration_ms)}, {usd_total(event.cost_usd, event.cost_unknown)}"
                )
                if event.error:
                    line += f"\n  {inert(event.error)}"
                if self.session_path:
                    line += f"\n  session: {self.session_path}"
                # earlier steps' outputs; the last step's is the output (or the last answer)
                earlier = [s for s in self.steps if s.accepted]
                if event.status == "accepted":
                    earlier = earlier[:-1]
                for step in earlier:
                    line += f"\n--- step {inert(step.step)} output ---\n" + inert(step.output)
                if event.status == "accepted":
                    line += "\n--- output ---\n" + inert(event.output)
                elif event.output:
                    line += f"\n--- last answer ({self._not_accepted(event.output)}) ---\n"
                    line += inert(event.output)
                return line
        return None

    def _not_accepted(self, output: str) -> str:
        """Why the run's last answer is shown but not the result, e.g. `not accepted,
        incomplete: the answer was cut off at the token limit`."""
        last = self._last
        if last is not None and last.output == output and not last.complete and last.error:
            return f"not accepted, incomplete: {inert(last.error)}"
        return "not accepted"
