"""Every directory and file location escalatui uses, in one place (tests patch these)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "escalatui"


def config_file() -> Path:
    """The user config file: `ESCALATUI_CONFIG`, else `config.toml` in the user config dir."""
    env = os.environ.get("ESCALATUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def session_dir() -> Path:
    """Where session logs go: `ESCALATUI_SESSION_DIR`, else the user data dir."""
    env = os.environ.get("ESCALATUI_SESSION_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP)) / "sessions"


def tasks_dir() -> Path:
    """The user's own task files."""
    return Path(platformdirs.user_config_dir(APP)) / "tasks"


def user_themes_dir() -> Path:
    """The user's own themes (TOML files)."""
    return Path(platformdirs.user_config_dir(APP)) / "themes"


def examples_dir() -> Path:
    """Task files bundled with the package (the demo among them)."""
    return Path(__file__).parent / "examples"
