"""Check kinds register once: the kinds task files may name, their models, their load-time
validation and their runners all come from the same keys."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from escalatui.clients.registry import ClientPool
from escalatui.config.models import CHECK_KINDS, CHECK_MODELS, Check, JudgeCheck, RegexCheck
from escalatui.engine.checks import RUNNERS, CheckRunner

pytestmark = pytest.mark.timeout(30)


def test_every_kind_has_a_model_and_a_runner_and_no_more() -> None:
    assert set(RUNNERS) == set(CHECK_MODELS) == set(CHECK_KINDS)
    assert len(CHECK_KINDS) == len(get_args(get_args(Check)[0]))
    for kind, model in CHECK_MODELS.items():
        assert model.model_fields["kind"].annotation.__args__ == (kind,)  # type: ignore[union-attr]


def test_load_time_validation_lives_on_the_check_model() -> None:
    bad = RegexCheck(kind="regex", pattern="(")
    assert [key for key, _ in bad.problems([])] == ["pattern"]
    judge = JudgeCheck(kind="judge", model="big", criteria="c")
    assert judge.problems(["big"]) == []
    assert "unknown judge model 'big' (defined: none)" in judge.problems([])[0][1]


async def test_the_runner_dispatches_by_kind(tmp_path: Path) -> None:
    runner = CheckRunner(ClientPool({}), tmp_path)
    try:
        checks = [
            CHECK_MODELS["contains"](kind="contains", text="ok"),  # type: ignore[call-arg]
            CHECK_MODELS["json"](kind="json"),  # type: ignore[call-arg]
        ]
        outcomes = await runner.run(checks, '"ok"', {})  # type: ignore[arg-type]
    finally:
        await runner.aclose()
    assert [(o.kind, o.passed) for o in outcomes] == [("contains", True), ("json", True)]
