"""One attempt: stream a model's answer into events, interruptible by a person at any moment."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from escalatui.clients.base import COMPLETE_REASONS, ChatClient, ChatRequest, Chunk, ProviderError
from escalatui.clients.registry import provider_class
from escalatui.config.models import ModelSpec
from escalatui.engine.decisions import Decision, RunControl
from escalatui.engine.events import (
    AttemptDecided,
    CheckOutcome,
    DecidedBy,
    Delta,
    Next,
    Notice,
    Tier,
    Verdict,
)
from escalatui.engine.money import known_cost

_END = object()
_DEADLINE = object()
DEADLINE_GRACE_S = 1.0
"""The engine's own deadline is a backstop: network clients enforce timeout_s themselves and
say which clock fired (first token, idle, total), so theirs must win the race."""
COMPACT_PARTS = 1024
LOGGED_ERROR_BODY = 100_000
"""Characters of a provider's error body kept for the session log (the client reads at most
`clients.reader.MAX_ERROR_BODY` bytes of it)."""
REFUSED = frozenset(
    {"auth", "quota", "forbidden", "context", "rate", "server", "connect", "bad_request", "config"}
)
"""Error kinds where the request was refused or never reached the model: when nothing at all came
back, nothing was generated, so nothing was spent."""


@dataclass
class AttemptState:
    """What an attempt has produced so far (kept whole if it is cut short)."""

    step: str
    step_index: int
    attempt: int
    tier: Tier
    spec: ModelSpec
    prompt: str
    started_at: str
    warm: bool | None = None
    t0: float = field(default_factory=time.monotonic)
    parts: list[str] = field(default_factory=list)
    compacted: int = 0
    """How many leading `parts` are already joined blocks."""
    ttft_ms: int | None = None
    duration_ms: int = 0
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reported_cost: float | None = None
    error: str | None = None
    error_kind: str | None = None
    error_body: str | None = None
    """The provider's whole error body (the message on screen is cut short)."""
    network_retries: list[str] = field(default_factory=list)
    """The client's notices of network retries (a refused connection, a 429...), not the
    task's `retries` (more attempts on a tier) nor a model's `max_retries` (how many of these)."""
    interrupted: Decision | None = None
    accept_truncated: bool = False
    """An answer cut at the token limit goes to the checks like any other (it stays marked
    incomplete in the record)."""

    @property
    def output(self) -> str:
        return "".join(self.parts)

    @property
    def complete(self) -> bool:
        """Finished cleanly: a stop-like finish reason, no error, not interrupted."""
        return (
            self.error is None
            and self.interrupted is None
            and self.finish_reason in COMPLETE_REASONS
        )

    @property
    def truncated(self) -> bool:
        """Cut at the token limit, and nothing else went wrong."""
        return self.finish_reason == "length" and self.error is None and self.interrupted is None

    @property
    def checkable(self) -> bool:
        """Goes to the checks: complete, or cut at the token limit when the task allows it."""
        return self.complete or (self.accept_truncated and self.truncated)

    @property
    def broken(self) -> bool:
        """Ended short by a fault (an error, a cut or unfinished stream, an odd finish reason),
        not by a person or the token limit: it teaches the model nothing new."""
        return not self.complete and self.interrupted is None and self.finish_reason != "length"

    @property
    def cost_usd(self) -> float | None:
        """The provider's own figure, else prices x tokens, else 0 for local models and for a
        request refused before anything was generated; None when it is not known."""
        if self.reported_cost is not None:
            return self.reported_cost
        spec = self.spec
        provider = provider_class(spec.provider)
        if provider.simulated and spec.cost_usd is not None:
            return spec.cost_usd  # simulated: known whether or not the stream got to its end
        if provider.local and spec.cost_usd is None:
            priced = spec.price_in_per_mtok is not None or spec.price_out_per_mtok is not None
            if not priced:
                return 0.0
        if self._refused:
            return 0.0
        return known_cost(self._estimate())

    @property
    def _refused(self) -> bool:
        received = (
            bool(self.parts) or self.prompt_tokens is not None or self.completion_tokens is not None
        )
        return self.error_kind in REFUSED and not received

    def _estimate(self) -> float | None:
        """Configured prices x reported tokens; None when a priced side's tokens are unknown."""
        spec = self.spec
        prices = (
            (spec.price_in_per_mtok, self.prompt_tokens),
            (spec.price_out_per_mtok, self.completion_tokens),
        )
        if all(price is None for price, _ in prices):
            return None
        total = 0.0
        for price, tokens in prices:
            if price:
                if tokens is None:
                    return None
                total += tokens * price
        return total / 1e6

    def incomplete_reason(self) -> str | None:
        """Why the output is not an answer, in words; None when it is complete."""
        if self.complete:
            return None
        if self.error:
            return self.error
        if self.interrupted:
            return f"stopped by a person ({self.interrupted.action})"
        if self.finish_reason == "length":
            cut = "the answer was cut off at the token limit (finish_reason 'length')"
            if self.accept_truncated:
                cut += "; checked as it is, because accept_truncated is set"
            return cut
        if self.finish_reason is not None:
            return f"the model stopped with finish_reason {self.finish_reason!r} (incomplete)"
        return "the stream ended without a finish reason (incomplete)"

    def record(
        self,
        outcomes: tuple[CheckOutcome, ...],
        verdict: Verdict,
        feedback: str | None,
        by: DecidedBy,
        nxt: Next,
    ) -> AttemptDecided:
        """The attempt's session-log record (docs/reference.md), once decided."""
        t = self.tier
        return AttemptDecided(
            step=self.step,
            step_index=self.step_index,
            attempt=self.attempt,
            tier=t.index,
            model=t.model,
            provider=t.provider,
            provider_model=t.provider_model,
            warm=self.warm,
            started_at=self.started_at,
            duration_ms=self.duration_ms,
            ttft_ms=self.ttft_ms,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost_usd,
            output=self.output,
            complete=self.complete,
            error=self.incomplete_reason(),
            verdict=verdict,
            feedback=feedback,
            decided_by=by,
            next=nxt,
            simulated=t.simulated,
            checks=outcomes,
            retries=tuple(self.network_retries),
            prompt=self.prompt,
            error_body=self.error_body,
        )


def _tokens(value: int | None, before: int | None) -> int | None:
    """A token count from usage: a new non-negative figure replaces the one before."""
    return value if value is not None and value >= 0 else before


def _take(state: AttemptState, chunk: Chunk) -> str | None:
    """Fold a chunk into the state; returns its text when it has some. A reported cost enters
    the engine here: one that is not a finite non-negative number is left out (unknown)."""
    if chunk.finish_reason:
        state.finish_reason = chunk.finish_reason
    if chunk.usage:
        u = chunk.usage
        state.prompt_tokens = _tokens(u.prompt_tokens, state.prompt_tokens)
        state.completion_tokens = _tokens(u.completion_tokens, state.completion_tokens)
        cost = known_cost(u.cost_usd)
        if cost is not None:
            state.reported_cost = cost
    if chunk.text:
        if state.ttft_ms is None:
            state.ttft_ms = int((time.monotonic() - state.t0) * 1000)
        state.parts.append(chunk.text)
        if len(state.parts) - state.compacted >= COMPACT_PARTS:
            # megabytes of 1-character deltas: every 1024 pieces become one string
            state.parts[state.compacted :] = ["".join(state.parts[state.compacted :])]
            state.compacted += 1
        return chunk.text
    return None


def _bad_cost(chunk: Chunk) -> str | None:
    """A warning when the chunk reports a cost that cannot be a cost (NaN, negative, ...)."""
    reported = chunk.usage.cost_usd if chunk.usage else None
    if reported is None or known_cost(reported) is not None:
        return None
    return f"the provider reported a cost of {reported!r}, which is not a cost: counted as unknown"


def _plain_text(item: object) -> bool:
    return (
        isinstance(item, Chunk)
        and bool(item.text)
        and not (item.finish_reason or item.usage or item.notice or item.info)
    )


async def stream_attempt(
    state: AttemptState, client: ChatClient, request: ChatRequest, control: RunControl
) -> AsyncGenerator[Delta | Notice, None]:
    """Stream into `state`, yielding Delta and Notice events; ends on finish, error, deadline
    or a person's interrupt. The stream is always closed, so the server stops generating."""
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for chunk in client.stream(request):
                queue.put_nowait(chunk)
            queue.put_nowait(_END)
        except ProviderError as exc:
            queue.put_nowait(exc)
        except Exception as exc:  # an adapter bug must not hang the run
            queue.put_nowait(ProviderError(f"{type(exc).__name__}: {exc}"))

    loop = asyncio.get_running_loop()
    state.t0 = time.monotonic()  # time to first token counts from the request, not the probe
    task = loop.create_task(pump())
    timer = loop.call_later(state.spec.timeout_s + DEADLINE_GRACE_S, queue.put_nowait, _DEADLINE)
    control.attach(queue)
    held: object = None
    try:
        while True:
            item, held = (held, None) if held is not None else (await queue.get(), None)
            if isinstance(item, Chunk):
                text = _take(state, item)
                # Chunks that arrived together become one Delta: a network read often holds
                # hundreds of one-token events, and every consumer pays per event.
                while text and not queue.empty():
                    following = queue.get_nowait()
                    if not _plain_text(following):
                        held = following  # handled on the next turn, in order
                        break
                    text += _take(state, following) or ""  # type: ignore[arg-type]
                if text:
                    yield Delta(step_index=state.step_index, attempt=state.attempt, text=text)
                bad_cost = _bad_cost(item)
                if bad_cost:
                    yield Notice(
                        message=bad_cost,
                        level="warning",
                        step_index=state.step_index,
                        attempt=state.attempt,
                    )
                if item.notice:
                    state.network_retries.append(item.notice)
                    yield Notice(
                        message=item.notice,
                        level="warning",
                        step_index=state.step_index,
                        attempt=state.attempt,
                    )
                if item.info:
                    yield Notice(
                        message=item.info,
                        level="info",
                        step_index=state.step_index,
                        attempt=state.attempt,
                    )
            elif item is _END:
                break
            elif item is _DEADLINE:
                state.error = f"no answer within the model's timeout_s ({state.spec.timeout_s}s)"
                state.error_kind = "timeout"
                break
            elif isinstance(item, ProviderError):
                state.error, state.error_kind = str(item), item.kind
                state.error_body = item.body[:LOGGED_ERROR_BODY] if item.body else None
                break
            elif isinstance(item, Decision):
                state.interrupted = control.take()
                break
    finally:
        timer.cancel()
        control.attach(None)
        state.duration_ms = int((time.monotonic() - state.t0) * 1000)
        if not task.done():
            task.cancel()
            # asyncio.wait, not `suppress(CancelledError)`: a cancellation of this run that
            # arrives while the pump winds down must go on, not be swallowed with the pump's.
            await asyncio.wait({task})
