"""The decision policy: what becomes of an attempt once its checks ran. One small state machine
of pure functions, the only place that maps between the engine's vocabularies:

    checked ──propose──▶ proposed ──who_decides──▶ human | decider | checks
        ──decision_of──▶ decided ──settle──▶ done | retry | escalate | stop

`propose` gives the checks' verdict and feedback; `who_decides` says whether a person already
acted, the decider is asked (the approval mode) or the checks decide; `decision_of` turns that
into a Decision and who made it; `settle` gives the verdict and next step the log records, the
feedback the next attempt gets and, when the step stops, why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from escalatui.config.models import Approval, Step, Task
from escalatui.engine.attempt import AttemptState
from escalatui.engine.checks import feedback_of
from escalatui.engine.decisions import Action, Decision
from escalatui.engine.events import (
    AwaitingDecision,
    CheckOutcome,
    DecidedBy,
    Next,
    Tier,
    Verdict,
)

# Errors that another try on the same model cannot fix: go up the chain at once.
ESCALATE_AT_ONCE = frozenset({"context", "config", "auth", "quota", "forbidden"})
CUT_OFF = "- Your previous answer was cut off at the token limit; be shorter."

Who = Literal["human", "decider", "checks"]
"""Who decides an attempt: a person who already acted (an interrupt, a key while the checks ran),
the Decider (asked because of the approval mode), or the checks themselves."""


@dataclass
class ChainPosition:
    """Where a step is on its chain."""

    tiers: tuple[Tier, ...]
    retries: int
    index: int = 0
    tries_here: int = 0

    @property
    def can_escalate(self) -> bool:
        return self.index + 1 < len(self.tiers)

    @property
    def tier(self) -> Tier:
        return self.tiers[self.index]

    def move(self, action: Action) -> None:
        """Retry on this rung, or climb to the next one."""
        if action == "retry":
            self.tries_here += 1
        else:
            self.index += 1
            self.tries_here = 0


def ladder_for(task: Task, step: Step) -> ChainPosition:
    """The step's chain as tiers, with its retries."""
    tiers = []
    for i, name in enumerate(task.chain_for(step)):
        spec = task.models[name]
        label = spec.label or name
        tiers.append(
            Tier(
                index=i,
                model=name,
                provider=spec.provider,
                provider_model=spec.model or "(default)",
                label=label,
                simulated=spec.provider == "sim",
            )
        )
    retries = step.retries if step.retries is not None else task.retries
    return ChainPosition(tuple(tiers), retries)


class Proposal(NamedTuple):
    """The checks' verdict on an attempt, and the feedback for the next one."""

    verdict: Verdict
    feedback: str | None


@dataclass(frozen=True)
class Settled:
    """What a decision made of an attempt."""

    verdict: Verdict
    """Logged on the attempt."""
    next: Next
    """What the step does now: done (accepted), retry, escalate, or stop (failed)."""
    feedback: str | None
    """Logged on the attempt and given to the next one."""
    carried: bool
    """The feedback is the previous attempt's (a broken attempt teaches nothing new): the next
    prompt keeps quoting the answer that feedback was about."""


def propose(state: AttemptState, outcomes: list[CheckOutcome], ladder: ChainPosition) -> Proposal:
    """checked → proposed: the checks' verdict and feedback."""
    if any(o.config_error for o in outcomes):
        return Proposal("rejected", feedback_of(outcomes))
    if state.checkable and all(o.passed for o in outcomes):
        return Proposal("accept", None)
    if not state.checkable:
        feedback = CUT_OFF if state.finish_reason == "length" else None
    else:
        feedback = feedback_of(outcomes)
        if not state.complete:  # checked although cut off: say both
            feedback = f"{feedback}\n{CUT_OFF}" if feedback else CUT_OFF
    if state.error_kind not in ESCALATE_AT_ONCE and ladder.tries_here < ladder.retries:
        return Proposal("retry", feedback)
    return Proposal("escalate" if ladder.can_escalate else "rejected", feedback)


def who_decides(mode: Approval, proposed: Verdict, acted: Decision | None) -> Who:
    """proposed → who decides. A person who already acted decides; else manual asks the decider
    about every verdict, escalation only before moving up the chain, auto never."""
    if acted is not None:
        return "human"
    if mode == "manual" or (mode == "escalation" and proposed == "escalate"):
        return "decider"
    return "checks"


def action_for(proposed: Verdict, can_escalate: bool) -> Action:
    """The action that carries out a proposed verdict."""
    if proposed == "accept":
        return "approve"
    if proposed == "retry":
        return "retry"
    if proposed in ("escalate", "error") and can_escalate:
        return "escalate"
    return "abort"


def decision_of(
    who: Who, answer: Decision | None, proposed: Verdict, can_escalate: bool
) -> tuple[Decision, DecidedBy]:
    """→ decided: the decision and who the log says made it. `answer` is the person's action
    (`human`) or the decider's reply (`decider`); the checks need none."""
    if who == "checks":
        return Decision(action_for(proposed, can_escalate), by_human=False), "checks"
    assert answer is not None, who
    if who == "human":
        return answer, "human"
    return answer, "human" if answer.by_human else "policy"


def settle(
    state: AttemptState,
    outcomes: list[CheckOutcome],
    proposal: Proposal,
    decision: Decision,
    by: DecidedBy,
    ladder: ChainPosition,
    previous_feedback: str | None,
) -> Settled:
    """decided → done | retry | escalate | stop, with the verdict and feedback logged."""
    verdict, nxt = _verdict(state, outcomes, decision.action, by, ladder)
    feedback = decision.feedback if decision.feedback is not None else proposal.feedback
    carried = state.broken and feedback is None
    if carried:
        feedback = previous_feedback
    return Settled(verdict, nxt, feedback, carried)


def _verdict(
    state: AttemptState,
    outcomes: list[CheckOutcome],
    action: Action,
    by: DecidedBy,
    ladder: ChainPosition,
) -> tuple[Verdict, Next]:
    if action == "approve":
        return "accept", "done"
    if action == "abort" or (action == "escalate" and not ladder.can_escalate):
        return "rejected", "stop"
    nxt: Next = "retry" if action == "retry" else "escalate"
    errored = state.broken or any(o.error for o in outcomes)
    if errored and by != "human":
        return "error", nxt
    return ("retry" if action == "retry" else "escalate"), nxt


def why_stopped(
    step: str, state: AttemptState, outcomes: list[CheckOutcome], decision: Decision, by: DecidedBy
) -> str:
    """Why a step that settled on `stop` failed the run."""
    if decision.action == "abort" and by == "human":
        # `x` rejects the answer: the run failed (exit 1). Only quitting, Ctrl+C and signals
        # leave a run `cancelled`.
        return "aborted by a person"
    config = next((o for o in outcomes if o.config_error), None)
    if config is not None:
        return (
            f"step '{step}': the {config.kind} check is misconfigured, "
            f"fix the task file: {config.error}"
        )
    reason = state.incomplete_reason() or "its checks failed"
    return f"step '{step}': every model in the chain failed (last: {reason})"


class PolicyDecider:
    """Headless stand-in for a person: does what the checks propose, logged as `policy`."""

    async def decide(self, request: AwaitingDecision) -> Decision:
        return Decision(action_for(request.proposed, request.can_escalate), by_human=False)
