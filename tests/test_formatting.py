"""One way to write each figure: the headless printer, batch output, stats and the TUI all
write costs, durations, tokens and the simulated label through `escalatui.formatting`."""

from __future__ import annotations

import pytest

from escalatui.formatting import (
    COST_UNKNOWN,
    UNKNOWN,
    provider_text,
    seconds,
    tokens,
    usd,
    usd_total,
    warm_word,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0, "$0"),
        (0.824, "$0.824"),
        (2.4, "$2.4"),
        (0.011, "$0.011"),
        (1.62e-05, "$0.0000162"),
        (0.00123, "$0.00123"),
        (1.0, "$1"),
        (1234.5, "$1,234.5"),
        (None, COST_UNKNOWN),
        (float("nan"), COST_UNKNOWN),
        (-1.0, COST_UNKNOWN),
    ],
)
def test_compact_costs_drop_trailing_zeros_but_never_round_a_small_cost_away(
    value: object, shown: str
) -> None:
    assert usd(value, compact=True) == shown


def test_the_batch_line_the_stats_table_and_the_headless_line_agree_on_a_small_cost() -> None:
    from escalatui.batch.economics import Savings

    assert usd(1.62e-05) == usd(1.62e-05, compact=True) == "$0.0000162"
    assert (
        Savings(1.62e-05, None, "no items yet", 0, 0.0, None)
        .line()
        .startswith("cost $0.0000162 · ")
    )
    assert usd_total(1.62e-05, True) == "$0.0000162 + unknown"


def test_unknown_figures_share_one_mark() -> None:
    assert seconds(None) == tokens(None, None) == UNKNOWN == "–"
    assert seconds(1234) == "1.23s"
    assert tokens(None, 4) == "–+4"
    assert warm_word(True) == "warm" and warm_word(False) == "cold"


def test_the_simulated_label_is_spelled_one_way() -> None:
    assert provider_text("sim", True) == "sim, simulated"
    assert provider_text("openai", False) == "openai"


def test_every_place_uses_the_one_label() -> None:
    """No module writes its own variant of the label (`(sim)`, ` (simulated)`, ...)."""
    import ast
    from pathlib import Path

    import escalatui

    root = Path(escalatui.__file__).parent
    spelled: list[str] = []
    for path in root.rglob("*.py"):
        if path.name == "formatting.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.strip(" ,()").lower()
                if text in ("sim", "simulated") and node.value != "sim":
                    spelled.append(f"{path.relative_to(root)}:{node.lineno} {node.value!r}")
    assert not spelled
