"""Themes: bundled files load clean, bad user files fall back or are skipped with a notice, the
themes register and switch on a running App, and they ship inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError
from textual.app import App
from textual.color import Color
from textual.theme import BUILTIN_THEMES, Theme

from escalatui import paths
from escalatui.tui.theme_file import ThemeFile, validate_theme
from escalatui.tui.themes import bundled_themes_dir, load_themes, register_themes

REPO = Path(__file__).resolve().parents[2]
BUNDLED = ("escalatui-dark", "escalatui-light", "escalatui-high-contrast")


def bundled() -> dict[str, Theme]:
    themes, notices = load_themes(Path("/nonexistent/escalatui-themes"))
    assert notices == []
    return {theme.name: theme for theme in themes}


def load_user(tmp_path: Path, **files: str) -> tuple[dict[str, Theme], list[str]]:
    """Write `files` (stem -> TOML text) into a user themes dir and load everything."""
    user = tmp_path / "themes"
    user.mkdir(exist_ok=True)
    for stem, text in files.items():
        (user / f"{stem}.toml").write_text(text, encoding="utf-8")
    themes, notices = load_themes(user)
    return {theme.name: theme for theme in themes}, notices


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two opaque colours."""

    def luminance(text: str) -> float:
        channels = [c / 255 for c in Color.parse(text).rgb]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_bundled_themes_load_without_notices() -> None:
    themes = bundled()
    assert set(BUNDLED) <= set(themes)
    for theme in themes.values():
        theme.to_color_system().generate()  # what App does on switching; must not raise


def test_bundled_variables_are_ones_textual_knows() -> None:
    """A misspelt variable would be silently ignored by Textual."""
    known = set(BUILTIN_THEMES["textual-dark"].to_color_system().generate())
    for name in BUNDLED:
        variables = bundled()[name].variables
        assert set(variables) <= known, name


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_themes_are_readable(name: str) -> None:
    """Text >= 7:1 on background and panel; status colours >= 4.5:1 (>= 7:1 in high contrast)."""
    theme = bundled()[name]
    assert theme.background and theme.panel and theme.foreground
    floor = 7.0 if name == "escalatui-high-contrast" else 4.5
    for ground in (theme.background, theme.panel):
        assert contrast(theme.foreground, ground) >= 7.0
        for role in ("primary", "secondary", "accent", "success", "warning", "error"):
            colour = getattr(theme, role)
            assert colour is not None and contrast(colour, ground) >= floor, (role, colour)


def test_high_contrast_is_pure_black_and_white_with_bright_accents() -> None:
    theme = bundled()["escalatui-high-contrast"]
    assert (theme.background, theme.surface, theme.foreground) == ("#000000", "#000000", "#ffffff")
    assert {theme.primary, theme.accent} == {"#00ffff", "#ffff00"}
    assert theme.text_alpha == 1.0


def test_the_three_themes_differ() -> None:
    themes = bundled()
    systems = {name: themes[name].to_color_system().generate() for name in BUNDLED}
    for key in ("background", "foreground", "primary", "accent", "panel"):
        values = {systems[name][key] for name in BUNDLED}
        assert len(values) == 3, key
    assert [themes[name].dark for name in BUNDLED] == [True, False, True]


def test_bad_colours_fall_back_to_the_dark_theme_with_a_notice(tmp_path: Path) -> None:
    themes, notices = load_user(
        tmp_path,
        mine='name = "mine"\nprimary = "#zzzzzz"\naccent = "#123456"\nerror = "nope"\n'
        "[variables]\n"
        'footer-key-foreground = "not-a-colour"\n'  # the dark theme sets this one
        'link-color = "#12"\n'  # the dark theme does not: Textual derives it
        'block-cursor-text-style = "#ffffff"\n',  # a style variable given a colour
    )
    dark = bundled()["escalatui-dark"]
    mine = themes["mine"]
    assert (mine.primary, mine.accent, mine.error) == (dark.primary, "#123456", dark.error)
    assert mine.variables == {
        name: dark.variables[name] for name in ("footer-key-foreground", "block-cursor-text-style")
    }
    source = tmp_path / "themes" / "mine.toml"
    assert (
        f"Theme file {source}: primary = '#zzzzzz' is not a colour; using '#5ba4d9'" in (notices[0])
    )
    assert len(notices) == 5
    assert all(str(source) in notice for notice in notices)
    text = "\n".join(notices)
    assert (
        "error = 'nope'" in text and "link-color = '#12' is not a colour; using the default" in text
    )
    assert "block-cursor-text-style = '#ffffff' is not a text style" in text


def test_alpha_and_auto_variables_are_accepted(tmp_path: Path) -> None:
    themes, notices = load_user(
        tmp_path,
        ok='name = "ok"\nprimary = "red"\n[variables]\ntext = "auto 90%"\n'
        'border = "rgb(1,2,3)"\ninput-selection-background = "ansi_blue 35%"\n',
    )
    assert notices == []
    assert themes["ok"].variables["text"] == "auto 90%"


def test_unparseable_toml_is_skipped_with_a_notice(tmp_path: Path) -> None:
    themes, notices = load_user(tmp_path, broken='name = "broken"\nprimary = \n')
    assert "broken" not in themes and set(BUNDLED) <= set(themes)
    [notice] = notices
    assert f"Theme file {tmp_path / 'themes' / 'broken.toml'} skipped: not readable TOML" in notice


def test_not_utf8_is_skipped_with_a_notice(tmp_path: Path) -> None:
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "latin1.toml").write_bytes(b'name = "caf\xe9"\nprimary = "red"\n')
    themes, notices = load_themes(tmp_path / "themes")
    assert len(notices) == 1 and "latin1.toml skipped" in notices[0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            'name = "x"\nprimary = "red"\ncolour = "blue"\n',
            "colour: Extra inputs are not permitted",
        ),
        (
            'name = "x"\nprimary = "red"\n[variables]\nborder = 3\n',
            "variables.border: Input should",
        ),
        ('name = "x"\n', "primary: Field required"),
        ('name = "a,b"\nprimary = "red"\n', "name: String should match pattern"),
        ('name = "x"\nprimary = "red"\ntext_alpha = 2\n', "text_alpha: Input should be less"),
    ],
)
def test_invalid_files_are_skipped_naming_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    themes, notices = load_user(tmp_path, bad=text)
    assert set(themes) == set(bundled())
    [notice] = notices
    assert notice.startswith(f"Theme file {tmp_path / 'themes' / 'bad.toml'} skipped: ")
    assert problem in notice


def test_a_user_theme_replaces_a_bundled_one_of_the_same_name(tmp_path: Path) -> None:
    themes, notices = load_user(
        tmp_path,
        **{
            "my-dark": 'name = "escalatui-dark"\nprimary = "#ff0000"\n',
            "other": 'name = "other"\nprimary = "bad"\n',
        },
    )
    assert themes["escalatui-dark"].primary == "#ff0000"
    assert themes["escalatui-dark"].background is None  # replaced whole, not merged
    # Fallbacks still come from the bundled dark theme, not the user's replacement.
    assert themes["other"].primary == "#5ba4d9"
    assert len(notices) == 1 and "other.toml: primary = 'bad'" in notices[0]


def test_notices_are_inert_text(tmp_path: Path) -> None:
    """File text reaches the screen as visible escapes, never as terminal control codes."""
    _, notices = load_user(
        tmp_path,
        value='name = "value"\nprimary = "\\u001b[31m"\n',
        key='name = "key"\nprimary = "red"\n"\\u001b]0;title\\u0007" = 1\n',
    )
    assert len(notices) == 2
    assert not any("\x1b" in notice or "\x07" in notice for notice in notices)
    assert "\\x1b[31m" in notices[1] and "\\x1b]0;title\\x07" in notices[0]


def test_the_model_alone_rejects_bad_colours() -> None:
    """Outside the loader there is nothing to fall back to: a bad colour is an error."""
    with pytest.raises(ValidationError, match="is not a colour"):
        ThemeFile.model_validate({"name": "x", "primary": "#zz"})
    with pytest.raises(ValidationError, match="is not a text style"):
        ThemeFile.model_validate(
            {"name": "x", "primary": "red", "variables": {"link-style": "loud"}}
        )


class ThemedApp(App[None]):
    def on_mount(self) -> None:
        self.notices = register_themes(self)
        self.theme = "escalatui-dark"


async def test_register_then_switch_on_a_running_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "user-themes"
    user.mkdir()
    (user / "mine.toml").write_text('name = "mine"\nprimary = "red"\nbackground = "#102030"\n')
    monkeypatch.setattr(paths, "user_themes_dir", lambda: user)
    app = ThemedApp()
    async with app.run_test() as pilot:
        assert app.notices == []
        assert app.screen.styles.background == Color.parse("#121620")
        app.theme = "escalatui-light"
        await pilot.pause()
        assert app.current_theme.name == "escalatui-light"
        assert app.screen.styles.background == Color.parse("#f6f4ef")
        app.theme = "mine"
        await pilot.pause()
        assert app.screen.styles.background == Color.parse("#102030")


def test_themes_ship_in_the_wheel_as_escalatui_themes() -> None:
    """pyproject maps top-level `themes/` to the package `escalatui._themes`, and its explicit
    package list names every source folder (a folder left out would be missing from the wheel)."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"escalatui._themes": "themes"}
    assert setuptools["package-data"]["escalatui._themes"] == ["*.toml"]
    folders = {
        ".".join(folder.relative_to(REPO).parts)
        for folder in [REPO / "escalatui", *(REPO / "escalatui").rglob("*")]
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.iterdir())
    }
    assert folders | {"escalatui._themes"} <= set(setuptools["packages"])
    shipped = {f.name for f in bundled_themes_dir().iterdir()}
    assert {f"{name}.toml" for name in BUNDLED} <= shipped


def test_bundled_themes_are_valid_theme_files_and_load_as_validated() -> None:
    """The bundled files are trusted at start-up (no validation before the first frame), so
    here each must pass validation with no fix, and give the very theme the app registers."""
    fast = bundled()
    for name in BUNDLED:
        path = REPO / "themes" / f"{name}.toml"
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        notices: list[str] = []
        checked = validate_theme(data, path, None, notices)
        assert notices == [] and checked is not None
        assert checked.to_theme() == fast[name]


def test_opening_without_user_themes_does_not_import_the_validator() -> None:
    """pydantic costs ~0.1 s to import: the app must not pay it before its first frame when
    the user has no theme files."""
    code = (
        "import sys; from pathlib import Path; from escalatui.tui import themes; "
        "t, n = themes.load_themes(Path('/nonexistent/escalatui-themes')); "
        "assert len(t) >= 3 and n == [], n; "
        "print('pydantic' in sys.modules, 'escalatui.tui.theme_file' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_user_theme_files_are_still_validated(tmp_path: Path) -> None:
    themes, notices = load_user(tmp_path, mine='name = "mine"\nprimary = "#zzzzzz"\n')
    assert "mine" in themes  # the bad primary fell back to the default theme's
    assert themes["mine"].primary == themes["escalatui-dark"].primary
    assert any("'#zzzzzz' is not a colour" in n for n in notices)


@pytest.mark.parametrize("chosen", [None, "escalatui-light"])
async def test_the_chosen_theme_is_in_place_and_the_default_costs_no_second_style_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chosen: str | None
) -> None:
    from escalatui.config import UserConfig
    from escalatui.tui.app import make_app

    refreshes: list[bool] = []
    real = App.refresh_css

    def counted(self: App[object], animate: bool = True) -> None:
        refreshes.append(True)
        real(self, animate)

    monkeypatch.setattr(App, "refresh_css", counted)
    app = make_app(user=UserConfig(), session_dir=tmp_path, task_sources=[], theme=chosen)
    async with app.run_test() as pilot:
        wanted = chosen or "escalatui-dark"
        assert app.current_theme.name == wanted
        assert f"-theme-{wanted}" in app.classes
        background = app.screen.styles.background
        assert background == Color.parse(bundled()[wanted].background or "")
        # choosing another theme parses the styles again with its colours; the default does not
        assert len(refreshes) == (0 if chosen is None else 1)
        await pilot.press("q")
