"""Costs: which figures are known, and how a dollar amount is written so nothing is rounded away.

A cost is a finite, non-negative number of dollars, or None when it is unknown. A provider may
report anything (NaN, a negative number, infinity); such a figure is unknown, never summed."""

from __future__ import annotations

import math
from typing import Any

SIGNIFICANT = 3
"""Digits kept for amounts below the usual decimals, so $0.0000162 is not shown as $0.0000."""
MAX_PLACES = 12
UNKNOWN = "cost unknown"


def known_cost(value: Any) -> float | None:
    """`value` as a cost in dollars, or None when it is not a finite non-negative number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def usd(value: Any, decimals: int = 4) -> str:
    """A dollar amount with at least `decimals` places, more for a small amount so that
    SIGNIFICANT digits show: 0.0123 -> `$0.0123`, 0.00123 -> `$0.00123`, 1.62e-05 ->
    `$0.0000162`. Not a known cost (None, NaN, negative) -> `cost unknown`."""
    cost = known_cost(value)
    if cost is None:
        return UNKNOWN
    if cost == 0:
        return f"${cost:.{decimals}f}"
    # the first significant digit is at place -floor(log10); keep SIGNIFICANT from there
    places = max(decimals, -math.floor(math.log10(cost)) + SIGNIFICANT - 1)
    if places > MAX_PLACES:  # a billionth of a cent and less: a row of zeros says nothing
        return f"${cost:.{SIGNIFICANT}g}"
    whole, _, fraction = f"{cost:.{places}f}".partition(".")
    fraction = fraction[:decimals] + fraction[decimals:].rstrip("0")
    return f"${whole}.{fraction}" if fraction else f"${whole}"


def total(known: float, unknown: bool) -> str:
    """A sum of costs of which some may be unknown: `$0.0123`, `$0.0123 + unknown`, or
    `cost unknown` when no part of it is known to be more than nothing."""
    if not unknown:
        return usd(known)
    if known_cost(known) in (None, 0.0):
        return UNKNOWN
    return f"{usd(known)} + unknown"
