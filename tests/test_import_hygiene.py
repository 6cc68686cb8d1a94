"""The core knows no screen: importing it (and the CLI) pulls in neither textual nor rich."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

CORE = [
    "escalatui.config",
    "escalatui.engine",
    "escalatui.engine.runner",
    "escalatui.engine.drive",
    "escalatui.engine.checks",
    "escalatui.clients",
    "escalatui.clients.registry",
    "escalatui.clients.embedded",
    "escalatui.session",
    "escalatui.headless",
    "escalatui.run_headless",
    "escalatui.demo",
    "escalatui.cli",
]
PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))))
"""
# Runs the CLI in-process, then reports which UI modules it loaded.
CLI_PROBE = """
import json, sys
from escalatui.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "ui": sorted(m for m in sys.modules
                  if m.split(".")[0] in ("textual", "rich"))}))
"""


def ui_modules(code: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=50
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_core_imports_no_textual_or_rich() -> None:
    assert ui_modules(PROBE, *CORE) == []


def test_version_and_validate_do_not_import_textual(tmp_path: Path) -> None:
    demo = Path(__file__).parents[1] / "escalatui" / "examples" / "demo.toml"
    assert ui_modules(CLI_PROBE, "--version") == {"code": 0, "ui": []}
    assert ui_modules(CLI_PROBE, "validate", str(demo)) == {"code": 0, "ui": []}
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    assert ui_modules(CLI_PROBE, "validate", str(bad)) == {"code": 2, "ui": []}


def test_headless_run_does_not_import_textual(tmp_path: Path) -> None:
    task = tmp_path / "t.toml"
    task.write_text(
        'name = "t"\nchain = ["s"]\n[models.s]\nprovider = "sim"\nresponses = ["hi"]\n'
        '[[steps]]\nname = "a"\nprompt = "x"\n'
    )
    result = ui_modules(CLI_PROBE, "run", str(task), "--headless", "--session-dir", str(tmp_path))
    assert result == {"code": 0, "ui": []}
