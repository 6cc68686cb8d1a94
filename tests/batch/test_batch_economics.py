"""The savings line: what the cascade paid against the top tier alone, said plainly."""

from __future__ import annotations

import math

import pytest

from escalatui.batch.economics import AttemptFact, Ledger, TopPrice


def fact(item: str, tier: int, cost: float | None, accepted: bool, **kw: object) -> AttemptFact:
    model = ["tiny", "big"][tier]
    first = tier == 0
    return AttemptFact(item, "answer", model, tier, tier == 1, cost, accepted, first=first, **kw)  # type: ignore[arg-type]


def items_done(ledger: Ledger, n: int, escalated: int) -> None:
    for k in range(n):
        ledger.item_done(k < escalated)


def test_cheap_tier_takes_most_items_and_saves() -> None:
    ledger = Ledger()
    for i in range(8):  # the cheap tier answers 8 of 10 items
        ledger.add(fact(f"i{i}", 0, 0.001, True))
    for i in (8, 9):  # two escalate: a failed cheap attempt, then the big model
        ledger.add(fact(f"i{i}", 0, 0.001, False))
        ledger.add(fact(f"i{i}", 1, 0.02, True))
    items_done(ledger, 10, 2)
    s = ledger.savings(["answer"])
    assert s.cascade_usd == pytest.approx(10 * 0.001 + 2 * 0.02)
    assert s.top_only_usd == pytest.approx(10 * 0.02)
    assert s.saved_fraction == pytest.approx(1 - 0.05 / 0.2)
    assert s.escalation_rate == pytest.approx(0.2)
    assert s.line() == "cost $0.05 · top tier only ≈ $0.2 · saved 75% (observed, 2 samples)"
    tiny = ledger.tiers[("tiny", 0)]
    assert (tiny.attempts, tiny.accepted, tiny.accept_rate) == (10, 8, 0.8)


def test_negative_savings_are_said_plainly_with_the_break_even_rate() -> None:
    ledger = Ledger()
    for i in range(4):  # every item fails cheaply, then the judge and the big model run
        ledger.add(fact(f"i{i}", 0, 0.01, False))
        ledger.add(fact(f"i{i}", 1, 0.02, True, check_cost_usd=0.005))
    items_done(ledger, 4, 4)
    s = ledger.savings(["answer"])
    assert s.saved_fraction is not None and s.saved_fraction < 0
    line = s.line()
    assert "MORE than the top tier alone" in line
    assert "escalation rate 100%" in line
    # cheap + e * (verifier + strong) = strong: 0.01 + e * 0.025 = 0.02 -> e = 40%
    assert s.break_even_rate == pytest.approx(0.4)
    assert "break-even at 40%" in line


def test_without_top_tier_samples_prices_times_tokens_estimate_it() -> None:
    ledger = Ledger()
    ledger.add(fact("a", 0, 0.0, True, prompt_tokens=1000, completion_tokens=500))
    ledger.add(fact("b", 0, 0.0, True, prompt_tokens=3000, completion_tokens=1500))
    items_done(ledger, 2, 0)
    assert ledger.savings(["answer"]).top_only_usd is None
    assert "no prices configured" in ledger.savings(["answer"]).line()
    s = ledger.savings(["answer"], {"answer": TopPrice("big", 3.0, 15.0)})
    # mean 2000 in, 1000 out per item, two items
    assert s.top_only_usd == pytest.approx(2 * (2000 * 3 + 1000 * 15) / 1e6)
    assert s.method == "prices × tokens" and s.samples == 2
    assert s.line().startswith("cost $0 · top tier only ≈ $0.042 · saved 100%")


@pytest.mark.parametrize("garbage", [math.nan, math.inf, -1.0, None])
def test_garbage_costs_are_unknown_never_nan(garbage: float | None) -> None:
    ledger = Ledger()
    ledger.add(fact("a", 0, garbage, False))
    ledger.add(fact("a", 1, 0.01, True))
    items_done(ledger, 1, 1)
    s = ledger.savings(["answer"])
    assert math.isfinite(s.cascade_usd) and s.cascade_usd == pytest.approx(0.01)
    assert ledger.unknown_costs == 1
    assert "+ 1 unknown" in s.line(ledger.unknown_costs)


def test_small_costs_are_not_rounded_away() -> None:
    ledger = Ledger()
    ledger.add(fact("a", 1, 1.62e-05, True))
    items_done(ledger, 1, 1)
    assert "$0.0000162" in ledger.savings(["answer"]).line()
