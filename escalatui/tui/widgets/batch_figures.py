"""The batch's live figures: progress (done/total, items/s, ETA), per tier attempts, accepted,
accept rate and cost, and the economics line against the top tier alone."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from escalatui.batch.economics import Savings, TierFigures
from escalatui.formatting import UNKNOWN, usd
from escalatui.tui.display import Display, screen_text


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    running: int = 0
    waiting: int = 0
    skipped: int = 0
    elapsed_s: float = 0.0
    paused: bool = False
    status: str = "running"
    """running, done, cancelled, budget (how the batch ended), cancelling."""


def progress_line(p: Progress, display: Display) -> Content:
    """`12/100 done · 3 running · 2.4 items/s · ETA 0:37` (and paused/ended)."""
    parts: list[str | tuple[str, str]] = [(f"{p.done}/{p.total}", "bold"), " done"]
    if p.skipped:
        parts.append(f" (+{p.skipped} from before)")
    if p.status == "running":
        parts.append(f" · {p.running} running")
        if display.frozen:
            rate = 1.0
        else:
            rate = p.done / p.elapsed_s if p.elapsed_s > 0 else 0.0
        parts.append(f" · {rate:.1f} items/s")
        if rate > 0 and p.done < p.total:
            parts.append(f" · ETA {display.elapsed((p.total - p.done) / rate)}")
        if p.paused:
            parts.append((" · PAUSED: no new item starts", "bold $text-warning"))
    else:
        style = "bold $text-success" if p.status == "done" else "bold $text-warning"
        words = {
            "done": "finished",
            "cancelled": "cancelled",
            "budget": "stopped: --budget-total reached",
            "cancelling": "cancelling the running items…",
        }
        parts.append((f" · {words.get(p.status, p.status)}", style))
        parts.append(f" in {display.elapsed(p.elapsed_s)}")
    return Content.assemble(*parts)


def tiers_table(tiers: list[TierFigures]) -> Content:
    """One line per tier (cheapest first): attempts, accepted, accept rate, cost."""
    head = f"{'tier':<5}{'model':<16}{'attempts':>9}{'accepted':>9}{'rate':>6}{'cost':>11}"
    lines: list[str | tuple[str, str]] = [(head, "$text-muted")]
    for t in sorted(tiers, key=lambda t: (t.tier, t.model)):
        rate = UNKNOWN if t.accept_rate is None else f"{t.accept_rate:.0%}"
        cost = usd(t.cost_usd, compact=True) + ("+?" if t.unknown_costs else "")
        lines.append(
            f"\n{t.tier + 1:<5}{screen_text(t.model)[:15]:<16}{t.attempts:>9}{t.accepted:>9}"
            f"{rate:>6}{cost:>11}"
        )
    if not tiers:
        lines.append(("\nno attempt decided yet", "$text-muted"))
    return Content.assemble(*lines)


def savings_lines(savings: Savings, unknown_costs: int) -> Content:
    """The economics line; plainly negative when the cascade cost more; the escalation rate
    and where the cascade would break even."""
    line = screen_text(savings.line(unknown_costs))
    saved = savings.saved_fraction
    style = "bold $text-error" if saved is not None and saved < 0 else "bold"
    parts: list[str | tuple[str, str]] = [(line, style)]
    if savings.top_only_usd is not None and (saved is None or saved >= 0):
        rate = f"escalation rate {savings.escalation_rate:.0%}"
        if savings.break_even_rate is not None:
            rate += f" · break-even at {savings.break_even_rate:.0%}"
        parts.append((f"\n{rate}", "$text-muted"))
    return Content.assemble(*parts)


class BatchFigures(Static):
    """Progress, tiers and savings in one panel; `show()` redraws it."""

    DEFAULT_CSS = """
    BatchFigures { height: auto; }
    """

    def __init__(self, display: Display, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.display_format = display
        self.text = ""
        """What the panel shows, as plain text."""

    def show(
        self, progress: Progress, tiers: list[TierFigures], savings: Savings, unknown: int
    ) -> None:
        content = Content("\n").join(
            [
                progress_line(progress, self.display_format),
                tiers_table(tiers),
                savings_lines(savings, unknown),
            ]
        )
        self.text = content.plain
        self.update(content)
