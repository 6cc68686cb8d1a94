"""A cascade where the cheap tier is right only on some inputs, for batch tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from escalatui.config import LoadedTask, UserConfig
from escalatui.config.models import Task


def tiny(messages: list[dict[str, str]]) -> str:
    """Doubles the number in the prompt, but is wrong on every multiple of 3."""
    n = int(re.findall(r"\d+", messages[-1]["content"])[0])
    return str(2 * n + (1 if n % 3 == 0 else 0))


def big(messages: list[dict[str, str]]) -> str:
    """Always right."""
    return str(2 * int(re.findall(r"\d+", messages[-1]["content"])[0]))


def right(answer: str, context: dict[str, Any]) -> str | None:
    n = int(re.findall(r"\d+", context["input"])[0])
    return None if answer.strip() == str(2 * n) else f"{answer.strip()} is not {2 * n}"


def cascade_task(**fields: Any) -> Task:
    data: dict[str, Any] = {
        "name": "double",
        "chain": ["tiny", "big"],
        "models": {
            "tiny": {"provider": "sim", "respond": "batch_helpers:tiny", "cost_usd": 0.001},
            "big": {"provider": "sim", "respond": "batch_helpers:big", "cost_usd": 0.01},
        },
        "steps": [
            {
                "name": "answer",
                "prompt": "Double {input}",
                "checks": [{"kind": "python", "call": "batch_helpers:right"}],
            }
        ],
    }
    data.update(fields)
    return Task.model_validate(data)


def loaded(task: Task, tmp_path: Path) -> LoadedTask:
    return LoadedTask(tmp_path / "double.toml", task)


def user() -> UserConfig:
    return UserConfig()
