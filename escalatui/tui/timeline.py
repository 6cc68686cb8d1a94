"""When each event of a logged run happened, so a replay can play it back in real time.

The log holds start times of the run and of each attempt, attempt durations and times to first
token, and the run's duration; deltas carry no time, so an attempt's deltas are spread evenly
between its first token and its end. A person's think time lands before their decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from escalatui.engine.events import (
    AttemptDecided,
    AttemptEnded,
    AttemptStarted,
    Delta,
    Event,
    RunFinished,
    RunStarted,
)


def _parse(iso: str) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except (TypeError, ValueError):
        return None


def timeline(events: Sequence[Event]) -> list[float]:
    """Seconds after the run's start at which each event happened (never decreasing)."""
    times = [0.0] * len(events)
    origin: float | None = None
    starts: dict[tuple[int, int], float] = {}
    for i, event in enumerate(events):
        t = times[i - 1] if i else 0.0
        match event:
            case RunStarted():
                origin, t = _parse(event.started_at), 0.0
            case AttemptStarted():
                at = _parse(event.started_at)
                if origin is not None and at is not None:
                    t = max(t, at - origin)
                starts[(event.step_index, event.attempt)] = t
            case AttemptEnded():
                start = starts.get((event.step_index, event.attempt))
                if start is not None:
                    t = max(t, start + event.duration_ms / 1000)
                    _spread_deltas(events, times, i, start, event)
            case RunFinished():
                t = max(t, event.duration_ms / 1000)
        times[i] = t
    _think_time_before_decisions(events, times)
    for i in range(1, len(times)):
        times[i] = max(times[i], times[i - 1])
    return times


def _spread_deltas(
    events: Sequence[Event], times: list[float], end: int, start: float, ended: AttemptEnded
) -> None:
    key = (ended.step_index, ended.attempt)
    indices = []
    for j in range(end - 1, -1, -1):
        e = events[j]
        if isinstance(e, AttemptStarted) and (e.step_index, e.attempt) == key:
            break
        if isinstance(e, Delta):
            indices.append(j)
    indices.reverse()
    first = start + (ended.ttft_ms or 0) / 1000
    last = start + ended.duration_ms / 1000
    for n, j in enumerate(indices):
        times[j] = first + (last - first) * n / max(1, len(indices))


def _think_time_before_decisions(events: Sequence[Event], times: list[float]) -> None:
    """Move each decision to just before the next attempt (or the run's end)."""
    following: float | None = None
    for i in range(len(events) - 1, -1, -1):
        e = events[i]
        if isinstance(e, AttemptStarted | RunFinished):
            following = times[i]
        elif isinstance(e, AttemptDecided) and following is not None:
            times[i] = max(times[i], following)
