"""A cold model load shows a spinner and a running clock in the ladder; the screen is drawn
before the engine starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import run_app, run_screen, sim, task, wait_for

from escalatui.engine.events import Tier
from escalatui.tui.screens.run import RunScreen
from escalatui.tui.widgets.ladder import Ladder, loading_name


def ladder_text(app: object) -> str:
    ladder = run_screen(app).query_one("#ladder", Ladder)  # type: ignore[attr-defined]
    return str(ladder.content)


async def test_a_cold_load_shows_a_spinner_and_a_ticking_clock(tmp_path: Path) -> None:
    # a simulated model starts cold, and its first text comes after delay_s: a long load
    loaded = task(tmp_path, {"slow": sim("RIGHT", delay_s=60, label="Slow-7B (local)")})
    app = run_app(loaded, tmp_path / "sessions")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: "loading Slow-7B · " in ladder_text(app), "the loading line")
        first = ladder_text(app)
        assert " s" in first.split("loading Slow-7B · ", 1)[1]
        # the spinner turns and the clock runs while the model loads
        await wait_for(pilot, lambda: ladder_text(app) != first, "the loading line to move")
        await pilot.press("q")


async def test_the_screen_is_laid_out_before_the_engine_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = task(tmp_path, {"m": sim("RIGHT")})
    app = run_app(loaded, tmp_path / "sessions")
    laid_out: list[bool] = []
    real = RunScreen.run_task

    def spy(self: RunScreen) -> object:
        laid_out.append(self.query_one("#ladder", Ladder).region.height > 0)
        return real(self)

    monkeypatch.setattr(RunScreen, "run_task", spy)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = run_screen(app)
        await wait_for(pilot, lambda: screen.worker is not None and not screen.running, "run end")
    assert laid_out == [True]


def test_the_loading_name_is_short() -> None:
    def tier(provider_model: str, label: str = "x (local)") -> Tier:
        return Tier(
            index=0, model="m", provider="embedded", provider_model=provider_model, label=label
        )

    assert loading_name(tier("/models/SmolLM2-135M-Instruct.Q4_1.gguf")) == "SmolLM2-135M-Instruct"
    assert loading_name(tier("(default)", "SmolLM2-135M (local)")) == "SmolLM2-135M"
    assert loading_name(tier("qwen2.5:7b")) == "qwen2.5:7b"
