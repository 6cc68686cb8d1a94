"""The run's spending, and the hard cap checked before each paid attempt."""

from __future__ import annotations

from escalatui.clients.registry import provider_class
from escalatui.config.models import ModelSpec
from escalatui.engine.money import known_cost
from escalatui.formatting import usd


def is_paid(spec: ModelSpec) -> bool:
    """A cloud provider, or any model given a price or a simulated cost."""
    return (
        not provider_class(spec.provider).local
        or bool(spec.cost_usd)
        or bool(spec.price_in_per_mtok or spec.price_out_per_mtok)
    )


class BudgetReached(Exception):
    """The cap was reached before a paid attempt; the message says by how much."""


class Budget:
    """Money spent so far in a run, against an optional cap. Only known costs are summed; an
    unknown cost on a paid model is remembered, and with a cap it counts as the rest of it (the
    run cannot tell how much is left, so it must not spend more)."""

    def __init__(self, cap_usd: float | None) -> None:
        self.cap_usd = cap_usd
        self.spent = 0.0
        self.unknown: str | None = None
        """What first cost an unknown amount on a paid model (`cost of attempt 2 on cloud`)."""

    @property
    def cost_unknown(self) -> bool:
        """Some money was spent that no figure tells: `spent` is then only the known part."""
        return self.unknown is not None

    def add(self, cost_usd: float | None, *, paid: bool = False, what: str = "a call") -> None:
        """Count one attempt's (or judge's) cost; None, NaN or a negative figure is unknown."""
        cost = known_cost(cost_usd)
        if cost is not None:
            self.spent += cost
        elif paid and self.unknown is None:
            self.unknown = what

    def check(self, model: str, spec: ModelSpec) -> None:
        """Raise BudgetReached when calling `model` would start past the cap."""
        cap = self.cap_usd
        if cap is None or not is_paid(spec):
            return
        if self.unknown is not None:
            raise BudgetReached(
                f"{self.unknown} is unknown; with a budget set it counts as the rest of the "
                f"budget ({usd(cap, 2)}), so {model} is not called"
            )
        if self.spent >= cap:
            raise BudgetReached(
                f"budget of {usd(cap)} reached (spent {usd(self.spent)}) before calling {model}"
            )
