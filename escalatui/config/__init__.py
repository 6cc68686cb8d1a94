"""Task files and user config: models, loading, validation.

The names below load on first use: the models need pydantic (~0.1 s to import), which the
home screen does not need before its first frame.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escalatui.config.errors import ConfigError, Problem
    from escalatui.config.loader import LoadedTask, load_task, load_user_config
    from escalatui.config.models import ModelSpec, Step, Task, UserConfig

_HOMES = {
    "ConfigError": "errors",
    "Problem": "errors",
    "LoadedTask": "loader",
    "load_task": "loader",
    "load_user_config": "loader",
    "ModelSpec": "models",
    "Step": "models",
    "Task": "models",
    "UserConfig": "models",
}

__all__ = [
    "ConfigError",
    "LoadedTask",
    "ModelSpec",
    "Problem",
    "Step",
    "Task",
    "UserConfig",
    "load_task",
    "load_user_config",
]


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
