"""Every number in a task file or the user config is finite: TOML has `nan` and `inf`, and a
`timeout_s = inf` would never fire, a `budget_usd = nan` never stop a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import problems, write

from escalatui.config import ConfigError, load_user_config

TASK = """
name = "t"
chain = ["a"]
budget_usd = {budget}

[models.a]
provider = "sim"
responses = ["hi"]
timeout_s = {value}
idle_timeout_s = {value}
delay_s = {value}
price_in_per_mtok = {value}

[[steps]]
name = "one"
prompt = "Say {{input}}"
checks = [{{ kind = "regex", pattern = "h", timeout_s = {value} }}]
"""


@pytest.mark.parametrize("value", ["inf", "+inf", "nan", "-nan"])
def test_nan_and_inf_are_errors_naming_the_key(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, TASK.format(value=value, budget=value))
    found = problems(path)
    keys = [p.split(":")[0] for p in found if "finite number" in p]
    assert sorted(keys) == [
        "budget_usd",
        "models.a.delay_s",
        "models.a.idle_timeout_s",
        "models.a.price_in_per_mtok",
        "models.a.timeout_s",
        "steps.0.checks.0.timeout_s",
    ]


def test_finite_values_still_load(tmp_path: Path) -> None:
    path = write(tmp_path, TASK.format(value="1.5", budget="0.25"))
    from escalatui.config import load_task

    assert load_task(path).task.models["a"].timeout_s == 1.5


def test_user_config_numbers_are_finite_too(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[models.big]\nprovider = "sim"\nresponses = ["x"]\ntimeout_s = inf\n')
    with pytest.raises(ConfigError, match=r"models\.big\.timeout_s: Input should be a finite"):
        load_user_config(config)
