"""Headless batch output: a line per item as it ends, a progress line on stderr when it is a
terminal, and a closing table of the tiers with the economics line (or JSON, an event a line)."""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from escalatui.batch.events import BatchEvent, BatchFinished, BatchStarted, ItemFinished
from escalatui.formatting import UNKNOWN, seconds, usd
from escalatui.inert import inert


class BatchPrinter:
    """Consumes batch events; `json_mode` prints one JSON object per batch event."""

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        json_mode: bool = False,
        progress: bool | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.json_mode = json_mode
        self.progress = self.err.isatty() if progress is None else progress
        self.total = 0
        self.done = 0
        self._t0 = time.monotonic()
        self._progress_shown = False

    def __call__(self, event: BatchEvent) -> None:
        if self.json_mode:
            self._json(event)
            return
        match event:
            case BatchStarted():
                self.total = event.total
                skipped = f", {event.skipped} already done" if event.skipped else ""
                self._line(
                    f"batch {inert(event.task_name)}: {event.total} item(s){skipped}, "
                    f"{event.concurrency} at once"
                )
            case ItemFinished():
                self.done += 1
                self._clear_progress()
                self._line(item_line(event))
                self._show_progress()
            case BatchFinished():
                self._clear_progress()
                self._line(summary(event))

    def _json(self, event: BatchEvent) -> None:
        record: dict[str, object]
        match event:
            case BatchStarted():
                record = {"type": "batch", **vars(event), "steps": list(event.steps)}
            case ItemFinished():
                record = {"type": "item", **event.result}
            case BatchFinished():
                record = {
                    "type": "batch_finished",
                    "status": event.status,
                    "counts": event.counts,
                    "tiers": [{**vars(t), "accept_rate": t.accept_rate} for t in event.tiers],
                    "cost_usd": event.savings.cascade_usd,
                    "top_tier_only_usd": event.savings.top_only_usd,
                    "estimate": event.savings.method,
                    "samples": event.savings.samples,
                    "saved": event.savings.saved_fraction,
                    "escalation_rate": event.savings.escalation_rate,
                    "break_even_rate": event.savings.break_even_rate,
                    "unknown_costs": event.unknown_costs,
                    "duration_ms": event.duration_ms,
                }
            case _:
                return
        self.out.write(json.dumps(record, ensure_ascii=True, allow_nan=False) + "\n")
        self.out.flush()

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _show_progress(self) -> None:
        if not self.progress or not self.total:
            return
        elapsed = time.monotonic() - self._t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else None
        eta = f" · ETA {left:.0f}s" if left is not None else ""
        self.err.write(f"\r{self.done}/{self.total} · {rate:.1f} items/s{eta}\x1b[K")
        self.err.flush()
        self._progress_shown = True

    def _clear_progress(self) -> None:
        if self._progress_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._progress_shown = False


def item_line(event: ItemFinished) -> str:
    """`[id] accepted by big · 2 attempt(s) · $0.011 · 1.20s`"""
    r = event.result
    by = ", ".join(sorted(set(r["answered_by"].values())))
    who = f" by {inert(by)}" if by and r["status"] == "accepted" else ""
    cost = usd(r["cost_usd"], compact=True)
    line = (
        f"[{inert(r['id'])}] {r['status']}{who} · {r['attempts']} attempt(s) · {cost} · "
        f"{seconds(r['duration_ms'])}"
    )
    if r["status"] != "accepted" and r.get("error"):
        line += f"\n    {inert(r['error'])}"
    return line


def summary(event: BatchFinished) -> str:
    """The closing table: per tier attempts, accepted, accept rate, cost; then the savings."""
    counts = ", ".join(f"{n} {status}" for status, n in event.counts.items()) or "nothing run"
    lines = [f"batch {event.status}: {counts} in {event.duration_ms / 1000:.1f}s"]
    if event.tiers:
        lines.append(
            f"  {'tier':<4} {'model':<20} {'attempts':>8} {'accepted':>8} {'rate':>6} {'cost':>10}"
        )
        for t in sorted(event.tiers, key=lambda t: (t.tier, t.model)):
            rate = UNKNOWN if t.accept_rate is None else f"{t.accept_rate:.0%}"
            cost = usd(t.cost_usd, compact=True) + ("+?" if t.unknown_costs else "")
            lines.append(
                f"  {t.tier + 1:<4} {inert(t.model)[:20]:<20} {t.attempts:>8} {t.accepted:>8} "
                f"{rate:>6} {cost:>10}"
            )
    lines.append("  " + event.savings.line(event.unknown_costs))
    return "\n".join(lines)
