"""How figures and labels are written, the same in every place that shows them: the headless
printer, replay, the sessions list, batch output, stats and the TUI.

Nothing here knows about terminals or Textual; untrusted text still goes through
`escalatui.inert.inert` on its way out (the one filter, kept in its own module so the config
layer can use it without this one).
"""

from __future__ import annotations

import math
from typing import Any

from escalatui.engine.money import known_cost

__all__ = [
    "COST_UNKNOWN",
    "SIMULATED",
    "UNKNOWN",
    "provider_text",
    "seconds",
    "tokens",
    "usd",
    "usd_total",
    "warm_word",
]

UNKNOWN = "–"
"""A figure nobody reported: a token count, a duration, a rate."""
COST_UNKNOWN = "cost unknown"
"""A cost no figure tells (an unknown cost is never shown as $0)."""
SIMULATED = "simulated"
"""The one word for a sim model's output, so it is never mistaken for a real model's."""

SIGNIFICANT = 3
"""Digits kept for amounts below the usual decimals, so $0.0000162 is not shown as $0.0000."""
MAX_PLACES = 12


def usd(value: Any, decimals: int = 4, *, compact: bool = False) -> str:
    """A dollar amount with at least `decimals` places, more for a small amount so that
    SIGNIFICANT digits show: 0.0123 -> `$0.0123`, 0.00123 -> `$0.00123`, 1.62e-05 ->
    `$0.0000162`. Not a known cost (None, NaN, negative) -> `cost unknown`.

    `compact` (tables and batch lines) drops trailing zeros and groups thousands: 0.824 ->
    `$0.824`, 0 -> `$0`, 1234.5 -> `$1,234.5`; small amounts keep their SIGNIFICANT digits."""
    cost = known_cost(value)
    if cost is None:
        return COST_UNKNOWN
    if cost == 0:
        return "$0" if compact else f"${cost:.{decimals}f}"
    # the first significant digit is at place -floor(log10); keep SIGNIFICANT from there
    places = max(decimals, -math.floor(math.log10(cost)) + SIGNIFICANT - 1)
    if places > MAX_PLACES:  # a billionth of a cent and less: a row of zeros says nothing
        return f"${cost:.{SIGNIFICANT}g}"
    whole, _, fraction = f"{cost:{',' if compact else ''}.{places}f}".partition(".")
    keep = 0 if compact else decimals
    fraction = fraction[:keep] + fraction[keep:].rstrip("0")
    return f"${whole}.{fraction}" if fraction else f"${whole}"


def usd_total(known: float | None, unknown: bool) -> str:
    """A sum of costs of which some may be unknown: `$0.0123`, `$0.0123 + unknown`, or
    `cost unknown` when no part of it is known to be more than nothing."""
    if not unknown:
        return usd(known)
    if known_cost(known) in (None, 0.0):
        return COST_UNKNOWN
    return f"{usd(known)} + unknown"


def seconds(ms: float | None) -> str:
    """A duration in milliseconds as `1.20s`, `–` when unknown."""
    return UNKNOWN if ms is None else f"{ms / 1000:.2f}s"


def tokens(prompt: int | None, completion: int | None) -> str:
    """`prompt+completion` token counts; `–` for an unknown part, one `–` when neither is known."""
    if prompt is None and completion is None:
        return UNKNOWN
    p = UNKNOWN if prompt is None else str(prompt)
    c = UNKNOWN if completion is None else str(completion)
    return f"{p}+{c}"


def warm_word(warm: bool | None) -> str:
    """`warm`, `cold`, or `warm: unknown` when the provider cannot say."""
    return "warm" if warm else "cold" if warm is False else "warm: unknown"


def provider_text(provider: str, simulated: bool) -> str:
    """The provider's name, with `, simulated` after it for a sim model: `sim, simulated`."""
    return f"{provider}, {SIMULATED}" if simulated else provider
