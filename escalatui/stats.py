"""`escalatui stats`: what saved sessions say about each task's chain. Per task × step × model
the attempts, acceptances, accept rate, durations and first-token times, cost; the savings
estimate; and suggestions where a tier is paid for and never accepted."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from escalatui.batch.economics import AttemptFact, Ledger, Savings
from escalatui.engine.history import AcceptHistory
from escalatui.engine.money import known_cost
from escalatui.files import NotRegularFile
from escalatui.formatting import UNKNOWN, seconds, usd
from escalatui.session.reader import summary_records

SUGGEST_MIN_ATTEMPTS = 5
"""A tier that accepted nothing in at least this many attempts is worth a suggestion."""


@dataclass
class ModelStats:
    task: str
    step: str
    model: str
    tier: int
    top: bool
    attempts: int = 0
    accepted: int = 0
    cost_usd: float = 0.0
    unknown_costs: int = 0
    durations_ms: list[int] = field(default_factory=list)
    ttfts_ms: list[int] = field(default_factory=list)

    @property
    def accept_rate(self) -> float | None:
        return self.accepted / self.attempts if self.attempts else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "step": self.step,
            "model": self.model,
            "tier": self.tier,
            "attempts": self.attempts,
            "accepted": self.accepted,
            "accept_rate": self.accept_rate,
            "duration_ms": {"median": _median(self.durations_ms), "p90": _p90(self.durations_ms)},
            "ttft_ms": {"median": _median(self.ttfts_ms), "p90": _p90(self.ttfts_ms)},
            "cost_usd": self.cost_usd,
            "unknown_costs": self.unknown_costs,
        }


@dataclass
class Stats:
    sessions: int = 0
    problems: list[str] = field(default_factory=list)
    models: dict[tuple[str, str, str, int], ModelStats] = field(default_factory=dict)
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    steps: dict[str, list[str]] = field(default_factory=dict)
    chains: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def savings(self, task: str) -> Savings:
        return self.ledgers[task].savings(self.steps.get(task, []))

    def suggestions(self) -> list[str]:
        out = []
        for m in sorted(self.models.values(), key=lambda m: (m.task, m.step, m.tier)):
            chain = self.chains.get((m.task, m.step), [])
            if m.top or m.accepted or m.attempts < SUGGEST_MIN_ATTEMPTS or m.tier + 1 >= len(chain):
                continue
            spent_s = sum(m.durations_ms) / 1000
            out.append(
                f"{m.task}: tier `{m.model}` accepted 0 of {m.attempts} on step `{m.step}`: "
                f"starting at `{chain[m.tier + 1]}` would have saved {m.attempts} attempts "
                f"({spent_s:.0f} s, {usd(m.cost_usd, compact=True)})"
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "models": [m.as_dict() for m in self.models.values()],
            "savings": {task: _savings_dict(self.savings(task)) for task in self.ledgers},
            "suggestions": self.suggestions(),
            "problems": self.problems,
        }


def parse_since(text: str) -> str:
    """A date or ISO date-time as the UTC ISO prefix sessions are compared with."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since takes a date like 2026-11-30 or 2026-11-30T12:00 ({text!r})"
        ) from None
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def collect(
    directories: Iterable[Path], task: str | None = None, since: str | None = None
) -> Stats:
    """Stats over every session in `directories` (the sessions of several shards together)."""
    stats = Stats()
    for directory in directories:
        for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else []:
            try:
                records = list(_records(path))
            except (OSError, ValueError) as exc:
                stats.problems.append(f"{path}: {exc}")
                continue
            _fold(stats, records, task, since)
    return stats


def history_from_sessions(directory: Path, task: str) -> AcceptHistory:
    """Accept outcomes of `task`'s attempts in saved sessions, oldest first, for learned
    chains; unreadable files are passed over (they only make the history shorter)."""
    history = AcceptHistory()
    if not directory.is_dir():
        return history
    dated = []
    for path in directory.glob("*.jsonl"):
        try:
            dated.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for _, path in sorted(dated):
        try:
            records = list(_records(path))
        except (OSError, ValueError):
            continue
        head = next((r for r in records if r.get("type") == "session"), None)
        if head is None or head.get("task_name") != task:
            continue
        for r in records:
            if r.get("type") == "attempt":
                history.record(
                    task, str(r.get("step")), str(r.get("model")), r.get("verdict") == "accept"
                )
    return history


def _records(path: Path) -> Iterator[dict[str, Any]]:
    try:
        yield from summary_records(path)
    except NotRegularFile as exc:
        raise ValueError(f"{exc.strerror}; skipped") from None


def _fold(stats: Stats, records: list[dict[str, Any]], task: str | None, since: str | None) -> None:
    head = next((r for r in records if r.get("type") == "session"), None)
    if head is None:
        return
    name = str(head.get("task_name", "?"))
    started = str(head.get("started_at", ""))
    if (task is not None and name != task) or (since is not None and started < since):
        return
    stats.sessions += 1
    run_id = str(head.get("run_id", ""))
    ledger = stats.ledgers.setdefault(name, Ledger())
    steps = head.get("steps")
    if isinstance(steps, list):
        stats.steps.setdefault(name, [str(s) for s in steps])
    escalated = False
    for record in records:
        kind = record.get("type")
        if kind == "step":
            chain = record.get("chain")
            if isinstance(chain, list):
                models = [str(t.get("model")) for t in chain if isinstance(t, dict)]
                stats.chains[(name, str(record.get("step")))] = models
        elif kind == "attempt":
            _add_attempt(stats, ledger, name, run_id, record)
            escalated = escalated or bool(_int(record.get("tier")))
    ledger.item_done(escalated)


def _add_attempt(stats: Stats, ledger: Ledger, task: str, run_id: str, r: dict[str, Any]) -> None:
    step, model, tier = str(r.get("step")), str(r.get("model")), _int(r.get("tier"))
    if tier is None:
        return
    chain = stats.chains.get((task, step), [])
    top = tier == len(chain) - 1
    key = (task, step, model, tier)
    m = stats.models.get(key) or stats.models.setdefault(
        key, ModelStats(task, step, model, tier, top)
    )
    m.attempts += 1
    accepted = r.get("verdict") == "accept"
    m.accepted += accepted
    cost = known_cost(r.get("cost_usd"))
    if cost is None:
        m.unknown_costs += 1
    else:
        m.cost_usd += cost
    if (d := _int(r.get("duration_ms"))) is not None:
        m.durations_ms.append(d)
    if (t := _int(r.get("ttft_ms"))) is not None:
        m.ttfts_ms.append(t)
    found = r.get("checks")
    checks: list[Any] = found if isinstance(found, list) else []
    check_cost = sum(known_cost(c.get("cost_usd")) or 0.0 for c in checks if isinstance(c, dict))
    ledger.add(
        AttemptFact(
            run_id,
            step,
            model,
            tier,
            top,
            cost,
            accepted,
            check_cost,
            _int(r.get("prompt_tokens")),
            _int(r.get("completion_tokens")),
        )
    )


def render(stats: Stats) -> str:
    """The plain-text report."""
    if not stats.sessions:
        return "no sessions match"
    lines = [f"{stats.sessions} session(s)"]
    header = (
        f"  {'step':<14} {'tier':>4} {'model':<18} {'attempts':>8} {'accepted':>8} {'rate':>5} "
        f"{'median':>8} {'p90':>8} {'ttft':>7} {'cost':>10}"
    )
    for task in sorted(stats.ledgers):
        lines += ["", f"task {task}", header]
        rows = [m for m in stats.models.values() if m.task == task]
        for m in sorted(
            rows,
            key=lambda m: (
                stats.steps.get(task, []).index(m.step)
                if m.step in stats.steps.get(task, [])
                else 99,
                m.tier,
            ),
        ):
            rate = UNKNOWN if m.accept_rate is None else f"{m.accept_rate:.0%}"
            lines.append(
                f"  {m.step[:14]:<14} {m.tier + 1:>4} {m.model[:18]:<18} {m.attempts:>8} "
                f"{m.accepted:>8} {rate:>5} {seconds(_median(m.durations_ms)):>8} "
                f"{seconds(_p90(m.durations_ms)):>8} {seconds(_median(m.ttfts_ms)):>7} "
                f"{usd(m.cost_usd, compact=True) + ('+?' if m.unknown_costs else ''):>10}"
            )
        lines.append("  " + stats.savings(task).line(stats.ledgers[task].unknown_costs))
    suggestions = stats.suggestions()
    if suggestions:
        lines += ["", "suggestions:"] + [f"  {s}" for s in suggestions]
    return "\n".join(lines)


def _savings_dict(s: Savings) -> dict[str, Any]:
    return {
        "cost_usd": s.cascade_usd,
        "top_tier_only_usd": s.top_only_usd,
        "saved": s.saved_fraction,
        "estimate": s.method,
        "samples": s.samples,
        "escalation_rate": s.escalation_rate,
        "break_even_rate": s.break_even_rate,
    }


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def _p90(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)])
