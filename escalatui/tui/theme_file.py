"""A user's theme file, validated: bad colours fall back to the default theme's, with a notice.

Imported only when the user has theme files: pydantic costs ~0.1 s to import, and the bundled
themes (shipped with the package, checked by its tests) do not need it before the first frame.
"""

from __future__ import annotations

import re
import tomllib
from importlib.resources.abc import Traversable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.theme import Theme

FALLBACK_THEME = "escalatui-dark"
COLOUR_FIELDS: tuple[str, ...] = ("primary", "secondary", "accent", "foreground", "background")
COLOUR_FIELDS += ("surface", "panel", "boost", "success", "warning", "error")
_ALPHA = re.compile(r"\d{1,3}(\.\d+)?%")


def is_colour(text: str) -> bool:
    """Textual can parse it as a colour (`#5ba4d9`, `rgb(1,2,3)`, `red`, `ansi_red`, ...)."""
    try:
        Color.parse(text)
    except ColorParseError:
        return False
    return True


def variable_ok(name: str, value: str) -> bool:
    """Style variables (`*-text-style`, `link-style`) take style words (`bold reverse`); the rest
    a colour or `auto`, with an optional alpha (`#5ba4d9 35%`)."""
    words = value.split()
    if "style" in name:
        return bool(words) and all(word in VALID_STYLE_FLAGS for word in words)
    if len(words) == 2 and _ALPHA.fullmatch(words[1]):
        words = words[:1]
    return len(words) == 1 and (words[0] == "auto" or is_colour(words[0]))


class ThemeFile(BaseModel):
    """One theme file. Colours left out are derived by Textual from the ones given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    """Chosen by `--theme`, the config's `theme` or the palette; a bundled name is replaced."""
    dark: bool = True
    """A dark theme (light text on dark ground) or a light one; shades are derived from it."""
    primary: str
    """The main colour: focus borders, the cursor, the active tier of the chain."""
    secondary: str | None = None
    """A second brand colour, used sparingly."""
    accent: str | None = None
    """Draws the eye: footer keys, highlights, escalation."""
    foreground: str | None = None
    """Default text colour."""
    background: str | None = None
    """The screen behind everything."""
    surface: str | None = None
    """The ground of widgets."""
    panel: str | None = None
    """Panels, headers and the footer, set apart from the surface."""
    boost: str | None = None
    """A translucent tint lifting a widget off its ground (best left unset)."""
    success: str | None = None
    """Accepted answers and passing checks."""
    warning: str | None = None
    """Retries, slow or cold models, budgets running out."""
    error: str | None = None
    """Failed checks, provider errors, aborts."""
    text_alpha: float = Field(default=0.95, ge=0, le=1)
    """Opacity of ordinary text (1.0 for full contrast)."""
    variables: dict[str, str] = {}
    """Overrides of Textual's derived variables, e.g. `footer-key-foreground = "#f2a65a"`."""

    @field_validator(*COLOUR_FIELDS)
    @classmethod
    def _check_colour(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or is_colour(value):
            return value
        field = str(info.field_name)
        return _fall_back(info, field, value, getattr(_fallback_theme(info), field, None))

    @field_validator("variables")
    @classmethod
    def _check_variables(cls, variables: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        defaults = getattr(_fallback_theme(info), "variables", {})
        checked = {name: value for name, value in variables.items() if variable_ok(name, value)}
        for name in [name for name in variables if name not in checked]:
            fixed = _fall_back(info, f"variables.{name}", variables[name], defaults.get(name))
            if fixed is not None:
                checked[name] = fixed
        return checked

    def to_theme(self) -> Theme:
        """The Textual theme."""
        return Theme(**self.model_dump())


def _fallback_theme(info: ValidationInfo) -> ThemeFile | None:
    return (info.context or {}).get("fallback")


def _fall_back(info: ValidationInfo, field: str, value: str, replacement: str | None) -> str | None:
    """With a loading context, note the bad colour and use `replacement` (None: let Textual derive
    it); without one, or for the required primary colour with no replacement, reject it."""
    kind = "text style" if "style" in field else "colour"
    if info.context is None or (field == "primary" and replacement is None):
        raise ValueError(f"{value!r} is not a {kind}")
    used = f"{replacement!r} from {FALLBACK_THEME}" if replacement else "the default"
    info.context["fixes"].append(f"{field} = {value!r} is not a {kind}; using {used}.")
    return replacement


def read_theme_file(
    source: Traversable, fallback: ThemeFile | None, notices: list[str]
) -> ThemeFile | None:
    """The validated theme in `source`; None (and a notice) when it cannot be used."""
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        notices.append(f"Theme file {source} skipped: not readable TOML ({exc}).")
        return None
    return validate_theme(data, source, fallback, notices)


def validate_theme(
    data: dict[str, object], source: object, fallback: ThemeFile | None, notices: list[str]
) -> ThemeFile | None:
    """`data` (a theme file's TOML) as a `ThemeFile`, bad colours replaced by `fallback`'s."""
    fixes: list[str] = []
    try:
        theme = ThemeFile.model_validate(data, context={"fallback": fallback, "fixes": fixes})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        notices.append(f"Theme file {source} skipped: {problems}.")
        return None
    notices.extend(f"Theme file {source}: {fix}" for fix in fixes)
    return theme
