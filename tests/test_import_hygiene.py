"""The core knows no screen: importing it (and the CLI) pulls in neither textual nor rich."""

from __future__ import annotations

import ast
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


# -- the import contract, read from the source ------------------------------------------------
# Every import statement counts, at the top of a module or inside a function (a lazy import is
# still a dependency), so a layer cannot reach up or sideways without this test failing.

PACKAGE = Path(__file__).parents[1] / "escalatui"
UI = ("textual", "rich", "escalatui.tui")
NEUTRAL = (
    "escalatui.config",
    "escalatui.clients",
    "escalatui.engine",
    "escalatui.session",
    "escalatui.batch",
    "escalatui.formatting",
    "escalatui.inert",
    "escalatui.headless",
    "escalatui.run_headless",
    "escalatui.run_session",
)
RULES: list[tuple[tuple[str, ...], tuple[str, ...], str]] = [
    (NEUTRAL, UI, "the core and the headless path know no screen"),
    (
        ("escalatui.tui",),
        ("escalatui.headless", "escalatui.run_headless"),
        "the TUI does not use the headless printer",
    ),
    (("escalatui.clients",), ("escalatui.engine",), "a client knows nothing of the engine"),
    (
        ("escalatui.config",),
        ("escalatui.engine", "escalatui.clients", "escalatui.session"),
        "config is the bottom layer",
    ),
]
KNOWN: set[tuple[str, str]] = set()
"""Imports that break a rule for now, each with the reason (none left)."""


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` imports, anywhere in it; `from a import b` counts as `a` and
    `a.b` (b may be a module). Relative imports are resolved against `module`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[:keep] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def module_imports(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package (dotted name) and what it imports."""
    out: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        is_package = rel.name == "__init__"
        name = ".".join(rel.parts[:-1] if is_package else rel.parts)
        out[name] = imports_of(path.read_text(encoding="utf-8"), name, is_package)
    return out


def broken_rules(imports: dict[str, set[str]]) -> list[str]:
    broken = []
    for module, targets in sorted(imports.items()):
        for where, forbidden, why in RULES:
            if not _within(module, where):
                continue
            for target in sorted(t for t in targets if _within(t, forbidden)):
                key = next((k for k in KNOWN if k[0] == module and _within(target, (k[1],))), None)
                if key is None:
                    broken.append(f"{module} imports {target}: {why}")
    return sorted(broken)


def test_the_layers_import_only_downwards() -> None:
    assert broken_rules(module_imports()) == []


def test_every_known_exception_is_still_needed() -> None:
    """A stale exception would let the rule it excuses slip back in: remove it once fixed."""
    imports = module_imports()
    stale = [k for k in KNOWN if not any(_within(t, (k[1],)) for t in imports.get(k[0], ()))]
    assert stale == []


def test_the_contract_sees_lazy_and_relative_imports() -> None:
    source = (
        "from . import models\n"
        "def later():\n"
        "    from escalatui.engine.runner import Runner\n"
        "    import rich.text\n"
    )
    found = imports_of(source, "escalatui.config.loader")
    assert {"escalatui.config.models", "escalatui.engine.runner", "rich.text"} <= found
    broken = broken_rules({"escalatui.config.loader": found})
    assert {line.split(": ")[0].split()[-1] for line in broken} == {
        "escalatui.engine.runner",
        "escalatui.engine.runner.Runner",
        "rich.text",
    }
    client = imports_of("from escalatui.tui import display\n", "escalatui.clients.openai")
    assert len(broken_rules({"escalatui.clients.openai": client})) == 2  # the package, the module
    tui = imports_of(
        "def f():\n    from escalatui.headless import attempt_line\n", "escalatui.tui.x"
    )
    assert (
        "escalatui.tui.x imports escalatui.headless: the TUI does not use the headless "
        "printer" in broken_rules({"escalatui.tui.x": tui})
    )
    engine = imports_of("from escalatui.clients import base\n", "escalatui.engine.attempt")
    assert broken_rules({"escalatui.engine.attempt": engine}) == []  # downwards is fine
