"""Feed a run's events to its consumers and make sure the log ends consistent, even when the
run is cancelled from outside (Ctrl+C, quitting the app)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from escalatui.engine.events import Event, RunFinished
from escalatui.engine.runner import Runner

Sink = Callable[[Event], object]


async def drive(runner: Runner, sinks: Iterable[Sink], close_pool: bool = True) -> RunFinished:
    """Run to the end, handing every event to every sink; returns the RunFinished event.

    On cancellation, or when a sink raises, the partial attempt and a `cancelled` run record
    still reach the sinks, then the cancellation (or the sink's error) goes on. The runner's
    client pool is closed at the end unless it is shared (`close_pool=False`: a batch).
    """
    sinks = list(sinks)
    finished: RunFinished | None = None
    try:
        async with contextlib.aclosing(runner.events()) as events:
            async for event in events:
                for sink in sinks:
                    sink(event)
                if isinstance(event, RunFinished):
                    finished = event
    except BaseException:
        # Cancelled (Ctrl+C, quit) or a sink failed (stdout closed): the sinks that still
        # work get the partial attempt and a `cancelled` run record, then it goes on.
        for event in runner.cancelled_events():
            for sink in sinks:
                with contextlib.suppress(Exception):
                    sink(event)
        raise
    finally:
        if close_pool:
            await runner.pool.aclose()
    assert finished is not None
    return finished
