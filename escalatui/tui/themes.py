"""Themes are data: TOML file -> Textual `Theme` -> `register_theme`.

Bundled themes are the repo's top-level `themes/`, shipped in the wheel as `escalatui._themes`
(see pyproject.toml); the user's, in `paths.user_themes_dir()`, replace bundled ones of the same
name. The bundled files are trusted (the package's tests validate them) and turned into themes
directly, so opening the app costs no validation library; a user's file is validated
(`theme_file.ThemeFile`): a bad colour falls back and a broken file is skipped, each with a
plain-text notice.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.theme import Theme

from escalatui import paths
from escalatui.inert import inert

if TYPE_CHECKING:
    from escalatui.tui.theme_file import ThemeFile

FALLBACK_THEME = "escalatui-dark"


def bundled_themes_dir() -> Traversable:
    """The themes shipped in the package; in an editable install, the repo's `themes/`."""
    try:
        return resources.files("escalatui._themes")
    except ModuleNotFoundError:  # editable installs cannot map a folder without __init__.py
        return Path(__file__).resolve().parents[2] / "themes"


def load_themes(user_dir: Path | None = None) -> tuple[list[Theme], list[str]]:
    """The bundled themes, then the user's (`user_dir`, default `paths.user_themes_dir()`), and
    one plain-text notice per problem (notify with `markup=False`)."""
    notices: list[str] = []
    found: dict[str, Theme] = {}
    bundled: dict[str, dict[str, Any]] = {}
    for source in _theme_files(bundled_themes_dir(), notices):
        data = _read(source, notices)
        theme = None if data is None else _bundled_theme(data)
        if theme is None and data is not None:  # not as shipped: say why, as for a user's
            checked = _validate(data, source, None, notices)
            theme = None if checked is None else checked.to_theme()
        if theme is not None and data is not None:
            found[theme.name] = theme
            bundled[theme.name] = data
    user_files = _theme_files(user_dir or paths.user_themes_dir(), notices)
    if user_files:
        from escalatui.tui.theme_file import read_theme_file, validate_theme

        fallback_data = bundled.get(FALLBACK_THEME)
        fallback = None if fallback_data is None else validate_theme(fallback_data, "", None, [])
        for source in user_files:
            checked = read_theme_file(source, fallback, notices)
            if checked is not None:
                found[checked.name] = checked.to_theme()
    return list(found.values()), [inert(n) for n in notices]


def register_themes(app: App[Any], user_dir: Path | None = None) -> list[str]:
    """Register every theme on `app`; returns the notices for the app to show."""
    themes, notices = load_themes(user_dir)
    for theme in themes:
        app.register_theme(theme)
    return notices


def _theme_files(directory: Traversable, notices: list[str]) -> list[Traversable]:
    """`*.toml` in `directory` (none if it does not exist), the fallback theme first."""
    try:
        if not directory.is_dir():
            return []
        files = [f for f in directory.iterdir() if f.name.endswith(".toml") and f.is_file()]
    except OSError as exc:
        notices.append(f"Themes folder {directory} could not be read: {exc}")
        return []
    return sorted(files, key=lambda f: (f.name != f"{FALLBACK_THEME}.toml", f.name))


def _read(source: Traversable, notices: list[str]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        notices.append(f"Theme file {source} skipped: not readable TOML ({exc}).")
        return None


def _bundled_theme(data: dict[str, Any]) -> Theme | None:
    """A shipped theme file as a Textual theme, trusting its values; None when it does not even
    have the shape of one (then it is validated, to say what is wrong)."""
    try:
        return Theme(**data)
    except (TypeError, ValueError):
        return None


def _validate(
    data: dict[str, Any], source: Traversable, fallback: ThemeFile | None, notices: list[str]
) -> ThemeFile | None:
    from escalatui.tui.theme_file import validate_theme

    return validate_theme(data, source, fallback, notices)
