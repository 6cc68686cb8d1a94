"""Learned chains: a tier whose recent accept rate on a task's step is below the step's
`skip_below` is skipped, except on one try in ten, which still calls it so the estimate
stays fresh. The history comes from saved sessions and grows as attempts are decided."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW = 100
"""Decided attempts per task, step and model that the rate is taken over (the latest)."""
EXPLORE_EVERY = 10
"""One skip decision in this many tries the tier anyway."""

Key = tuple[str, str, str]


@dataclass(frozen=True)
class SkipVerdict:
    skip: bool
    accepted: int
    samples: int


class AcceptHistory:
    """Recent outcomes per (task, step, model)."""

    def __init__(self) -> None:
        self._outcomes: dict[Key, deque[bool]] = {}
        self._asked: dict[Key, int] = {}

    def record(self, task: str, step: str, model: str, accepted: bool) -> None:
        key = (task, step, model)
        outcomes = self._outcomes.get(key)
        if outcomes is None:
            outcomes = self._outcomes[key] = deque(maxlen=WINDOW)
        outcomes.append(accepted)

    def figures(self, task: str, step: str, model: str) -> tuple[int, int]:
        """(accepted, samples) over the window."""
        outcomes = self._outcomes.get((task, step, model), ())
        return sum(outcomes), len(outcomes)

    def verdict(
        self, task: str, step: str, model: str, skip_below: float, min_samples: int
    ) -> SkipVerdict:
        """Whether to skip this tier now."""
        accepted, samples = self.figures(task, step, model)
        if samples < min_samples or accepted / samples >= skip_below:
            return SkipVerdict(False, accepted, samples)
        key = (task, step, model)
        asked = self._asked[key] = self._asked.get(key, 0) + 1
        return SkipVerdict(asked % EXPLORE_EVERY != 0, accepted, samples)
