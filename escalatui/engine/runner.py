"""The tier engine: steps in order, each up its chain, checks turned into feedback, decisions
awaited through the Decider protocol. Knows no screen; yields typed events from one iterator."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from datetime import UTC, datetime
from pathlib import Path

from escalatui.clients.base import ChatRequest, ProviderError
from escalatui.clients.registry import ClientPool
from escalatui.config.models import Approval, JudgeCheck, Step, Task
from escalatui.config.template import parse
from escalatui.engine.attempt import AttemptState, stream_attempt
from escalatui.engine.budget import Budget, BudgetReached, is_paid
from escalatui.engine.checks import CheckRunner
from escalatui.engine.decisions import Decider, Decision, RunControl
from escalatui.engine.events import (
    AttemptDecided,
    AttemptEnded,
    AttemptStarted,
    AwaitingDecision,
    CheckOutcome,
    ChecksDone,
    Event,
    Notice,
    RunFinished,
    RunStarted,
    RunStatus,
    StepFinished,
    StepStarted,
    Tier,
    TierSkipped,
)
from escalatui.engine.history import AcceptHistory
from escalatui.engine.money import known_cost
from escalatui.engine.policy import (
    ChainPosition,
    PolicyDecider,
    Proposal,
    decision_of,
    ladder_for,
    propose,
    settle,
    who_decides,
    why_stopped,
)

WARM_PROBE_S = 3.0


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Stop(Exception):
    """Ends the run with a status (raised inside the engine only)."""

    def __init__(self, status: RunStatus, error: str | None = None) -> None:
        self.status, self.error = status, error


class Runner:
    """Runs one task once. Iterate `events()`; act mid-stream through `control`."""

    def __init__(
        self,
        task: Task,
        pool: ClientPool,
        *,
        decider: Decider | None = None,
        input: str | None = None,
        approval: Approval | None = None,
        task_path: Path | None = None,
        run_id: str | None = None,
        now: Callable[[], str] = utc_now,
        item: Mapping[str, str] | None = None,
        history: AcceptHistory | None = None,
    ) -> None:
        self.task = task
        self.pool = pool
        self.decider = decider or PolicyDecider()
        self.input = task.input if input is None else input
        self.approval_override = approval
        self.task_path = task_path
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.item = dict(item or {})
        """A batch item's fields, for `{item.KEY}` placeholders."""
        self.history = history
        """Accept rates for learned chains (`skip_below`); decided attempts are added to it."""
        self.control = RunControl()
        self.checks = CheckRunner(pool, task_path.parent if task_path else None)
        self.budget = Budget(task.budget_usd)
        self.attempts = 0
        self.outputs: dict[str, str] = {}
        self._unfinished: tuple[str, str] | None = None
        """(step, output) of the last attempt of a step not accepted (yet): kept in the run
        record when the run ends there, so nothing the model wrote is thrown away."""
        self._now = now
        self._t0 = 0.0
        self._current: AttemptState | None = None
        self._counted: AttemptState | None = None
        """The last attempt whose cost the budget has counted."""
        self._finished = False

    # -- public --------------------------------------------------------------------------

    async def events(self) -> AsyncGenerator[Event, None]:
        """Every event of the run, ending with RunFinished. Per attempt: AttemptStarted,
        Delta/Notice..., AttemptEnded, ChecksDone, AwaitingDecision (only when the decider is
        asked, right before it is), AttemptDecided; StepStarted/StepFinished around them."""
        loop = asyncio.get_running_loop()
        self._t0 = loop.time()
        task = self.task
        yield RunStarted(
            run_id=self.run_id,
            task_name=task.name,
            task_path=str(self.task_path) if self.task_path else None,
            started_at=self._now(),
            input=self.input,
            approval=self.approval_override or task.approval,
            budget_usd=task.budget_usd,
            steps=tuple(s.name for s in task.steps),
            task=task.model_dump(mode="json", by_alias=True),
        )
        status: RunStatus = "accepted"
        error: str | None = None
        try:
            previous = ""
            for index, step in enumerate(task.steps):
                output = ""
                async with aclosing(self._step(index, step, previous)) as step_events:
                    async for event in step_events:
                        if isinstance(event, StepFinished):
                            output = event.output
                        elif isinstance(event, AttemptDecided):
                            self._unfinished = (step.name, event.output)
                        yield event
                self.outputs[step.name] = previous = output
                self._unfinished = None
        except _Stop as stop:
            status, error = stop.status, stop.error
        except BudgetReached as reached:
            status, error = "budget", str(reached)
        finally:
            await self.checks.aclose()
        self._finished = True
        yield self._run_finished(status, error)

    def cancelled_events(self) -> list[Event]:
        """After the run was cancelled from outside (Ctrl+C, quit): the partial attempt and a
        `cancelled` run record, so the session log ends consistent."""
        if self._finished:
            return []
        self._finished = True
        events: list[Event] = []
        if self._current is not None:
            state = self._current
            if not state.complete and state.error is None:
                # cut mid-stream: the partial output is kept, marked as stopped
                state.interrupted = state.interrupted or Decision("abort")
            events.append(state.record((), "rejected", None, "human", "stop"))
            self._unfinished = (state.step, state.output)
            if self._counted is not state:  # cut mid-stream: its cost counts in the record
                self._count(state)
        events.append(self._run_finished("cancelled", "interrupted"))
        return events

    # -- steps ---------------------------------------------------------------------------

    def _approval(self, step: Step) -> Approval:
        return self.approval_override or step.approval or self.task.approval

    async def _step(self, index: int, step: Step, previous: str) -> AsyncGenerator[Event, None]:
        ladder = ladder_for(self.task, step)
        yield StepStarted(step=step.name, step_index=index, chain=ladder.tiers)
        for skipped in self._skips(step, ladder):
            yield TierSkipped(
                step=step.name,
                step_index=index,
                tier=skipped[0],
                accepted=skipped[1],
                samples=skipped[2],
                skip_below=skipped[3],
            )
        values = {
            "input": self.input,
            "previous": previous,
            **{f"steps.{k}": v for k, v in self.outputs.items()},
            **{f"item.{k}": v for k, v in self.item.items()},
        }
        base_prompt = parse(step.prompt).render(values)
        feedback: str | None = None
        last_answer = ""
        attempt_no = 0
        while True:
            tier = ladder.tier
            spec = self.task.models[tier.model]
            self.budget.check(tier.model, spec)
            attempt_no += 1
            self.attempts += 1
            prompt = base_prompt
            if feedback is not None:
                prompt += "\n\n" + parse(self.task.feedback_template).render(
                    {"feedback": feedback, "answer": last_answer}
                )
            state = AttemptState(step.name, index, attempt_no, tier, spec, prompt, self._now())
            state.accept_truncated = (
                step.accept_truncated
                if step.accept_truncated is not None
                else self.task.accept_truncated
            )
            self._current = state
            async with aclosing(self._attempt(state, step)) as attempt_events:
                async for event in attempt_events:
                    yield event
            outcomes = self._count_checks(await self._run_checks(state, step), state, step)
            proposal = propose(state, outcomes, ladder)
            yield ChecksDone(
                step_index=index,
                attempt=attempt_no,
                outcomes=tuple(outcomes),
                proposed=proposal.verdict,
                feedback=proposal.feedback,
            )
            acted = state.interrupted or self.control.take()
            who = who_decides(self._approval(step), proposal.verdict, acted)
            answer = acted
            if who == "decider":
                request = self._request(state, step, proposal, ladder)
                yield request  # consumers see what the engine waits for, then it waits
                answer = await self.decider.decide(request)
                # A key pressed while the decider was asking is answered by the decider; it
                # must not linger and cut the next attempt short.
                self.control.take()
            decision, by = decision_of(who, answer, proposal.verdict, ladder.can_escalate)
            if by == "human":
                note = f": {decision.feedback}" if decision.feedback else ""
                yield Notice(
                    message=f"decided by a person: {decision.action}{note}",
                    level="info",
                    step_index=index,
                    attempt=attempt_no,
                )
            settled = settle(state, outcomes, proposal, decision, by, ladder, feedback)
            if self.history is not None:
                accepted = settled.verdict == "accept"
                self.history.record(self.task.name, step.name, tier.model, accepted)
            yield state.record(tuple(outcomes), settled.verdict, settled.feedback, by, settled.next)
            self._current = None
            if settled.next == "done":
                if state.truncated:
                    yield Notice(
                        message=f"step '{step.name}': the accepted answer was cut off at the "
                        "token limit",
                        level="warning",
                        step_index=index,
                        attempt=attempt_no,
                    )
                yield StepFinished(
                    step=step.name, step_index=index, output=state.output, accepted=True
                )
                return
            if settled.next == "stop":
                yield StepFinished(
                    step=step.name, step_index=index, output=state.output, accepted=False
                )
                raise _Stop("failed", why_stopped(step.name, state, outcomes, decision, by))
            feedback = settled.feedback
            if not settled.carried:  # carried feedback stays with the answer it was about
                last_answer = state.output
            ladder.move(decision.action)

    def _skips(self, step: Step, ladder: ChainPosition) -> list[tuple[Tier, int, int, float]]:
        """Move the ladder past the tiers a learned chain skips (never the last one)."""
        skipped: list[tuple[Tier, int, int, float]] = []
        threshold = step.skip_below
        if threshold is None or self.history is None:
            return skipped
        while ladder.can_escalate:
            tier = ladder.tier
            verdict = self.history.verdict(
                self.task.name, step.name, tier.model, threshold, step.min_samples
            )
            if not verdict.skip:
                break
            skipped.append((tier, verdict.accepted, verdict.samples, threshold))
            ladder.move("escalate")
        return skipped

    async def _attempt(self, state: AttemptState, step: Step) -> AsyncGenerator[Event, None]:
        spec = state.spec
        try:
            client = self.pool.get(state.tier.model)
        except ProviderError as exc:
            client = None
            state.error, state.error_kind = str(exc), exc.kind
        if client is not None:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can drop a cancellation
                # (Ctrl+C during the probe) when the probe finishes at the same moment.
                async with asyncio.timeout(WARM_PROBE_S):
                    state.warm = await client.warm()
            except (TimeoutError, ProviderError, OSError):
                state.warm = None
        yield AttemptStarted(
            step=step.name,
            step_index=state.step_index,
            attempt=state.attempt,
            tier=state.tier,
            warm=state.warm,
            started_at=state.started_at,
            prompt=state.prompt,
        )
        if client is not None:
            system = step.system or self.task.system
            messages = ([{"role": "system", "content": system}] if system else []) + [
                {"role": "user", "content": state.prompt}
            ]
            request = ChatRequest(messages, spec.temperature, spec.max_tokens, spec.timeout_s)
            # aclosing: a consumer that stops early still stops the stream at once
            async with aclosing(stream_attempt(state, client, request, self.control)) as deltas:
                async for event in deltas:
                    yield event
        self._count(state)
        yield AttemptEnded(
            step_index=state.step_index,
            attempt=state.attempt,
            output=state.output,
            complete=state.complete,
            error=state.incomplete_reason() if not state.complete else None,
            duration_ms=state.duration_ms,
            ttft_ms=state.ttft_ms,
        )

    async def _run_checks(self, state: AttemptState, step: Step) -> list[CheckOutcome]:
        if not state.checkable:
            return []  # an incomplete attempt is never checked as if it were an answer
        context = {"input": self.input, "step": step.name, "outputs": dict(self.outputs)}
        return await self.checks.run(list(step.checks), state.output, context)

    def _count(self, state: AttemptState) -> None:
        self.budget.add(state.cost_usd, paid=is_paid(state.spec), what=self._cost_of(state))
        self._counted = state

    def _cost_of(self, state: AttemptState, judge: str | None = None) -> str:
        """Names what cost an unknown amount, for the budget message."""
        step = f" of step '{state.step}'" if len(self.task.steps) > 1 else ""
        where = f"attempt {state.attempt}{step} on {state.tier.model}"
        return f"cost of the judge check by {judge} of {where}" if judge else f"cost of {where}"

    def _count_checks(
        self, outcomes: list[CheckOutcome], state: AttemptState, step: Step
    ) -> list[CheckOutcome]:
        """Count the checks' costs (judges) against the budget; a figure that is not a cost is
        made unknown (None) here, where it enters the engine."""
        judges = iter([c.model for c in step.checks if isinstance(c, JudgeCheck)])
        counted = []
        for outcome in outcomes:
            cost = known_cost(outcome.cost_usd)
            if cost != outcome.cost_usd:
                outcome = dataclasses.replace(outcome, cost_usd=cost)
            if outcome.kind == "judge":
                model = next(judges, None)
                spec = self.pool.specs.get(model) if model else None
                paid = spec is not None and is_paid(spec)
                self.budget.add(cost, paid=paid, what=self._cost_of(state, model))
            counted.append(outcome)
        return counted

    def _request(
        self, state: AttemptState, step: Step, proposal: Proposal, ladder: ChainPosition
    ) -> AwaitingDecision:
        """What the decider is asked (only ever in manual or escalation mode)."""
        mode = self._approval(step)
        assert mode != "auto", "the checks decide in auto mode"
        return AwaitingDecision(
            step=step.name,
            step_index=state.step_index,
            attempt=state.attempt,
            proposed=proposal.verdict,
            feedback=proposal.feedback,
            output=state.output,
            complete=state.complete,
            can_escalate=ladder.can_escalate,
            reason=mode,
        )

    def _run_finished(self, status: RunStatus, error: str | None) -> RunFinished:
        loop = asyncio.get_running_loop()
        outputs = dict(self.outputs)
        last = list(outputs.values())[-1] if outputs else ""
        if status != "accepted":
            last = ""
            if self._unfinished is not None:
                name, last = self._unfinished
                outputs[name] = last
        return RunFinished(
            status=status,
            output=last,
            cost_usd=round(self.budget.spent, 12),
            duration_ms=int((loop.time() - self._t0) * 1000),
            attempts=self.attempts,
            error=error,
            outputs=outputs,
            cost_unknown=self.budget.cost_unknown,
        )
