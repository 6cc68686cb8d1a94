"""The headless printer: a line per attempt, notices, and a summary (or JSON, one event a line)."""

from __future__ import annotations

import json
import re
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
    to_record,
)

# Control characters (ESC, C1) and lone surrogates (broken UTF-8 from a model: printing one
# raises UnicodeEncodeError).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str) -> str:
    """Model text made safe for a terminal: control characters and lone surrogates become
    visible escapes."""
    return _CONTROL.sub(_visible, text)


def warm_word(warm: bool | None) -> str:
    return "warm" if warm else "cold" if warm is False else "warm?"


def attempt_line(r: AttemptDecided) -> str:
    """`[step] #1 tier 1 local (embedded, cold) 1.20s ttft 0.31s 40+12 tok $0.0000 -> retry`"""
    sim = ", simulated" if r.simulated else ""
    tokens = "?" if r.prompt_tokens is None else str(r.prompt_tokens)
    tokens += "+" + ("?" if r.completion_tokens is None else str(r.completion_tokens))
    cost = "$?" if r.cost_usd is None else f"${r.cost_usd:.4f}"
    ttft = "-" if r.ttft_ms is None else f"{r.ttft_ms / 1000:.2f}s"
    by = "" if r.decided_by == "checks" else f" (by {r.decided_by})"
    line = (
        f"[{r.step}] #{r.attempt} tier {r.tier + 1} {r.model} ({r.provider}{sim}, "
        f"{warm_word(r.warm)}) {r.duration_ms / 1000:.2f}s ttft {ttft} {tokens} tok "
        f"{cost} -> {r.verdict}{by}"
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

    def __call__(self, event: Event) -> None:
        if self.json_mode:
            self.out.write(json.dumps(to_record(event), ensure_ascii=True) + "\n")
            self.out.flush()
            return
        text = self._text(event)
        if text is not None:
            self.out.write(text + "\n")
            self.out.flush()

    def _text(self, event: Event) -> str | None:
        match event:
            case RunStarted():
                budget = "" if event.budget_usd is None else f", budget ${event.budget_usd:.2f}"
                return (
                    f"run {event.run_id}: {event.task_name} ({len(event.steps)} step(s), "
                    f"approval {event.approval}{budget})"
                )
            case StepStarted():
                chain = " -> ".join(
                    f"{t.model}({t.provider}{', simulated' if t.simulated else ''})"
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
                return attempt_line(event)
            case StepFinished():
                self.steps.append(event)
            case RunFinished():
                line = (
                    f"run {event.status}: {event.attempts} attempt(s), "
                    f"{event.duration_ms / 1000:.2f}s, ${event.cost_usd:.4f}"
                )
                if event.error:
                    line += f"\n  {inert(event.error)}"
                if self.session_path:
                    line += f"\n  session: {self.session_path}"
                for step in self.steps[:-1] if event.status == "accepted" else self.steps:
                    kept = "" if step.accepted else " (not accepted)"
                    line += f"\n--- step {inert(step.step)} output{kept} ---\n" + inert(step.output)
                if event.status == "accepted":
                    line += "\n--- output ---\n" + inert(event.output)
                return line
        return None
