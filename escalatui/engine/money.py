"""Which cost figures are known.

A cost is a finite, non-negative number of dollars, or None when it is unknown. A provider may
report anything (NaN, a negative number, infinity); such a figure is unknown, never summed. How a
cost is written is `escalatui.formatting.usd`."""

from __future__ import annotations

import math
from typing import Any


def known_cost(value: Any) -> float | None:
    """`value` as a cost in dollars, or None when it is not a finite non-negative number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None
