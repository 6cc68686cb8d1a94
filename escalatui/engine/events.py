"""Typed events the engine yields; the TUI, the headless printer and the session log consume them.

Every event is a frozen dataclass. `to_record()` turns one into the JSON-able dict written to the
session log (docs/reference.md, "Session log"), and `event_from_record()` turns a logged record
back into its event, so a replay is fed exactly what a live run was.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Verdict = Literal["accept", "retry", "escalate", "error", "rejected"]
DecidedBy = Literal["checks", "human", "policy"]
RunStatus = Literal["accepted", "failed", "cancelled", "budget"]
Next = Literal["retry", "escalate", "stop", "done"]


@dataclass(frozen=True, kw_only=True)
class Tier:
    """One rung of a step's chain."""

    index: int
    model: str
    provider: str
    provider_model: str
    label: str
    simulated: bool = False


@dataclass(frozen=True, kw_only=True)
class CheckOutcome:
    """What one check said: passed, failed (with feedback) or errored (never a pass)."""

    kind: str
    passed: bool
    feedback: str | None = None
    error: str | None = None
    config_error: bool = False
    cost_usd: float | None = None


@dataclass(frozen=True, kw_only=True)
class RunStarted:
    run_id: str
    task_name: str
    task_path: str | None
    started_at: str
    input: str
    approval: str
    budget_usd: float | None
    steps: tuple[str, ...]
    task: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class StepStarted:
    step: str
    step_index: int
    chain: tuple[Tier, ...]


@dataclass(frozen=True, kw_only=True)
class TierSkipped:
    """A learned chain skipped a tier: its recent accept rate is below the step's threshold."""

    step: str
    step_index: int
    tier: Tier
    accepted: int
    samples: int
    skip_below: float


@dataclass(frozen=True, kw_only=True)
class AttemptStarted:
    step: str
    step_index: int
    attempt: int
    tier: Tier
    """The whole rung (model, provider, label); `AttemptDecided.tier` is only its index."""
    warm: bool | None
    started_at: str
    prompt: str


@dataclass(frozen=True, kw_only=True)
class Delta:
    step_index: int
    attempt: int
    text: str


@dataclass(frozen=True, kw_only=True)
class Notice:
    """Something a person should see: a retry after a 429, a log that cannot be written."""

    message: str
    level: Literal["info", "warning", "error"] = "info"
    step_index: int | None = None
    attempt: int | None = None


@dataclass(frozen=True, kw_only=True)
class AttemptEnded:
    """The model stopped (or was stopped); checks have not run yet."""

    step_index: int
    attempt: int
    output: str
    complete: bool
    error: str | None
    duration_ms: int
    ttft_ms: int | None


@dataclass(frozen=True, kw_only=True)
class ChecksDone:
    step_index: int
    attempt: int
    outcomes: tuple[CheckOutcome, ...]
    proposed: Verdict
    feedback: str | None


@dataclass(frozen=True, kw_only=True)
class AwaitingDecision:
    """The engine waits for the decider; `proposed` is what the checks would do."""

    step: str
    step_index: int
    attempt: int
    proposed: Verdict
    feedback: str | None
    output: str
    complete: bool
    can_escalate: bool
    reason: Literal["manual", "escalation"]


@dataclass(frozen=True, kw_only=True)
class AttemptDecided:
    """The full attempt record (docs/reference.md, "Session log"), written once decided."""

    step: str
    step_index: int
    attempt: int
    tier: int
    """The rung's index in the chain, from 0 (the log's field; `AttemptStarted.tier` is the
    rung itself)."""
    model: str
    provider: str
    provider_model: str
    warm: bool | None
    started_at: str
    duration_ms: int
    ttft_ms: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    output: str
    complete: bool
    error: str | None
    verdict: Verdict
    feedback: str | None
    decided_by: DecidedBy
    next: Next = "done"
    simulated: bool = False
    checks: tuple[CheckOutcome, ...] = ()
    retries: tuple[str, ...] = ()
    """Notices of network retries during the attempt (the log's field name; not the task's
    `retries`, which are more attempts on a tier)."""
    prompt: str = ""
    error_body: str | None = None
    """The provider's whole error body, for the log (the `error` shown is cut short)."""


@dataclass(frozen=True, kw_only=True)
class StepFinished:
    step: str
    step_index: int
    output: str
    accepted: bool


@dataclass(frozen=True, kw_only=True)
class RunFinished:
    status: RunStatus
    output: str
    cost_usd: float
    duration_ms: int
    attempts: int
    error: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    """Each accepted step's answer; a run that ended in a step also has that step's last
    answer here (and in `output`), accepted or not."""
    cost_unknown: bool = False
    """Some attempt's cost is unknown: `cost_usd` is then only the known part."""


Event = (
    RunStarted
    | StepStarted
    | TierSkipped
    | AttemptStarted
    | Delta
    | Notice
    | AttemptEnded
    | ChecksDone
    | AwaitingDecision
    | AttemptDecided
    | StepFinished
    | RunFinished
)

RECORD_TYPES: dict[str, type] = {
    "session": RunStarted,
    "step": StepStarted,
    "tier_skipped": TierSkipped,
    "attempt_started": AttemptStarted,
    "delta": Delta,
    "notice": Notice,
    "attempt_ended": AttemptEnded,
    "checks": ChecksDone,
    "awaiting": AwaitingDecision,
    "attempt": AttemptDecided,
    "step_finished": StepFinished,
    "run": RunFinished,
}
_TYPE_OF = {cls: name for name, cls in RECORD_TYPES.items()}


def to_record(event: Event) -> dict[str, Any]:
    """The event as a JSON-able dict with a `type` key first (write it with `strict_json`)."""
    return {"type": _TYPE_OF[type(event)], **asdict(event)}


def finite(value: Any) -> Any:
    """`value` with every float that is NaN or infinite made None, at any depth: JSON has no
    such numbers, and a reader other than Python's rejects a file that holds one."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def strict_json(value: Any, *, ensure_ascii: bool = True) -> str:
    """JSON text that every JSON reader accepts: non-finite floats become null."""
    try:  # the common case, all numbers finite, costs one pass
        return json.dumps(value, ensure_ascii=ensure_ascii, allow_nan=False)
    except ValueError:
        return json.dumps(finite(value), ensure_ascii=ensure_ascii, allow_nan=False)


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    """A record type's field names, worked out once (a replay rebuilds many thousand events)."""
    return frozenset(f.name for f in fields(cls))


def event_from_record(record: dict[str, Any]) -> Event | None:
    """Rebuild an event from a logged record; unknown types give None. Extra keys are ignored."""
    cls = RECORD_TYPES.get(str(record.get("type")))
    if cls is None:
        return None
    names = _field_names(cls)
    data = {k: v for k, v in record.items() if k in names}
    if cls is StepStarted:
        data["chain"] = tuple(Tier(**t) for t in data.get("chain", ()))
    elif cls in (AttemptStarted, TierSkipped):
        data["tier"] = Tier(**data["tier"])
    elif cls in (AttemptDecided, ChecksDone):
        key = "checks" if cls is AttemptDecided else "outcomes"
        data[key] = tuple(CheckOutcome(**c) for c in data.get(key, ()))
        if cls is AttemptDecided:
            data["retries"] = tuple(data.get("retries", ()))
    elif cls is RunStarted:
        data["steps"] = tuple(data.get("steps", ()))
    event: Event = cls(**data)
    return event
