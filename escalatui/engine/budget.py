"""The run's spending, and the hard cap checked before each paid attempt."""

from __future__ import annotations

from escalatui.config.models import ModelSpec
from escalatui.engine.attempt import LOCAL_PROVIDERS


def is_paid(spec: ModelSpec) -> bool:
    """A cloud provider, or any model given a price or a simulated cost."""
    return (
        spec.provider not in LOCAL_PROVIDERS
        or bool(spec.cost_usd)
        or bool(spec.price_in_per_mtok or spec.price_out_per_mtok)
    )


class BudgetReached(Exception):
    """The cap was reached before a paid attempt; the message says by how much."""


class Budget:
    """Money spent so far in a run, against an optional cap."""

    def __init__(self, cap_usd: float | None) -> None:
        self.cap_usd = cap_usd
        self.spent = 0.0

    def add(self, cost_usd: float | None) -> None:
        self.spent += cost_usd or 0.0

    def check(self, model: str, spec: ModelSpec) -> None:
        """Raise BudgetReached when calling `model` would start past the cap."""
        cap = self.cap_usd
        if cap is not None and is_paid(spec) and self.spent >= cap:
            raise BudgetReached(
                f"budget of ${cap:.4f} reached (spent ${self.spent:.4f}) before calling {model}"
            )
