"""What a cascade cost, against what the top tier alone would have cost.

The cascade pays for everything: failed cheap attempts, retries and judge checks
(cost = cheap + escalation rate × (verifier + strong)). The top-tier-only figure is an
estimate, and says how it was made and on how many samples: the observed cost of top-tier
attempts, or where none was observed, configured prices × the tokens the items used."""

from __future__ import annotations

from dataclasses import dataclass, field

from escalatui.engine.money import known_cost
from escalatui.formatting import usd


@dataclass(frozen=True)
class AttemptFact:
    """One attempt as the economics sees it."""

    item: str
    step: str
    model: str
    tier: int
    """0 for the cheapest tier of the step's chain."""
    top: bool
    """The last tier of the step's chain: what a top-tier-only run would have called."""
    cost_usd: float | None
    accepted: bool
    check_cost_usd: float = 0.0
    """What the checks of this attempt cost (an LLM judge)."""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    first: bool = False
    """The item's first attempt on this step (its tokens feed the prices × tokens estimate)."""


@dataclass
class TierFigures:
    """Live figures for one tier (a model at a rung)."""

    model: str
    tier: int
    attempts: int = 0
    accepted: int = 0
    cost_usd: float = 0.0
    unknown_costs: int = 0

    @property
    def accept_rate(self) -> float | None:
        return self.accepted / self.attempts if self.attempts else None


@dataclass(frozen=True)
class TopPrice:
    """The top tier's configured prices (USD per million tokens), for the estimate."""

    model: str
    price_in_per_mtok: float
    price_out_per_mtok: float


@dataclass
class Ledger:
    """Every attempt of a batch folded into per-tier figures and running sums (constant memory
    per tier, whatever the number of items), and the savings estimate over them."""

    tiers: dict[tuple[str, int], TierFigures] = field(default_factory=dict)
    items: int = 0
    escalated: int = 0
    cascade_usd: float = 0.0
    unknown_costs: int = 0
    below_top_usd: float = 0.0
    checks_usd: float = 0.0
    top_usd: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Per step: total observed cost of top-tier attempts, and how many."""
    tokens: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Per step: prompt and completion tokens of items' first attempts, and how many."""

    def add(self, fact: AttemptFact) -> None:
        key = (fact.model, fact.tier)
        figures = self.tiers.get(key) or self.tiers.setdefault(key, TierFigures(*key))
        figures.attempts += 1
        figures.accepted += fact.accepted
        cost = known_cost(fact.cost_usd)
        if cost is None:
            figures.unknown_costs += 1
            self.unknown_costs += 1
        else:
            figures.cost_usd += cost
        check = known_cost(fact.check_cost_usd) or 0.0
        self.cascade_usd += (cost or 0.0) + check
        self.checks_usd += check
        if fact.top:
            if cost is not None:
                total, count = self.top_usd.get(fact.step, (0.0, 0))
                self.top_usd[fact.step] = (total + cost, count + 1)
        else:
            self.below_top_usd += cost or 0.0
        if fact.first and fact.prompt_tokens is not None and fact.completion_tokens is not None:
            p, c, n = self.tokens.get(fact.step, (0, 0, 0))
            self.tokens[fact.step] = (p + fact.prompt_tokens, c + fact.completion_tokens, n + 1)

    def item_done(self, escalated: bool) -> None:
        """An item (a run) ended; `escalated` when any of its steps reached a higher tier."""
        self.items += 1
        self.escalated += escalated

    def savings(self, steps: list[str], prices: dict[str, TopPrice] | None = None) -> Savings:
        """The estimate over the items ended so far, for a task with these steps."""
        n = self.items
        if not n:
            return Savings(self.cascade_usd, None, "no items yet", 0, 0.0, None)
        top_total = 0.0
        methods: list[str] = []
        samples = 0
        for step in steps:
            total, count = self.top_usd.get(step, (0.0, 0))
            if count:
                top_total += n * total / count
                samples += count
                methods.append("observed")
                continue
            price = (prices or {}).get(step)
            p, c, used = self.tokens.get(step, (0, 0, 0))
            if price is None or not used:
                return Savings(
                    self.cascade_usd, None, _unknown_why(step, price), samples, 0.0, None
                )
            per_item = (p * price.price_in_per_mtok + c * price.price_out_per_mtok) / used / 1e6
            top_total += n * per_item
            samples += used
            methods.append("prices × tokens")
        method = " and ".join(dict.fromkeys(methods))
        rate = self.escalated / n
        return Savings(
            self.cascade_usd, top_total, method, samples, rate, self._break_even(n, top_total)
        )

    def _break_even(self, n: int, top_total: float) -> float | None:
        """The escalation rate at which the cascade costs what the top tier alone does:
        cheap + e × (verifier + strong) = strong, per item."""
        strong = top_total / n
        cheap = self.below_top_usd / n
        verifier = self.checks_usd / n
        if strong + verifier <= 0:
            return None
        return max(0.0, min(1.0, (strong - cheap) / (strong + verifier)))


@dataclass(frozen=True)
class Savings:
    cascade_usd: float
    top_only_usd: float | None
    method: str
    samples: int
    escalation_rate: float
    break_even_rate: float | None

    @property
    def saved_fraction(self) -> float | None:
        if self.top_only_usd is None or self.top_only_usd <= 0:
            return None
        return (self.top_only_usd - self.cascade_usd) / self.top_only_usd

    def line(self, unknown_costs: int = 0) -> str:
        """`cost $X · top tier only ≈ $Y · saved Z%`, with how Y was estimated."""
        cost = f"cost {usd(self.cascade_usd, compact=True)}"
        if unknown_costs:
            cost += f" + {unknown_costs} unknown"
        if self.top_only_usd is None:
            return f"{cost} · top tier only: unknown ({self.method})"
        head = f"{cost} · top tier only ≈ {usd(self.top_only_usd, compact=True)}"
        how = f"({self.method}, {self.samples} sample{'s' if self.samples != 1 else ''})"
        saved = self.saved_fraction
        if saved is None:
            return f"{head} {how}"
        if saved >= 0:
            return f"{head} · saved {saved:.0%} {how}"
        text = f"{head} · the cascade cost {-saved:.0%} MORE than the top tier alone {how}"
        text += f"; escalation rate {self.escalation_rate:.0%}"
        if self.break_even_rate is not None:
            text += f", break-even at {self.break_even_rate:.0%}"
        return text


def _unknown_why(step: str, price: TopPrice | None) -> str:
    if price is None:
        return f"no top-tier attempt on step {step!r} yet and no prices configured for it"
    return f"no token counts on step {step!r} yet"
