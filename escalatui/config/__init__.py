"""Task files and user config: models, loading, validation."""

from escalatui.config.errors import ConfigError, Problem
from escalatui.config.loader import LoadedTask, load_task, load_user_config
from escalatui.config.models import ModelSpec, Step, Task, UserConfig

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
